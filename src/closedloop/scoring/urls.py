"""Scoring pages under /scoring/."""

from django.urls import path

from closedloop.scoring import views

urlpatterns = [
    path("", views.scoring_settings, name="scoring_settings"),
    path("rules/new", views.rule_create, name="scoring_rule_create"),
    path("rules/<int:rule_id>/", views.rule_edit, name="scoring_rule_edit"),
    path("rules/<int:rule_id>/delete", views.rule_delete, name="scoring_rule_delete"),
    path("rescore", views.rescore, name="scoring_rescore"),
    path("model/", views.model_card, name="scoring_model"),
    path("model/train", views.model_train, name="scoring_model_train"),
    path("traits/", views.trait_report, name="scoring_traits"),
    path("traits/propose", views.profile_propose, name="scoring_profile_propose"),
]
