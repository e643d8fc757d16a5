"""Reads for the user management pages."""

from django.db.models import Count, Q, QuerySet

from closedloop.accounts.models import ApiToken, Team, User


def user_list() -> QuerySet[User]:
    """Everyone, active first, with team, manager and the number of live tokens (one query)."""
    return (
        User.objects.select_related("team", "manager")
        .annotate(live_tokens=Count("api_tokens", filter=Q(api_tokens__revoked_at__isnull=True)))
        .order_by("-is_active", "username")
    )


def user_token_list(*, user: User) -> QuerySet[ApiToken]:
    """A user's tokens, live ones first, newest first."""
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at")


def team_list() -> QuerySet[Team]:
    return Team.objects.order_by("name")


def manager_choices() -> QuerySet[User]:
    """Who may be set as someone's manager: active users."""
    return User.objects.filter(is_active=True).order_by("username")
