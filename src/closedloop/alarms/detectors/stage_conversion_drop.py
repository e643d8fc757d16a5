"""A stage conversion that drops sharply week over week (e.g. MQL→SQL): the latest weekly cohort of
contacts that entered a stage converts much less than the four weeks before it.

Cohorts are compared on the same footing: conversion within W days of entering the stage. The
latest cohort is therefore the latest week whose members have all had their W days — for MQL→SQL
with W = 7, the contacts that became MQL between 14 and 7 days ago. A pooled two-proportion z-test
(one-sided) says whether the drop is more than chance."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Min
from django.utils import timezone

from closedloop.alarms.detectors.finding import Finding
from closedloop.alarms.models import AlarmKind, Severity
from closedloop.alarms.significance import p_text, two_proportion_drop
from closedloop.crm.lifecycle import STAGE_ORDER, Stage, stage_rank
from closedloop.crm.models import StageTransition

KIND = AlarmKind.STAGE_CONVERSION_DROP
COHORT_DAYS = 7
BEFORE_WEEKS = 4
MIN_RECENT = 20  # contacts in the latest cohort
MIN_BEFORE = 40  # contacts in the four cohorts before
MIN_EXPECTED = 5.0  # conversions the latest cohort would have had at the earlier rate
# Weekly cohorts differ by more than chance (the mix of channels and events shifts from week to
# week; the demo's SQL→opportunity rate wanders between 8% and 32%), so the bar is high: a drop to
# at most 60% of the earlier rate, at p < 0.001. Hourly checks make a 1% bar ring every few weeks.
MAX_RATIO = 0.6
RAISE_P = 0.001
SUSTAIN_P = 0.01
CRITICAL_P = 0.0001


@dataclass(frozen=True)
class StagePair:
    from_stage: str
    to_stage: str
    within_days: int  # conversion counted within this many days of entering from_stage

    @property
    def key(self) -> str:
        return f"{self.from_stage}>{self.to_stage}"

    @property
    def label(self) -> str:
        return f"{Stage(self.from_stage).label}→{Stage(self.to_stage).label}"


# Opportunity→customer takes months (the sales cycle): a weekly cohort cannot show a drop in time
# for an alarm; the funnel reports cover it.
PAIRS = (
    StagePair(Stage.IQL, Stage.MQL, 14),
    StagePair(Stage.MQL, Stage.SQL, 7),
    StagePair(Stage.SQL, Stage.OPPORTUNITY, 7),
)


def _beyond(stage: str) -> tuple[str, ...]:
    return tuple(s for s in STAGE_ORDER if stage_rank(s) >= stage_rank(stage))


def _day(value: datetime) -> str:
    local = timezone.localtime(value)
    return f"{local.day} {local:%b}"


def detect(*, now: datetime) -> list[Finding]:
    findings = []
    for pair in PAIRS:
        finding = _judge(pair, now=now)
        if finding is not None:
            findings.append(finding)
    return findings


def _judge(pair: StagePair, *, now: datetime) -> Finding | None:
    within = timedelta(days=pair.within_days)
    recent_until = now - within
    recent_from = recent_until - timedelta(days=COHORT_DAYS)
    before_from = recent_from - timedelta(days=COHORT_DAYS * BEFORE_WEEKS)
    # Each contact counts once, in the week it first entered the stage.
    entered = dict(
        StageTransition.objects.filter(to_stage=pair.from_stage)
        .order_by()
        .values("contact_id")
        .annotate(first=Min("at"))
        .filter(first__gte=before_from, first__lt=recent_until)
        .values_list("contact_id", "first")
    )
    if not entered:
        return None
    candidates = StageTransition.objects.filter(
        to_stage=pair.from_stage, at__gte=before_from, at__lt=recent_until
    ).values("contact_id")
    converted_at = dict(
        StageTransition.objects.filter(
            contact_id__in=candidates, to_stage__in=_beyond(pair.to_stage), at__lt=now
        )
        .order_by()
        .values("contact_id")
        .annotate(first=Min("at"))
        .values_list("contact_id", "first")
    )
    n_recent = x_recent = n_before = x_before = 0
    for contact_id, at in entered.items():
        done = converted_at.get(contact_id)
        hit = done is not None and at <= done <= at + within
        if at >= recent_from:
            n_recent += 1
            x_recent += hit
        else:
            n_before += 1
            x_before += hit
    if n_recent < MIN_RECENT or n_before < MIN_BEFORE or x_before == 0:
        return None
    rate_recent, rate_before = x_recent / n_recent, x_before / n_before
    if n_recent * rate_before < MIN_EXPECTED:
        return None
    test = two_proportion_drop(x_recent=x_recent, n_recent=n_recent, x_before=x_before, n_before=n_before)
    raises = test.p_value < RAISE_P and rate_recent <= MAX_RATIO * rate_before
    if not raises and not (test.p_value < SUSTAIN_P and rate_recent < rate_before):
        return None
    from_label, to_label = Stage(pair.from_stage).label, Stage(pair.to_stage).label
    last_day = recent_until - timedelta(seconds=1)
    message = (
        f"{pair.label} conversion dropped from {rate_before:.1%} to {rate_recent:.1%}. Of the "
        f"{n_recent:,} contacts who became {from_label} between {_day(recent_from)} and {_day(last_day)}, "
        f"{x_recent:,} became {to_label} within {pair.within_days} days; of the {n_before:,} who became "
        f"{from_label} in the {BEFORE_WEEKS} weeks before, {x_before:,} did "
        f"(z = {test.z:.2f}, {p_text(test.p_value)})."
    )
    return Finding(
        kind=KIND,
        subject_key=f"stage:{pair.key}",
        severity=Severity.CRITICAL if test.p_value < CRITICAL_P else Severity.WARNING,
        title=f"{pair.label} conversion dropped to {rate_recent:.0%} (was {rate_before:.0%})",
        message=message,
        evidence={
            "from_stage": pair.from_stage,
            "to_stage": pair.to_stage,
            "within_days": pair.within_days,
            "recent_from": recent_from.isoformat(),
            "recent_until": recent_until.isoformat(),
            "before_from": before_from.isoformat(),
            "recent": {"entered": n_recent, "converted": x_recent, "rate": round(rate_recent, 4)},
            "before": {"entered": n_before, "converted": x_before, "rate": round(rate_before, 4)},
            "z": round(test.z, 3),
            "p_value": test.p_value,
        },
        stage_pair=pair.key,
        raises=raises,
    )
