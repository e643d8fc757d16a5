from django.urls import path

from closedloop.alarms import views

urlpatterns = [
    path("", views.alarm_list, name="alarm_list"),
    path("badge/", views.alarm_badge, name="alarm_badge"),
    path("<int:alarm_id>/acknowledge/", views.alarm_acknowledge, name="alarm_acknowledge"),
    path(
        "landing-pages/<int:landing_page_id>/review/", views.landing_page_review, name="landing_page_review"
    ),
]
