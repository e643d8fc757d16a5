from django.urls import path

from closedloop.insights import views

urlpatterns = [
    path("", views.funnel, name="insights_funnel"),
    path("attribution/", views.attribution, name="insights_attribution"),
    path("cohorts/", views.cohorts, name="insights_cohorts"),
    path("kpis/", views.kpis, name="insights_kpis"),
    path("friction/", views.friction, name="insights_friction"),
    path("export/<slug:table>.csv", views.export_csv, name="insights_export"),
]
