"""Who sees what in goals, meetings and the feed. Internal roles hold VIEW_MEETINGS; agency partners
(seed 000) may come in too, but every selector narrows them to what is shared with their team:
goals accountable to it, meeting series it joins, feed items about its campaigns."""

from django.core.exceptions import PermissionDenied

from closedloop.accounts.models import User
from closedloop.accounts.roles import Permission, Role

# Pages and API operations that partners may open; the selectors scope what they then see.
MEETING_READERS = Permission.VIEW_SHARED_MEETINGS


def is_partner(user: User) -> bool:
    return user.role == Role.PARTNER and not user.is_superuser


def require(user: User, roles: frozenset[str], what: str) -> None:
    if not user.has_role(roles):
        raise PermissionDenied(f"your role may not {what}")
