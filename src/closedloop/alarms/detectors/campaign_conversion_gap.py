"""Seed 000's incident: a campaign that brings clicks and calls but no qualified leads. Each
campaign's recent clicks are judged against the rate at which clicks become leads and MQLs — on
its own earlier history when it has enough, else on the other campaigns of its channel — allowing
for the time those outcomes usually take. docs/alarms.md states the statistics.

In short, for each outcome (lead, MQL, handoff accepted by sales):
    rate r      = outcomes reached in the baseline window / ad clicks in that window
    lag CDF F   = share of the baseline's outcomes reached within t of the contact's first touch
    expected E  = r × Σ over the campaign's clicks in the last 14 days of F(now − click time)
    observed O  = the campaign's contacts first touched in that window that reached the outcome
    raise when E ≥ 5, O ≤ E/2 and P(X ≤ O | Poisson(E)) < 1%

Without the lag term every healthy new campaign would be flagged: an MQL comes a median two weeks
after the first click, so a day-old campaign has no MQLs whatever its quality."""

import bisect
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from closedloop.alarms.detectors.finding import Finding
from closedloop.alarms.models import AlarmKind, Severity
from closedloop.alarms.significance import p_text, poisson_cdf
from closedloop.crm.lifecycle import STAGE_ORDER, Stage, stage_rank
from closedloop.crm.models import Contact
from closedloop.handoff.models import HandoffStatus
from closedloop.tracking.models import Campaign, Channel, Event, EventType

KIND = AlarmKind.CAMPAIGN_CONVERSION_GAP
RECENT_DAYS = 14  # the window under test: the last two weeks, or since the first click if later
BASELINE_DAYS = 90
MIN_CLICKS = 20  # fewer ad clicks in the window: nothing to judge
MIN_BASELINE_OUTCOMES = 20  # a rate from fewer outcomes is too noisy to accuse a campaign with
MIN_EXPECTED = 5.0
MAX_SHARE_OF_EXPECTED = 0.5  # significant but only a little short is a report, not an alarm
RAISE_P = 0.01
SUSTAIN_P = 0.05  # an active alarm stays open until the shortfall is no longer even this clear
CRITICAL_P = 0.001

# "at the paid-search rate": how the message names a channel's rate.
CHANNEL_RATE_NAME: dict[str, str] = {
    Channel.PPC: "paid-search",
    Channel.SOCIAL: "paid-social",
    Channel.EMAIL: "email",
    Channel.ORGANIC: "organic-search",
    Channel.EVENTS: "events",
    Channel.PARTNER: "partner-agency",
    Channel.REFERRAL: "referral",
    Channel.DIRECT: "direct",
}

MQL_OR_BEYOND = tuple(s for s in STAGE_ORDER if stage_rank(s) >= stage_rank(Stage.MQL))


@dataclass(frozen=True)
class Reached:
    """A contact brought in by `campaign_id` that reached an outcome at `at`."""

    campaign_id: int
    first_touch: datetime
    at: datetime


def _first_event_ts() -> Subquery:
    return Subquery(Event.objects.filter(contact=OuterRef("pk")).order_by("ts").values("ts")[:1])


def _reached_rows(qs: QuerySet[Contact], at_field: str) -> list[Reached]:
    rows = qs.annotate(first_event=_first_event_ts()).values_list(
        "source_campaign_id", "created_at", "first_event", at_field
    )
    # First touch: the earliest event stitched to the contact (often the ad click that brought it),
    # or its creation when no event came before.
    return [Reached(c, min(created, first or created), at) for c, created, first, at in rows]


def leads_reached(campaign_ids: Iterable[int], since: datetime, until: datetime) -> list[Reached]:
    """A lead is a contact: someone who left their details (form) or called."""
    qs = Contact.objects.filter(
        source_campaign_id__in=list(campaign_ids), created_at__gte=since, created_at__lt=until
    )
    return _reached_rows(qs, "created_at")


