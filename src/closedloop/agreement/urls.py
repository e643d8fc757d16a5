"""Agreement pages under /agreement/."""

from django.urls import path

from closedloop.agreement import views, views_backtest

urlpatterns = [
    path("", views.agreement_document, name="agreement"),
    path("versions/", views.version_list, name="agreement_versions"),
    path("versions/new", views.draft_create, name="agreement_draft_create"),
    path("versions/<int:number>/", views.version_detail, name="agreement_version"),
    path("versions/<int:number>/propose", views.version_propose, name="agreement_propose"),
    path("versions/<int:number>/sign", views.version_sign, name="agreement_sign"),
    path("versions/<int:number>/withdraw", views.version_withdraw, name="agreement_withdraw"),
    path("versions/<int:number>/backtest", views_backtest.version_backtest, name="agreement_backtest"),
    path("versions/<int:a>/diff/<int:b>/", views.version_diff, name="agreement_diff"),
    path("validate-rule", views.rule_validate, name="agreement_rule_validate"),
]
