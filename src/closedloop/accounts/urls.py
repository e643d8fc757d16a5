"""User management pages under /users/."""

from django.urls import path

from closedloop.accounts import views

urlpatterns = [
    path("", views.user_list, name="user_list"),
    path("new/", views.user_new, name="user_new"),
    path("<int:user_id>/", views.user_detail, name="user_detail"),
    path("<int:user_id>/deactivate/", views.user_deactivate, name="user_deactivate"),
    path("<int:user_id>/reactivate/", views.user_reactivate, name="user_reactivate"),
    path("<int:user_id>/tokens/", views.token_new, name="token_new"),
    path("<int:user_id>/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
