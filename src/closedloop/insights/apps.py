from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "closedloop.insights"
    label = "insights"
