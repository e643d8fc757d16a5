"""Roles and teams: who may do what. One place so pages, API and tests agree."""

from collections.abc import Iterable
from typing import Any

from django.db import models


class TeamKind(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"
    PARTNER = "partner", "Partner"


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    HEAD_OF_MARKETING = "head_of_marketing", "Head of marketing"
    HEAD_OF_SALES = "head_of_sales", "Head of sales"
    MARKETER = "marketer", "Marketer"
    SALES_REP = "sales_rep", "Sales rep"
    PARTNER = "partner", "Agency partner"


INTERNAL = frozenset({Role.ADMIN, Role.HEAD_OF_MARKETING, Role.HEAD_OF_SALES, Role.MARKETER, Role.SALES_REP})
EVERYONE = INTERNAL | {Role.PARTNER}
# Importing data rewrites shared records; only operators and marketing ops may do it.
DATA_ADMINS = frozenset({Role.ADMIN, Role.HEAD_OF_MARKETING, Role.HEAD_OF_SALES, Role.MARKETER})


class NamedPermission(frozenset[str]):
    """A permission: the frozenset of roles that hold it, plus its name. The lower-case name is also
    the API token scope for it ("ingest_events" for Permission.INGEST_EVENTS)."""

    name: str

    def __new__(cls, roles: Iterable[str], name: str) -> "NamedPermission":
        obj = super().__new__(cls, roles)
        obj.name = name
        return obj

    def __reduce__(self) -> Any:
        return (NamedPermission, (frozenset(self), self.name))

    @property
    def scope(self) -> str:
        return self.name.lower()

    def including(self, *roles: str) -> "NamedPermission":
        """The same permission (and token scope) granted to more roles, e.g. partners on one page."""
        return NamedPermission(self | set(roles), self.name)


class Permission:
    """Named capabilities mapped to the roles that hold them. After the class body, every entry is
    a NamedPermission: still a frozenset of roles, and also a token scope."""

    VIEW_DASHBOARD = EVERYONE  # partners see only their own campaigns (selectors scope it)
    VIEW_CONTACTS = INTERNAL
    IMPORT_DATA = DATA_ADMINS
    INGEST_EVENTS = frozenset({Role.ADMIN, Role.MARKETER, Role.HEAD_OF_MARKETING})
    WRITE_CONTACTS = INTERNAL
    MANAGE_USERS = frozenset({Role.ADMIN})
    # The agreement (DESIGN §2): everyone may read the active one; drafts and history are internal.
    VIEW_AGREEMENT = EVERYONE
    VIEW_AGREEMENT_VERSIONS = INTERNAL
    EDIT_AGREEMENT = frozenset({Role.ADMIN, Role.HEAD_OF_MARKETING, Role.HEAD_OF_SALES, Role.MARKETER})
    # Only the two heads sign, each for their own side; being a superuser does not make one a head.
    SIGN_AGREEMENT_MARKETING = frozenset({Role.HEAD_OF_MARKETING})
    SIGN_AGREEMENT_SALES = frozenset({Role.HEAD_OF_SALES})
    VIEW_AUDIT = frozenset({Role.ADMIN})
    # Alarms (DESIGN §3.4): partners see only the alarms of their campaigns (selectors scope it).
    VIEW_ALARMS = EVERYONE
    ACK_ALARMS = INTERNAL
    # Seed 000: "reviewed by sales" must mean sales read the page, so only sales may say so.
    REVIEW_LANDING_PAGES = frozenset({Role.ADMIN, Role.HEAD_OF_SALES, Role.SALES_REP})
    # Handoff (DESIGN §3.3): sales works the queue and decides; marketing reads why leads came back.
    VIEW_HANDOFF_QUEUE = frozenset({Role.ADMIN, Role.HEAD_OF_SALES, Role.SALES_REP})
    DECIDE_HANDOFFS = frozenset({Role.HEAD_OF_SALES, Role.SALES_REP})
    VIEW_HANDOFF_REJECTIONS = INTERNAL
    MANAGE_ROUTING = frozenset({Role.ADMIN, Role.HEAD_OF_SALES})
    # SLA clocks and notifications (DESIGN §3.3): reps see their own clocks, heads and admins all.
    VIEW_SLA_REPORT = INTERNAL
    MANAGE_BUSINESS_CALENDAR = frozenset({Role.ADMIN, Role.HEAD_OF_MARKETING, Role.HEAD_OF_SALES})
    # Insights (DESIGN §3.5): one set of numbers for both teams; partners see their campaigns only.
    VIEW_INSIGHTS = EVERYONE
    # Lead scoring (issue: scoring): everyone internal reads scores; the heads tune the model.
    VIEW_SCORING = INTERNAL
    MANAGE_SCORING = frozenset({Role.ADMIN, Role.HEAD_OF_MARKETING, Role.HEAD_OF_SALES})
    # Marketing automation: marketing builds and runs nurture workflows.
    VIEW_AUTOMATION = INTERNAL
    MANAGE_AUTOMATION = frozenset({Role.ADMIN, Role.HEAD_OF_MARKETING, Role.MARKETER})
    # Personas and content: both teams co-author; partners read published content.
    VIEW_CONTENT = EVERYONE
    EDIT_CONTENT = INTERNAL
    # Goals, meetings, brainstorms and the live feed: shared by both teams.
    VIEW_MEETINGS = INTERNAL
    # Partners open goals, meetings and the feed too; selectors narrow them to what is shared with
    # their team (meetings/access.py). Its own permission, so a partner's token can carry its scope.
    VIEW_SHARED_MEETINGS = EVERYONE
    EDIT_MEETINGS = INTERNAL
    MANAGE_GOALS = frozenset({Role.ADMIN, Role.HEAD_OF_MARKETING, Role.HEAD_OF_SALES})
    # Personal data (GDPR): export and erasure act on any contact and cannot be undone, so only the
    # people answerable for the data (admins and both heads) do them; retention rules are operations.
    MANAGE_PERSONAL_DATA = frozenset({Role.ADMIN, Role.HEAD_OF_MARKETING, Role.HEAD_OF_SALES})
    MANAGE_RETENTION = frozenset({Role.ADMIN})


# One vocabulary for token scopes: the Permission entries themselves, so a new permission is a new scope.
for _name, _roles in list(vars(Permission).items()):
    if _name.isupper() and isinstance(_roles, frozenset):
        setattr(Permission, _name, NamedPermission(_roles, _name))

SCOPES: dict[str, NamedPermission] = {
    value.scope: value for value in vars(Permission).values() if isinstance(value, NamedPermission)
}


def scopes_for_role(role: str) -> list[str]:
    """The scopes a user with `role` may put on a token, in a stable order."""
    return sorted(scope for scope, roles in SCOPES.items() if role in roles)
