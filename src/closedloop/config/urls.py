"""URL map: pages, the REST API under /api/v1/, and the operators' admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from closedloop.accounts.login_guard import GuardedAuthenticationForm
from closedloop.config.api import api


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", authentication_form=GuardedAuthenticationForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("healthz", healthz),
    path("imports/", include("closedloop.imports.urls")),
    path("agreement/", include("closedloop.agreement.urls")),
    path("audit/", include("closedloop.audit.urls")),
    path("users/", include("closedloop.accounts.urls")),
    path("alarms/", include("closedloop.alarms.urls")),
    path("handoff/", include("closedloop.handoff.urls")),
    path("insights/", include("closedloop.insights.urls")),
    path("sla/", include("closedloop.sla.urls")),
    path("notifications/", include("closedloop.notifications.urls")),
    path("scoring/", include("closedloop.scoring.urls")),
    path("automation/", include("closedloop.automation.urls")),
    path("content/", include("closedloop.content.urls")),
    path("meetings/", include("closedloop.meetings.urls")),
    path("privacy/", include("closedloop.privacy.urls")),
    path("", include("closedloop.web.urls")),
]
