from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "closedloop.sla"
    label = "sla"
    verbose_name = "SLA clocks"
