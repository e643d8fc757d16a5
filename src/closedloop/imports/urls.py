"""Import pages under /imports/."""

from django.urls import path

from closedloop.imports import views

urlpatterns = [
    path("", views.import_list, name="import_list"),
    path("<int:job_id>/", views.import_detail, name="import_detail"),
    path("<int:job_id>/map", views.import_map, name="import_map"),
    path("<int:job_id>/preview", views.import_preview, name="import_preview"),
    path("<int:job_id>/run", views.import_run, name="import_run"),
    path("<int:job_id>/progress", views.import_progress, name="import_progress"),
]
