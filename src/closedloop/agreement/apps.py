from django.apps import AppConfig


class AgreementConfig(AppConfig):
    name = "closedloop.agreement"
    label = "agreement"
