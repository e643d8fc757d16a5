from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "closedloop.imports"
    label = "imports"
