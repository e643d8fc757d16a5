"""API authentication: bearer tokens for machines, the session for the browser pages."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from closedloop.accounts.models import User
from closedloop.accounts.services import api_token_authenticate


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = api_token_authenticate(raw=token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(NinjaSessionAuth):
    """Session auth with CSRF checks, as django-ninja provides it."""


def require_role(request: HttpRequest, roles: frozenset[str]) -> User:
    # Remembered so the access-control matrix test can confirm which check an operation ran.
    request.closedloop_required_roles = roles  # type: ignore[attr-defined]
    user: Any = request.auth if isinstance(getattr(request, "auth", None), User) else request.user
    if not isinstance(user, User) or not user.has_role(roles):
        raise PermissionDenied("your role may not do this")
    return user
