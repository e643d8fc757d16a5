from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "closedloop.content"
    label = "content"
    verbose_name = "Personas and content"
