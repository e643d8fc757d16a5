"""API authentication: bearer tokens for machines, the session for the browser pages."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from closedloop.accounts.models import ApiToken, User
from closedloop.accounts.roles import NamedPermission
from closedloop.accounts.services import api_token_find, scopes_for_user


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = api_token_find(raw=token)
        if found is None:
            return None
        # Kept so require_role can hold the request to the token's scopes.
        request.api_token = found  # type: ignore[attr-defined]
        request.user = found.user
        return found.user


class SessionAuth(NinjaSessionAuth):
    """Session auth with CSRF checks, as django-ninja provides it."""


def _refuse_out_of_scope(token: ApiToken, roles: frozenset[str]) -> None:
    if isinstance(roles, NamedPermission):
        if not token.has_scope(roles.scope):
            raise PermissionDenied(f"this API token lacks the scope {roles.scope!r}")
        return
    # A role set without a name (a union made in an app) maps to no single scope; only a token that
    # holds every scope its user may have passes, so a narrow token never reaches it by accident.
    missing = [s for s in scopes_for_user(token.user) if not token.has_scope(s)]
    if missing:
        raise PermissionDenied(
            f"this API token lacks the scope {missing[0]!r} (this operation needs all scopes)"
        )


def require_role(request: HttpRequest, roles: frozenset[str]) -> User:
    """The signed-in user if their role is in `roles`; a bearer token must also carry the scope,
    so a token's rights are its user's role and its scopes together, never more than either."""
    # Remembered so the access-control matrix test can confirm which check an operation ran.
    request.closedloop_required_roles = roles  # type: ignore[attr-defined]
    auth = getattr(request, "auth", None)
    user: Any = auth if isinstance(auth, User) else request.user
    if not isinstance(user, User) or not user.has_role(roles):
        raise PermissionDenied("your role may not do this")
    token = getattr(request, "api_token", None)
    if isinstance(token, ApiToken) and token.user_id == user.pk:
        _refuse_out_of_scope(token, roles)
    return user
