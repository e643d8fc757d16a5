from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "closedloop.notifications"
    label = "notifications"
    verbose_name = "Notifications"
