"""Role checks for views: `@requires(Permission.VIEW_CONTACTS)`."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def requires(roles: frozenset[str]) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated or not user.has_role(roles):  # type: ignore[union-attr]
                raise PermissionDenied("Your role does not give access to this page.")
            return view(request, *args, **kwargs)

        # Read by the generated access-control matrix (docs/security.md) and its test.
        wrapped.required_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator
