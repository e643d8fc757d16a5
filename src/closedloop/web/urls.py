from django.urls import path

from closedloop.web import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
