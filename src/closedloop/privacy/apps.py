from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "closedloop.privacy"
    label = "privacy"
    verbose_name = "Personal data"
