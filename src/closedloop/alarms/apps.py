from django.apps import AppConfig


class AlarmsConfig(AppConfig):
    name = "closedloop.alarms"
    label = "alarms"
    verbose_name = "Alarms"
