"""Reads behind the shared dashboard: the funnel by lifecycle stage, cost per lead by campaign and the
daily lead/spend trend. Every number is a GROUP BY in the database, never a loop over contacts, so the
dashboard stays fast on tens of thousands of contacts.

Scoping: `campaigns_visible` is None for internal users (everything) or a queryset / collection of
campaign ids for agency partners (DESIGN §3.12: partners see only their campaigns and the contacts
those campaigns brought in). Use `campaigns_visible_to(user=...)` to get it."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from closedloop.accounts.models import User
from closedloop.accounts.roles import Role
from closedloop.crm.lifecycle import FUNNEL_STAGES, STAGE_ORDER, Stage, stage_rank
from closedloop.crm.models import Contact
from closedloop.insights.local_dates import local_date
from closedloop.insights.periods import Period
from closedloop.tracking.models import Campaign, CampaignCost, Channel

# Campaign ids: a values_list queryset (used as a subquery) or any collection of ints.
CampaignScope = QuerySet[Campaign, int] | Collection[int] | None

CENT = Decimal("0.01")


def stages_at_or_beyond(stage: str) -> tuple[str, ...]:
    """Every stored stage whose contacts have reached `stage` (churned counts as customer)."""
    return tuple(s for s in STAGE_ORDER if stage_rank(s) >= stage_rank(stage))


@dataclass(frozen=True)
class StageCount:
    stage: str
    label: str
    # Contacts that reached this stage: everyone currently in it or in any later stage.
    reached: int
    # Contacts whose current stage is this one.
    current: int
    # Of those that reached this stage, how many have churned since (non-zero only for customer).
    churned: int
    # Percent of the previous stage's `reached` that made it here; None for the first stage or
    # when the previous stage is empty.
    conversion: float | None
    # Percent of the top of the funnel, for the bar length.
    share: float


@dataclass(frozen=True)
class CampaignCostRow:
    campaign_id: int | None
    name: str
    channel: str
    spend: Decimal
    leads: int
    sqls: int
    customers: int

    @property
    def channel_label(self) -> str:
        return Channel(self.channel).label if self.channel in Channel.values else self.channel

    @property
    def cost_per_lead(self) -> Decimal | None:
        return _per(self.spend, self.leads)

    @property
    def cost_per_sql(self) -> Decimal | None:
        return _per(self.spend, self.sqls)

    @property
    def cost_per_customer(self) -> Decimal | None:
        return _per(self.spend, self.customers)


@dataclass(frozen=True)
class DayPoint:
    day: date
    leads: int
    spend: Decimal


def _per(spend: Decimal, count: int) -> Decimal | None:
    # No leads means no cost per lead, not a division by zero and not "0.00".
    if not count:
        return None
    return (spend / count).quantize(CENT)


def campaigns_visible_to(*, user: User) -> QuerySet[Campaign, int] | None:
    """None means "no restriction". Partners see the campaigns their agency team runs; a partner
    without a team sees none rather than all."""
    if user.is_superuser or user.role != Role.PARTNER:
        return None
    if user.team_id is None:
        return Campaign.objects.none().values_list("pk", flat=True)
    return Campaign.objects.filter(partner_team_id=user.team_id).values_list("pk", flat=True)


def campaign_options(*, campaigns_visible: CampaignScope = None) -> QuerySet[Campaign]:
    """Campaigns to offer in a filter, by name."""
    qs = Campaign.objects.order_by("name", "id")
    if campaigns_visible is not None:
        qs = qs.filter(pk__in=campaigns_visible)
    return qs


@dataclass(frozen=True)
class _Filters:
    """The dashboard's filters, turned into querysets. Every number on it goes through these, so the
    funnel, the cost table and the chart always count the same contacts and the same spend."""

    start: date
    end: date
    campaign_id: int | None = None
    channel: str | None = None
    campaigns_visible: CampaignScope = None

    def contacts(self) -> QuerySet[Contact]:
        """Contacts created in the period whose first-touch campaign passes the filters."""
        since, until = Period(start=self.start, end=self.end).datetime_range()
        qs = Contact.objects.filter(created_at__gte=since, created_at__lt=until)
        if self.campaign_id:
            qs = qs.filter(source_campaign_id=self.campaign_id)
        if self.channel:
            qs = qs.filter(source_campaign__channel=self.channel)
        if self.campaigns_visible is not None:
            qs = qs.filter(source_campaign_id__in=self.campaigns_visible)
        return qs

    def costs(self) -> QuerySet[CampaignCost]:
        """Cost days in the period of the campaigns that pass the filters."""
        qs = CampaignCost.objects.filter(date__gte=self.start, date__lte=self.end)
        if self.campaign_id:
            qs = qs.filter(campaign_id=self.campaign_id)
        if self.channel:
            qs = qs.filter(campaign__channel=self.channel)
        if self.campaigns_visible is not None:
            qs = qs.filter(campaign_id__in=self.campaigns_visible)
        return qs

    def stage_counts(self) -> dict[tuple[int | None, str], int]:
        """{(source campaign id, current stage): contacts}: the one contact query behind both the
        funnel and the cost table."""
        rows = (
            self.contacts()
            .order_by()
            .values_list("source_campaign_id", "lifecycle_stage")
            .annotate(n=Count("id"))
        )
        return {(campaign, stage): n for campaign, stage, n in rows if stage in STAGE_ORDER}


def _funnel(counts: dict[tuple[int | None, str], int]) -> list[StageCount]:
    current: dict[str, int] = {}
    for (_, stage), n in counts.items():
        current[stage] = current.get(stage, 0) + n

    result: list[StageCount] = []
    top = 0
    previous: int | None = None
    for stage in FUNNEL_STAGES:
        reached = sum(current.get(s, 0) for s in stages_at_or_beyond(stage))
        if previous is None:
            top = reached
        result.append(
            StageCount(
                stage=stage,
                label=Stage(stage).label,
                reached=reached,
                current=current.get(stage, 0),
                churned=current.get(Stage.CHURNED, 0) if stage == Stage.CUSTOMER else 0,
                conversion=None if not previous else round(100 * reached / previous, 1),
                share=round(100 * reached / top, 1) if top else 0.0,
            )
        )
        previous = reached
    return result


def _cost_rows(filters: _Filters, counts: dict[tuple[int | None, str], int]) -> list[CampaignCostRow]:
    spend = dict(filters.costs().order_by().values_list("campaign_id").annotate(total=Sum("amount")))
    sql_or_later = set(stages_at_or_beyond(Stage.SQL))
    customer_or_later = set(stages_at_or_beyond(Stage.CUSTOMER))
    leads: dict[int, list[int]] = {}
    for (campaign_id, stage), n in counts.items():
        if campaign_id is None:
            continue  # no first-touch campaign: in the funnel, but no campaign to charge it to
        tally = leads.setdefault(campaign_id, [0, 0, 0])
        tally[0] += n
        tally[1] += n if stage in sql_or_later else 0
        tally[2] += n if stage in customer_or_later else 0

    active_ids = set(spend) | set(leads)
    if not active_ids:
        return []
    rows = [
        CampaignCostRow(
            campaign_id=c.pk,
            name=c.name,
            channel=c.channel,
            spend=spend.get(c.pk) or Decimal("0.00"),
            leads=leads.get(c.pk, [0, 0, 0])[0],
            sqls=leads.get(c.pk, [0, 0, 0])[1],
            customers=leads.get(c.pk, [0, 0, 0])[2],
        )
        for c in Campaign.objects.filter(pk__in=active_ids).only("id", "name", "channel")
    ]
    rows.sort(key=lambda r: (-r.spend, -r.leads, r.name.lower(), r.campaign_id or 0))
    return rows


def funnel_by_stage(
    *,
    start: date,
    end: date,
    campaign_id: int | None = None,
    channel: str | None = None,
    campaigns_visible: CampaignScope = None,
) -> list[StageCount]:
    """For contacts created from `start` to `end` (both included), how many reached each funnel stage.

    A contact currently in stage S has reached every stage up to S; churned counts as having reached
    customer. One query: contacts grouped by their current stage (and source campaign)."""
    filters = _Filters(start, end, campaign_id, channel, campaigns_visible)
    return _funnel(filters.stage_counts())


def cost_per_lead(
    *,
    start: date,
    end: date,
    campaign_id: int | None = None,
    channel: str | None = None,
    campaigns_visible: CampaignScope = None,
) -> list[CampaignCostRow]:
    """Per campaign: spend in the period (its CampaignCost days from `start` to `end`), leads (contacts
    created in the period with it as first-touch source campaign), how many of those leads reached SQL
    and customer (churned counts as both). Campaigns with neither spend nor leads in the period are left
    out. Ordered by spend, then leads. Three queries."""
    filters = _Filters(start, end, campaign_id, channel, campaigns_visible)
    return _cost_rows(filters, filters.stage_counts())


def cost_per_lead_total(rows: list[CampaignCostRow]) -> CampaignCostRow:
    """The table's footer: all listed campaigns together."""
    return CampaignCostRow(
        campaign_id=None,
        name="All campaigns",
        channel="",
        spend=sum((r.spend for r in rows), Decimal("0.00")),
        leads=sum(r.leads for r in rows),
        sqls=sum(r.sqls for r in rows),
        customers=sum(r.customers for r in rows),
    )