def mqls_reached(campaign_ids: Iterable[int], since: datetime, until: datetime) -> list[Reached]:
    """The first time each contact reached MQL or any later stage."""
    qs = (
        Contact.objects.filter(source_campaign_id__in=list(campaign_ids))
        .annotate(
            mql_at=Min("stage_transitions__at", filter=Q(stage_transitions__to_stage__in=MQL_OR_BEYOND))
        )
        .filter(mql_at__gte=since, mql_at__lt=until)
    )
    return _reached_rows(qs, "mql_at")


def accepted_reached(campaign_ids: Iterable[int], since: datetime, until: datetime) -> list[Reached]:
    """The first time sales accepted each contact (seed 000: "no accepted handoffs" is the alarm
    sales would have raised themselves, had anyone asked)."""
    qs = (
        Contact.objects.filter(source_campaign_id__in=list(campaign_ids))
        .annotate(accepted_at=Min("handoffs__decided_at", filter=Q(handoffs__status=HandoffStatus.ACCEPTED)))
        .filter(accepted_at__gte=since, accepted_at__lt=until)
    )
    return _reached_rows(qs, "accepted_at")


@dataclass(frozen=True)
class Outcome:
    """A step of the funnel a campaign's clicks should lead to."""

    key: str
    singular: str
    plural: str
    reached: Callable[[Iterable[int], datetime, datetime], list[Reached]]
    # Named in the message even without a baseline; installations that do not record handoffs in
    # closedloop should not read "0 accepted handoffs" about every campaign.
    always_counted: bool = True


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("lead", "lead", "leads", leads_reached),
    Outcome("mql", "MQL", "MQLs", mqls_reached),
    Outcome("accepted", "accepted handoff", "accepted handoffs", accepted_reached, always_counted=False),
)


@dataclass(frozen=True)
class StepResult:
    outcome: Outcome
    observed: int
    expected: float
    eventual: float  # expected once every click in the window has had time to convert
    rate: float  # outcomes per click
    baseline: str  # "own" or "channel"
    baseline_clicks: int
    baseline_outcomes: int
    median_lag_days: float
    p_value: float

    @property
    def is_judged(self) -> bool:
        return self.expected >= MIN_EXPECTED

    @property
    def raises(self) -> bool:
        return (
            self.is_judged
            and self.observed <= MAX_SHARE_OF_EXPECTED * self.expected
            and self.p_value < RAISE_P
        )

    @property
    def sustains(self) -> bool:
        return self.is_judged and self.observed < self.expected and self.p_value < SUSTAIN_P

    def evidence(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.key,
            "observed": self.observed,
            "expected": round(self.expected, 2),
            "expected_eventually": round(self.eventual, 2),
            "rate_per_click": round(self.rate, 6),
            "clicks_per_outcome": round(1 / self.rate, 2),
            "baseline": self.baseline,
            "baseline_clicks": self.baseline_clicks,
            "baseline_outcomes": self.baseline_outcomes,
            "median_lag_days": round(self.median_lag_days, 2),
            "p_value": self.p_value,
            "significant": self.raises,
        }


def _share_within(sorted_lags: list[float], age: float) -> float:
    return bisect.bisect_right(sorted_lags, age) / len(sorted_lags)


