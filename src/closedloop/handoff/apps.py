from django.apps import AppConfig


class HandoffConfig(AppConfig):
    name = "closedloop.handoff"
    label = "handoff"
    verbose_name = "Handoff"
