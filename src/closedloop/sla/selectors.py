"""SLA reads: a contact's clocks, a rep's open clocks, and the SLA report (per rep, team and month;
clocks met and breached, median business time; monthly volumes against their targets)."""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.agreement.models import SlaKind
from closedloop.agreement.selectors import agreement_terms_active
from closedloop.crm.lifecycle import STAGE_ORDER
from closedloop.crm.models import StageTransition
from closedloop.sla.calendar import calendar_row_get
from closedloop.sla.models import ClockStatus, SlaClock

GROUPS = ("rep", "team", "month")
KIND_LABELS = dict(SlaKind.choices)


def clocks_for_contact(*, contact_id: int) -> QuerySet[SlaClock]:
    return SlaClock.objects.filter(contact_id=contact_id).select_related("owner").order_by("started_at", "id")


def open_clocks_for(*, user: User) -> QuerySet[SlaClock]:
    """Clocks the user is held to that have not stopped, the most urgent first."""
    return (
        SlaClock.objects.filter(owner=user, stopped_at__isnull=True)
        .select_related("contact")
        .order_by("due_at")
    )


def breaches_between(*, start: datetime, end: datetime) -> QuerySet[SlaClock]:
    """Clocks that breached in [start, end), oldest first (the meetings' agenda pack lists them)."""
    return (
        SlaClock.objects.filter(breached_at__gte=start, breached_at__lt=end)
        .select_related("owner", "contact")
        .order_by("breached_at", "id")
    )


@dataclass
class ReportRow:
    key: str
    label: str
    kind: str
    total: int = 0
    met: int = 0
    breached: int = 0
    open_overdue: int = 0  # breached and still not done
    running: int = 0
    _elapsed: list[float] = field(default_factory=list, repr=False)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def breach_rate(self) -> float | None:
        decided = self.met + self.breached
        return self.breached / decided if decided else None

    @property
    def median_business_hours(self) -> float | None:
        return statistics.median(self._elapsed) / 3600 if self._elapsed else None


@dataclass(frozen=True)
class VolumeRow:
    month: date
    stage: str
    target: int
    delivered: int
    owner_team: str

    @property
    def met(self) -> bool:
        return self.delivered >= self.target

    @property
    def shortfall(self) -> int:
        return max(0, self.target - self.delivered)


def _local_range(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return datetime.combine(start, time(), tz), datetime.combine(end + timedelta(days=1), time(), tz)


def sla_report(*, start: date, end: date, group: str = "rep") -> list[ReportRow]:
    """Clocks started between `start` and `end` (local dates, inclusive), grouped by owner, team or
    month of start, one row per group and clock kind. Cancelled clocks hold nobody to anything and
    are left out."""
    if group not in GROUPS:
        raise ValueError(f"group: one of {', '.join(GROUPS)}")
    tz = ZoneInfo(calendar_row_get().time_zone)
    since, until = _local_range(start, end, tz)
    clocks = (
        SlaClock.objects.filter(started_at__gte=since, started_at__lt=until)
        .exclude(status=ClockStatus.CANCELLED)
        .select_related("owner", "owner__team")
    )
    rows: dict[tuple[str, str], ReportRow] = {}
    for clock in clocks:
        key, label = _group_of(clock, group, tz)
        row = rows.setdefault((key, clock.kind), ReportRow(key=key, label=label, kind=clock.kind))
        row.total += 1
        if clock.stopped_at is None:
            if clock.status == ClockStatus.BREACHED:
                row.breached += 1
                row.open_overdue += 1
            else:
                row.running += 1
            continue
        if clock.status == ClockStatus.BREACHED:
            row.breached += 1
        else:
            row.met += 1
        if clock.elapsed_business_seconds is not None:
            row._elapsed.append(clock.elapsed_business_seconds)
    return sorted(rows.values(), key=lambda r: (r.key, r.kind))


def _group_of(clock: SlaClock, group: str, tz: ZoneInfo) -> tuple[str, str]:
    if group == "month":
        month = clock.started_at.astimezone(tz).date().replace(day=1)
        return month.isoformat(), f"{month:%B %Y}"
    owner = clock.owner
    if group == "team":
        team = owner.team if owner is not None else None
        return (str(team.pk), team.name) if team is not None else ("", "No team")
    return (str(owner.pk), owner.display_name) if owner is not None else ("", "No owner")


def volume_report(*, start: date, end: date) -> list[VolumeRow]:
    """Each monthly-volume term of the active agreement against what was delivered, per month.
    A lead counts as delivered to `stage` in the month it first crossed into that stage or beyond
    (a jump over the stage counts too, as the funnel does)."""
    terms = agreement_terms_active()
    if terms is None:
        return []
    volume_terms = terms.sla_terms_for(kind=SlaKind.VOLUME_PER_MONTH)
    if not volume_terms:
        return []
    tz = ZoneInfo(calendar_row_get().time_zone)
    order = list(terms.stage_order) or list(STAGE_ORDER)
    first = start.replace(day=1)
    since, until = _local_range(first, end, tz)
    rows = []
    for term in volume_terms:
        if term.stage not in order:
            continue
        index = order.index(term.stage)
        crossings = StageTransition.objects.filter(
            at__gte=since, at__lt=until, to_stage__in=order[index:], from_stage__in=order[:index]
        ).values_list("contact_id", "at")
        by_month: dict[date, set[int]] = defaultdict(set)
        for contact_id, at in crossings:
            by_month[at.astimezone(tz).date().replace(day=1)].add(contact_id)
        month = first
        while month <= end:
            rows.append(
                VolumeRow(month, term.stage, term.amount, len(by_month.get(month, ())), term.owner_team)
            )
            month = (month + timedelta(days=32)).replace(day=1)
    return rows


def default_report_range(today: date | None = None) -> tuple[date, date]:
    """The last three calendar months including this one."""
    today = today or timezone.localdate()
    start = today.replace(day=1)
    for _ in range(2):
        start = (start - timedelta(days=1)).replace(day=1)
    return start, today