def _step(
    outcome: Outcome,
    *,
    click_ages: list[float],
    observed: int,
    baseline: str,
    baseline_clicks: int,
    baseline_rows: list[Reached],
) -> StepResult | None:
    if baseline_clicks <= 0 or len(baseline_rows) < MIN_BASELINE_OUTCOMES:
        return None
    rate = len(baseline_rows) / baseline_clicks
    lags = sorted((r.at - r.first_touch).total_seconds() for r in baseline_rows)
    matured = sum(_share_within(lags, age) for age in click_ages)
    expected = rate * matured
    return StepResult(
        outcome=outcome,
        observed=observed,
        expected=expected,
        eventual=rate * len(click_ages),
        rate=rate,
        baseline=baseline,
        baseline_clicks=baseline_clicks,
        baseline_outcomes=len(baseline_rows),
        median_lag_days=lags[len(lags) // 2] / 86400,
        p_value=poisson_cdf(observed, expected),
    )


def _count_by_campaign(qs: QuerySet[Event]) -> dict[int, int]:
    return dict(
        qs.order_by().values_list("campaign_id").annotate(n=Count("id")).values_list("campaign_id", "n")
    )


def detect(*, now: datetime) -> list[Finding]:
    recent_from = now - timedelta(days=RECENT_DAYS)
    baseline_from = now - timedelta(days=BASELINE_DAYS)
    own_from = recent_from - timedelta(days=BASELINE_DAYS)
    clicks = Event.objects.filter(type=EventType.AD_CLICK, ts__lt=now, campaign__isnull=False)
    recent_clicks = _count_by_campaign(clicks.filter(ts__gte=recent_from))
    candidates = [c for c, n in recent_clicks.items() if n >= MIN_CLICKS]
    if not candidates:
        return []
    by_channel: dict[str, list[Campaign]] = defaultdict(list)
    for campaign in Campaign.objects.filter(pk__in=candidates).select_related("landing_page"):
        by_channel[campaign.channel].append(campaign)

    findings = []
    for channel, campaigns in by_channel.items():
        in_channel = list(Campaign.objects.filter(channel=channel).values_list("pk", flat=True))
        channel_clicks = clicks.filter(campaign_id__in=in_channel)
        clicks_baseline = _count_by_campaign(channel_clicks.filter(ts__gte=baseline_from))
        clicks_own = _count_by_campaign(channel_clicks.filter(ts__gte=own_from, ts__lt=recent_from))
        reached = {o.key: o.reached(in_channel, own_from, now) for o in OUTCOMES}
        for campaign in campaigns:
            finding = _judge(
                campaign,
                now=now,
                recent_from=recent_from,
                baseline_from=baseline_from,
                clicks_baseline=clicks_baseline,
                clicks_own=clicks_own.get(campaign.pk, 0),
                reached=reached,
            )
            if finding is not None:
                findings.append(finding)
    return findings


def _judge(
    campaign: Campaign,
    *,
    now: datetime,
    recent_from: datetime,
    baseline_from: datetime,
    clicks_baseline: dict[int, int],
    clicks_own: int,
    reached: dict[str, list[Reached]],
) -> Finding | None:
    click_times = list(
        Event.objects.filter(
            campaign=campaign, type=EventType.AD_CLICK, ts__gte=recent_from, ts__lt=now
        ).values_list("ts", flat=True)
    )
    window_from = min(click_times)
    click_ages = [(now - t).total_seconds() for t in click_times]
    calls = Event.objects.filter(
        campaign=campaign, type=EventType.CALL, ts__gte=window_from, ts__lt=now
    ).count()
    other_clicks = sum(n for c, n in clicks_baseline.items() if c != campaign.pk)

    steps: list[StepResult] = []
    observed_counts: dict[str, int] = {}
    for outcome in OUTCOMES:
        rows = reached[outcome.key]
        observed = sum(1 for r in rows if r.campaign_id == campaign.pk and r.first_touch >= window_from)
        observed_counts[outcome.key] = observed
        own_rows = [r for r in rows if r.campaign_id == campaign.pk and r.at < recent_from]
        # Its own history says whether it broke; the channel says whether a new one is sound.
        step = _step(
            outcome,
            click_ages=click_ages,
            observed=observed,
            baseline="own",
            baseline_clicks=clicks_own,
            baseline_rows=own_rows,
        ) or _step(
            outcome,
            click_ages=click_ages,
            observed=observed,
            baseline="channel",
            baseline_clicks=other_clicks,
            baseline_rows=[r for r in rows if r.campaign_id != campaign.pk and r.at >= baseline_from],
        )
        if step is not None:
            steps.append(step)

    raising = [s for s in steps if s.raises]
    if not raising and not any(s.sustains for s in steps):
        return None
    page = campaign.landing_page
    page_unreviewed = page is not None and (
        page.reviewed_by_sales_at is None or page.reviewed_by_sales_at > now
    )
    # Clicks before the start date (people who found an ad early) count, but "in N days" counts
    # from the start date, as people say it.
    since = window_from
    if campaign.starts_on is not None:
        start = timezone.make_aware(datetime.combine(campaign.starts_on, time.min))
        since = max(since, min(start, now))
    days = max(1, math.ceil((now - since).total_seconds() / 86400))
    judged = raising or [s for s in steps if s.sustains]
    worst = min(s.p_value for s in judged)
    evidence = {
        "window_from": window_from.isoformat(),
        "now": now.isoformat(),
        "days": days,
        "clicks": len(click_times),
        "calls": calls,
        "observed": observed_counts,
        "channel": campaign.channel,
        "landing_page_reviewed": not page_unreviewed if page else None,
        "steps": [s.evidence() for s in steps],
    }
    return Finding(
        kind=KIND,
        subject_key=f"campaign:{campaign.pk}",
        severity=Severity.CRITICAL if worst < CRITICAL_P else Severity.WARNING,
        title=_title(campaign, judged, calls=calls),
        message=_message(campaign, steps, evidence, page_unreviewed=page_unreviewed),
        evidence=evidence,
        campaign_id=campaign.pk,
        landing_page_id=page.pk if page else None,
        raises=bool(raising),
    )


def _title(campaign: Campaign, judged: list[StepResult], *, calls: int) -> str:
    deepest = judged[-1]
    traffic = "clicks and calls" if calls else "clicks"
    if deepest.observed == 0:
        return f"{campaign.name}: {traffic} but no {deepest.outcome.plural}"
    return f"{campaign.name}: far fewer {deepest.outcome.plural} than its {traffic} should bring"


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _duration(days: float) -> str:
    hours = days * 24
    if hours < 1:
        return f"{hours * 60:.0f} minutes"
    if hours < 48:
        return f"{hours:.0f} hours" if round(hours) != 1 else "1 hour"
    return f"{days:.1f} days"


def _message(
    campaign: Campaign, steps: list[StepResult], evidence: dict[str, Any], *, page_unreviewed: bool
) -> str:
    day_word = "day" if evidence["days"] == 1 else "days"
    baselined = {s.outcome.key for s in steps}
    counts = ", ".join(
        f"{evidence['observed'][o.key]:,} {o.plural}"
        for o in OUTCOMES
        if o.always_counted or o.key in baselined
    )
    parts = [
        f"{campaign.name}: {evidence['clicks']:,} clicks and {evidence['calls']:,} calls in "
        f"{evidence['days']} {day_word}, {counts}."
    ]
    rate_name = CHANNEL_RATE_NAME.get(campaign.channel, campaign.channel)
    # The deepest outcome first: "no MQLs" is the news; the lead shortfall explains it.
    for step in reversed(steps):
        per = 1 / step.rate
        per_text = f"{per:,.0f}" if per >= 10 else f"{per:,.1f}"
        source = (
            f"the {rate_name} rate" if step.baseline == "channel" else "its own rate of the previous 90 days"
        )
        rate = f"1 {step.outcome.singular} per {per_text} clicks"
        lag = f"the median {_duration(step.median_lag_days)} from first touch to {step.outcome.singular}"
        if step.raises or step.sustains:
            parts.append(
                f"At {source}, {rate}, {_number(step.expected)} {step.outcome.plural} were expected by now, "
                f"allowing for {lag} ({p_text(step.p_value)})."
            )
        elif not step.is_judged:
            parts.append(
                f"Too early to judge {step.outcome.plural}: {_number(step.expected)} expected by now "
                f"at {rate}."
            )
        else:
            parts.append(
                f"{step.outcome.plural} are within the expected range ({_number(step.expected)} at {rate})."
            )
    if page_unreviewed:
        parts.append("Its landing page has not been reviewed by sales.")
    return " ".join(parts)
