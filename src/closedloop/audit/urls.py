"""The audit log page under /audit/ and its CSV export."""

from django.urls import path

from closedloop.audit import views

urlpatterns = [
    path("", views.audit_log, name="audit_log"),
    path("export.csv", views.audit_export, name="audit_export"),
]
