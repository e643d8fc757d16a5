from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "closedloop.web"
    label = "web"
