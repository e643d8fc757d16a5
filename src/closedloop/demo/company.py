"""The static cast of the demo company: teams, people and campaigns. Everything random lives in
`funnel.py` and `journeys.py`; what is here is the same for every seed."""

from dataclasses import dataclass, field

from closedloop.accounts.roles import Role, TeamKind
from closedloop.tracking.models import Channel

COMPANY = "Northwind Analytics"
PRODUCT = "Northwind Ops"
DOMAIN = "northwind-analytics.example"
SITE = f"https://{DOMAIN}"
# One shared password, printed in the banner: the demo is for trying closedloop, never for real data.
DEMO_PASSWORD = "closedloop-demo"  # noqa: S105 - public on purpose

MARKETING, SALES, AGENCY = "Marketing", "Sales", "Brightlane Agency"
TEAMS = {MARKETING: TeamKind.MARKETING, SALES: TeamKind.SALES, AGENCY: TeamKind.PARTNER}


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str
    role: str
    team: str | None
    manager: str | None = None
    # Sales reps only: how much better or worse than average they qualify and close.
    skill: float = 1.0
    email_domain: str = DOMAIN

    @property
    def email(self) -> str:
        return f"{self.username}@{self.email_domain}"


PEOPLE: tuple[Person, ...] = (
    Person("admin", "Rae", "Okafor", Role.ADMIN, None),
    Person("maya", "Maya", "Lindqvist", Role.HEAD_OF_MARKETING, MARKETING),
    Person("tom", "Tom", "Becker", Role.MARKETER, MARKETING, manager="maya"),
    Person("priya", "Priya", "Nair", Role.MARKETER, MARKETING, manager="maya"),
    Person("lena", "Lena", "Hofmann", Role.MARKETER, MARKETING, manager="maya"),
    Person("sam", "Sam", "Rivera", Role.HEAD_OF_SALES, SALES),
    Person("alex", "Alex", "Morgan", Role.SALES_REP, SALES, manager="sam", skill=1.15),
    Person("jordan", "Jordan", "Ellis", Role.SALES_REP, SALES, manager="sam", skill=0.9),
    Person("chen", "Chen", "Wei", Role.SALES_REP, SALES, manager="sam", skill=1.25),
    Person("fatima", "Fatima", "Haddad", Role.SALES_REP, SALES, manager="sam", skill=1.0),
    Person("luca", "Luca", "Romano", Role.SALES_REP, SALES, manager="sam", skill=0.8),
    Person("nina", "Nina", "Kowalski", Role.SALES_REP, SALES, manager="sam", skill=1.1),
    Person("omar", "Omar", "Siddiqui", Role.SALES_REP, SALES, manager="sam", skill=0.95),
    Person("jamie", "Jamie", "Cole", Role.PARTNER, AGENCY, email_domain="brightlane.example"),
)
REPS: tuple[Person, ...] = tuple(p for p in PEOPLE if p.role == Role.SALES_REP)
# The logins the banner shows, one per role (the other reps log in the same way).
BANNER_LOGINS: tuple[tuple[str, str], ...] = (
    ("admin", "Admin (revenue operations)"),
    ("maya", "Head of marketing"),
    ("sam", "Head of sales"),
    ("alex", "Sales rep"),
    ("tom", "Marketer"),
    ("jamie", "Agency partner (Brightlane Agency)"),
)


@dataclass(frozen=True)
class CampaignSpec:
    key: str
    name: str
    channel: str
    utm_source: str
    utm_medium: str
    landing_path: str
    landing_title: str
    share: float  # share of all contacts it brings in
    daily_cost: float  # at the default size of 20,000 contacts; scaled with --contacts
    start_day: int = 0  # days after the start of the history; negative: days before its end
    cost_per_click: float = 0.0  # paid campaigns: drives anonymous ad clicks
    anonymous_per_contact: float = 1.0  # anonymous sessions per identified contact
    tracking_phone: str = ""
    agency: bool = False  # run by Brightlane Agency (partner_team)
    # Multipliers on the base stage conversion rates: IQL→MQL, MQL→SQL, SQL→opportunity, won.
    quality: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    terms: tuple[str, ...] = field(default_factory=tuple)
    weekend_spend: float = 1.0


STORY_KEY = "ppc-free-trial"
STORY_DAYS = 14  # seed 000: two weeks in, zero conversions

