from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "closedloop.tracking"
    label = "tracking"