def _by_day(filters: _Filters) -> list[DayPoint]:
    since, until = Period(start=filters.start, end=filters.end).datetime_range()
    leads = dict(
        filters.contacts()
        .annotate(day=local_date("created_at", since=since, until=until))
        .order_by()
        .values_list("day")
        .annotate(n=Count("id"))
    )
    spend = dict(filters.costs().order_by().values_list("date").annotate(total=Sum("amount")))
    days = (filters.start + timedelta(days=i) for i in range((filters.end - filters.start).days + 1))
    return [DayPoint(day=d, leads=leads.get(d, 0), spend=spend.get(d) or Decimal("0.00")) for d in days]


def leads_and_spend_by_day(
    *,
    start: date,
    end: date,
    campaign_id: int | None = None,
    channel: str | None = None,
    campaigns_visible: CampaignScope = None,
) -> list[DayPoint]:
    """New contacts and campaign spend per calendar day (site time zone), every day of the period
    present, zeros included. Two queries."""
    return _by_day(_Filters(start, end, campaign_id, channel, campaigns_visible))


@dataclass(frozen=True)
class Dashboard:
    funnel: list[StageCount]
    costs: list[CampaignCostRow]
    total: CampaignCostRow
    trend: list[DayPoint]

    def reached(self, stage: str) -> int:
        return next((s.reached for s in self.funnel if s.stage == stage), 0)

    @property
    def new_contacts(self) -> int:
        return self.funnel[0].reached if self.funnel else 0

    @property
    def mqls(self) -> int:
        return self.reached(Stage.MQL)

    @property
    def sqls(self) -> int:
        return self.reached(Stage.SQL)

    @property
    def customers(self) -> int:
        return self.reached(Stage.CUSTOMER)

    def trend_chart(self) -> dict[str, list]:
        """The trend as plain lists for the chart (rendered with json_script)."""
        return {
            "labels": [p.day.isoformat() for p in self.trend],
            "leads": [p.leads for p in self.trend],
            "spend": [float(p.spend) for p in self.trend],
        }


def dashboard_get(
    *,
    start: date,
    end: date,
    campaign_id: int | None = None,
    channel: str | None = None,
    campaigns_visible: CampaignScope = None,
) -> Dashboard:
    """Everything the dashboard shows for one set of filters, in five queries: contacts by (campaign,
    stage) feed both the funnel and the cost table; spend by campaign; campaign names; contacts and
    spend by day."""
    filters = _Filters(start, end, campaign_id, channel, campaigns_visible)
    counts = filters.stage_counts()
    costs = _cost_rows(filters, counts)
    return Dashboard(
        funnel=_funnel(counts),
        costs=costs,
        total=cost_per_lead_total(costs),
        trend=_by_day(filters),
    )
