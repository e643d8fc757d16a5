from django.urls import path

from closedloop.handoff import views

urlpatterns = [
    path("queue/", views.handoff_queue, name="handoff_queue"),
    path("rejections/", views.handoff_rejections, name="handoff_rejections"),
    path("<int:handoff_id>/accept/", views.handoff_accept, name="handoff_accept"),
    path("<int:handoff_id>/reject/", views.handoff_reject, name="handoff_reject"),
]
