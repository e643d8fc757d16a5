from django.urls import path

from closedloop.privacy import views

urlpatterns = [
    path("", views.privacy_home, name="privacy_home"),
    path("contacts/<int:contact_id>/", views.contact_privacy, name="privacy_contact"),
    path("contacts/<int:contact_id>/export.json", views.contact_export, name="privacy_contact_export"),
    path("contacts/<int:contact_id>/erase/", views.contact_erase, name="privacy_contact_erase"),
    path("consent/", views.consent_log, name="privacy_consent_log"),
    path("retention/", views.retention_settings, name="privacy_retention"),
    path("retention/run/", views.retention_run, name="privacy_retention_run"),
]
