from django.urls import path

from closedloop.sla import views

urlpatterns = [
    path("", views.sla_report, name="sla_report"),
    path("calendar/", views.business_calendar, name="sla_calendar"),
]
