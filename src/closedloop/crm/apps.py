from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "closedloop.crm"
    label = "crm"