CAMPAIGNS: tuple[CampaignSpec, ...] = (
    CampaignSpec(
        "organic-seo", "Organic – Blog & SEO", Channel.ORGANIC, "google", "organic",
        "/blog/", "Operations analytics guides and playbooks",
        share=0.24, daily_cost=95, anonymous_per_contact=0.6,
    ),
    CampaignSpec(
        "ppc-brand", "PPC – Brand search", Channel.PPC, "google", "cpc",
        "/lp/ops-analytics-demo", "See Northwind Ops on your own data – book a demo",
        share=0.12, daily_cost=210, cost_per_click=2.8, anonymous_per_contact=1.6,
        tracking_phone="+1 415 555 0134", quality=(1.1, 1.1, 1.0, 1.0),
        terms=("northwind analytics", "northwind ops", "northwind ops pricing"), weekend_spend=0.6,
    ),
    CampaignSpec(
        "ppc-competitor", "PPC – Competitor keywords", Channel.PPC, "google", "cpc",
        "/lp/compare", "Northwind Ops vs spreadsheets and legacy BI",
        share=0.09, daily_cost=260, start_day=30, cost_per_click=6.5, anonymous_per_contact=1.8,
        tracking_phone="+1 415 555 0178", quality=(0.9, 1.0, 0.8, 0.8),
        terms=("operations dashboard software", "tableau alternative for operations", "ops kpi tool"),
        weekend_spend=0.6,
    ),
    CampaignSpec(
        STORY_KEY, "PPC – Free trial (new landing page)", Channel.PPC, "google", "cpc",
        "/lp/free-trial", "Start your free 30-day self-serve trial – no sales call needed",
        share=0.002, daily_cost=1150, start_day=-STORY_DAYS, cost_per_click=3.9, anonymous_per_contact=0,
        tracking_phone="+1 415 555 0199", agency=True, quality=(0.0, 0.0, 0.0, 0.0),
        terms=("free operations software", "free ops dashboard trial", "self serve analytics free"),
    ),
    CampaignSpec(
        "linkedin-ops-leaders", "LinkedIn – Ops leaders", Channel.SOCIAL, "linkedin", "paid_social",
        "/lp/ops-kpi-playbook", "The Ops KPI Playbook (free ebook)",
        share=0.15, daily_cost=240, cost_per_click=7.0, anonymous_per_contact=1.2,
        quality=(0.7, 0.7, 0.7, 0.8), weekend_spend=0.5,
    ),
    CampaignSpec(
        "email-ops-playbook", "Email – Ops playbook nurture", Channel.EMAIL, "newsletter", "email",
        "/resources/downtime-calculator", "Downtime cost calculator",
        share=0.08, daily_cost=30, anonymous_per_contact=0.3, quality=(0.9, 0.9, 0.9, 1.0),
    ),
    CampaignSpec(
        "webinars-field-ops-summit", "Events – Webinars & Field Ops Summit", Channel.EVENTS, "events",
        "webinar", "/webinars", "Webinars: reducing downtime with live ops dashboards",
        share=0.09, daily_cost=20, anonymous_per_contact=0.5, quality=(1.5, 1.4, 1.4, 1.3),
    ),
    CampaignSpec(
        "brightlane-retargeting", "Brightlane – Retargeting", Channel.PARTNER, "brightlane", "display",
        "/lp/case-study-harborline", "How Harborline Freight cut late shipments by 31%",
        share=0.07, daily_cost=140, start_day=60, cost_per_click=1.9, anonymous_per_contact=1.2,
        agency=True, quality=(0.8, 0.8, 0.7, 0.9),
    ),
    CampaignSpec(
        "customer-referrals", "Referral – Customer referral program", Channel.REFERRAL, "customer-referral",
        "referral", "/referral", "Referred by a customer? Get a guided pilot",
        share=0.04, daily_cost=35, anonymous_per_contact=0.2, quality=(1.6, 1.5, 1.6, 1.5),
    ),
)  # fmt: skip
# Contacts with no campaign (typed the address, word of mouth): the rest of the shares.
DIRECT_SHARE = 0.08
DIRECT_QUALITY = (1.2, 1.2, 1.1, 1.1)
CAMPAIGN_INDEX = {c.key: i for i, c in enumerate(CAMPAIGNS)}
STORY = CAMPAIGN_INDEX[STORY_KEY]
EMAIL = CAMPAIGN_INDEX["email-ops-playbook"]
EVENTS = CAMPAIGN_INDEX["webinars-field-ops-summit"]
RETARGETING = CAMPAIGN_INDEX["brightlane-retargeting"]
ORGANIC = CAMPAIGN_INDEX["organic-seo"]
# Webinars every four weeks (days after the start of the history) and the summit's booth day.
WEBINAR_DAYS = (12, 40, 68, 96, 124, 152, 180)
SUMMIT_DAY = 103
SUMMIT_COST = 18_000.0
WEBINAR_COST = 1_500.0
