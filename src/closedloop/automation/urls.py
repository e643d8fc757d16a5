from django.urls import path

from closedloop.automation import views

# Recipient-facing links (pixel, click, download, unsubscribe) are served under
# /api/v1/automation/t/ (public.py): they must work without signing in.
urlpatterns = [
    path("", views.workflow_list, name="automation_workflows"),
    path("new/", views.workflow_new, name="automation_workflow_new"),
    path("outbox/", views.outbox, name="automation_outbox"),
    path("<int:workflow_id>/", views.workflow_detail, name="automation_workflow"),
    path("<int:workflow_id>/edit/", views.workflow_edit, name="automation_workflow_edit"),
    path("<int:workflow_id>/activate/", views.workflow_activate, name="automation_workflow_activate"),
    path("<int:workflow_id>/pause/", views.workflow_pause, name="automation_workflow_pause"),
    path("<int:workflow_id>/archive/", views.workflow_archive, name="automation_workflow_archive"),
]
