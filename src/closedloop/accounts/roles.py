"""Roles and teams: who may do what. One place so pages, API and tests agree."""

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


class Permission:
    """Named capabilities mapped to the roles that hold them."""

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
    EDIT_MEETINGS = INTERNAL
    MANAGE_GOALS = frozenset({Role.ADMIN, Role.HEAD_OF_MARKETING, Role.HEAD_OF_SALES})
