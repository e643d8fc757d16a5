"""The audit log page under /audit/."""

from django.urls import path

from closedloop.audit import views

urlpatterns = [path("", views.audit_log, name="audit_log")]
