from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "closedloop.meetings"
    label = "meetings"
    verbose_name = "Goals and meetings"
