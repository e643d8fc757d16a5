from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "closedloop.automation"
    label = "automation"
    verbose_name = "Marketing automation"
