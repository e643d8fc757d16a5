"""Friction diagnosis: which stage transition lost the most value this period, and who owns it.

For each stage pair A → B, this period's conversion is compared with a baseline (by default the
4 periods before): lost conversions = (baseline rate − current rate) × this period's entrants,
and lost value = lost conversions × what a conversion into B is worth downstream (value per
customer × the baseline conversion from B on to the last stage). Each pair gets one blameless
sentence naming the facts, the owner from the Agreement and the commonest rejection reason —
seed 001's "work together to identify the issue" instead of finger-pointing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta

import pyarrow as pa

from closedloop.engine.kpis import in_period, win_rate
from closedloop.engine.kpis_stages import FUNNEL_STAGES, stage_conversion
from closedloop.engine.periods import Period, column_datetimes, require_columns

__all__ = [
    "FrictionReport",
    "TransitionFriction",
    "average_won_amount",
    "friction_diagnose",
    "friction_run",
    "stage_label",
]

_ACRONYMS = {"iql": "IQL", "mql": "MQL", "sql": "SQL"}


def stage_label(stage: str) -> str:
    """How a stage reads in a sentence: the seeds' acronyms in capitals, other stages as named."""
    return _ACRONYMS.get(stage, stage)


@dataclass(frozen=True)
class TransitionFriction:
    """One stage pair this period against its baseline. Rates are shares (0.41 = 41 %); lost
    conversions and value are negative when the pair did better than its baseline."""

    from_stage: str
    to_stage: str
    owner: str | None
    entered: int
    converted: int
    in_progress: int
    current_rate: float | None
    baseline_entered: int
    baseline_converted: int
    baseline_rate: float | None
    lost_conversions: float | None
    value_per_conversion: float | None
    lost_value: float | None
    rejections: int
    top_reason: str | None
    top_reason_share: float | None
    sentence: str


@dataclass(frozen=True)
class FrictionReport:
    """Every pair in stage order; :attr:`worst` is the one to talk about first."""

    transitions: tuple[TransitionFriction, ...]
    period: Period | None = None
    baseline: tuple[Period, ...] = ()

    def ranked(self) -> tuple[TransitionFriction, ...]:
        """Pairs by lost value, largest loss first; pairs that cannot be valued come last."""
        valued = [t for t in self.transitions if t.lost_value is not None]
        unvalued = [t for t in self.transitions if t.lost_value is None]
        return (*sorted(valued, key=lambda t: -(t.lost_value or 0.0)), *unvalued)

    @property
    def worst(self) -> TransitionFriction | None:
        """The pair that lost the most value, or None when no pair lost any."""
        top = self.ranked()[0] if self.transitions else None
        return top if top is not None and top.lost_value is not None and top.lost_value > 0 else None

    def to_table(self) -> pa.Table:
        rows = [asdict(t) for t in self.ranked()]
        return pa.Table.from_pylist(rows, schema=_SCHEMA)


_SCHEMA = pa.schema(
    [
        ("from_stage", pa.string()),
        ("to_stage", pa.string()),
        ("owner", pa.string()),
        ("entered", pa.int64()),
        ("converted", pa.int64()),
        ("in_progress", pa.int64()),
        ("current_rate", pa.float64()),
        ("baseline_entered", pa.int64()),
        ("baseline_converted", pa.int64()),
        ("baseline_rate", pa.float64()),
        ("lost_conversions", pa.float64()),
        ("value_per_conversion", pa.float64()),
        ("lost_value", pa.float64()),
        ("rejections", pa.int64()),
        ("top_reason", pa.string()),
        ("top_reason_share", pa.float64()),
        ("sentence", pa.string()),
    ]
)


def _sums(table: pa.Table, what: str) -> dict[tuple[str, str], tuple[int, int, int]]:
    """(entered, converted, in_progress) per pair; several rows of one pair (periods) add up."""
    require_columns(table, ("from_stage", "to_stage", "entered", "converted"), what)
    sums: dict[tuple[str, str], tuple[int, int, int]] = {}
    for row in table.to_pylist():
        pair = (row["from_stage"], row["to_stage"])
        e, c, p = sums.get(pair, (0, 0, 0))
        sums[pair] = (
            e + (row["entered"] or 0),
            c + (row["converted"] or 0),
            p + (row.get("in_progress") or 0),
        )
    return sums


def _reasons(rejections: pa.Table | None, period: Period | None) -> dict[tuple[str, str], Counter[str]]:
    if rejections is None:
        return {}
    require_columns(rejections, ("from_stage", "to_stage", "reason"), "rejections")
    if period is not None and "at" in rejections.column_names:
        rejections = rejections.filter(
            pa.array(in_period(column_datetimes(rejections, "at", "rejections"), period))
        )
    counts: dict[tuple[str, str], Counter[str]] = {}
    for row in rejections.select(["from_stage", "to_stage", "reason"]).to_pylist():
        reason = (row["reason"] or "").strip() or "no reason given"
        counts.setdefault((row["from_stage"], row["to_stage"]), Counter())[reason] += 1
    return counts


def friction_diagnose(
    current: pa.Table,
    baseline: pa.Table,
    *,
    value_per_customer: float,
    owners: Mapping[tuple[str, str], str] | None = None,
    rejections: pa.Table | None = None,
    period: Period | None = None,
    labels: Mapping[str, str] | None = None,
) -> FrictionReport:
    """Diagnose from conversion counts (as :func:`~closedloop.engine.kpis_stages.stage_conversion`
    returns them): ``current`` for this period, ``baseline`` with any number of rows per pair
    (one per baseline period — pooled, so a quiet month weighs less than a busy one).

    ``value_per_customer``: what one conversion into the last stage is worth (e.g. the average
    won-deal amount). ``owners`` maps a pair to the team the Agreement makes responsible.
    ``rejections``: ``from_stage, to_stage, reason`` (and ``at``, filtered to ``period``).
    """
    now, base = _sums(current, "current"), _sums(baseline, "baseline")
    owners = owners or {}
    reasons = _reasons(rejections, period)
    pairs = list(now) + [p for p in base if p not in now]
    base_rate = {p: (c / e if e else None) for p, (e, c, _) in base.items()}
    now_rate = {p: (c / e if e else None) for p, (e, c, _) in now.items()}
    next_pair = {a: (a, b) for a, b in pairs}
    result = []
    for pair in pairs:
        entered, converted, in_progress = now.get(pair, (0, 0, 0))
        b_entered, b_converted, _ = base.get(pair, (0, 0, 0))
        current_rate, baseline_rate = now_rate.get(pair), base_rate.get(pair)
        value = _downstream_value(pair[1], next_pair, base_rate, now_rate, value_per_customer)
        lost = None
        if baseline_rate is not None and current_rate is not None:
            lost = (baseline_rate - current_rate) * entered
        lost_value = lost * value if lost is not None and value is not None else None
        counter = reasons.get(pair, Counter())
        total = sum(counter.values())
        top, top_n = counter.most_common(1)[0] if total else (None, 0)
        item = TransitionFriction(
            from_stage=pair[0],
            to_stage=pair[1],
            owner=owners.get(pair),
            entered=entered,
            converted=converted,
            in_progress=in_progress,
            current_rate=current_rate,
            baseline_entered=b_entered,
            baseline_converted=b_converted,
            baseline_rate=baseline_rate,
            lost_conversions=lost,
            value_per_conversion=value,
            lost_value=lost_value,
            rejections=total,
            top_reason=top,
            top_reason_share=top_n / total if total else None,
            sentence="",
        )
        result.append(_with_sentence(item, labels or {}))
    return FrictionReport(tuple(result), period)


def _downstream_value(
    stage: str,
    next_pair: Mapping[str, tuple[str, str]],
    base_rate: Mapping[tuple[str, str], float | None],
    now_rate: Mapping[tuple[str, str], float | None],
    value_per_customer: float,
) -> float | None:
    """value_per_customer × Π conversion rates from ``stage`` on to the last stage, baseline rates
    first (steadier and fully matured), this period's where there is no baseline."""
    value, seen = value_per_customer, set()
    while stage in next_pair and stage not in seen:
        seen.add(stage)
        pair = next_pair[stage]
        rate = base_rate.get(pair)
        rate = rate if rate is not None else now_rate.get(pair)
        if rate is None:
            return None
        value *= rate
        stage = pair[1]
    return value


def _with_sentence(item: TransitionFriction, labels: Mapping[str, str]) -> TransitionFriction:
    a = labels.get(item.from_stage, stage_label(item.from_stage))
    b = labels.get(item.to_stage, stage_label(item.to_stage))
    if item.entered == 0:
        head = f"{a} → {b}: no contacts entered {a} this period"
    elif item.baseline_rate is None or item.current_rate is None:
        head = f"{a} → {b} is {item.current_rate:.0%} this period, with no baseline to compare"
    else:
        now, then = f"{item.current_rate:.0%}", f"{item.baseline_rate:.0%}"
        verb = "held at" if now == then else ("fell" if item.current_rate < item.baseline_rate else "rose")
        head = f"{a} → {b} {verb} {now}" if verb == "held at" else f"{a} → {b} {verb} from {then} to {now}"
        notes = []
        if item.lost_conversions is not None and round(item.lost_conversions) > 0:
            worth = f", worth {item.lost_value:,.0f}" if item.lost_value is not None else ""
            n = round(item.lost_conversions)
            notes.append(f"about {n} fewer conversion{'' if n == 1 else 's'}{worth}")
        if item.in_progress:
            notes.append(f"{item.in_progress} still in progress")
        if notes:
            head += f" ({'; '.join(notes)})"
    parts = [head, f"owned by {item.owner}" if item.owner else "no owner set in the agreement"]
    if item.top_reason is not None and item.top_reason_share is not None:
        parts.append(f"{item.top_reason_share:.0%} of rejections say '{item.top_reason}'")
    return replace(item, sentence="; ".join(parts))


def average_won_amount(deals: pa.Table, periods: Sequence[Period]) -> float | None:
    """Mean amount of the deals won in ``periods`` (``stage``, ``amount``, ``created_at``,
    ``closed_at``); None when none was won."""
    won, amount = 0, 0.0
    for p in periods:
        row = win_rate(deals, p).to_pylist()[0]
        won, amount = won + row["won"], amount + row["won_amount"]
    return amount / won if won else None


def friction_run(
    transitions: pa.Table,
    period: Period,
    *,
    baseline: int | Sequence[Period] = 4,
    deals: pa.Table | None = None,
    value_per_customer: float | None = None,
    owners: Mapping[tuple[str, str], str] | None = None,
    rejections: pa.Table | None = None,
    stages: Sequence[str] = FUNNEL_STAGES,
    window: timedelta | None = None,
    as_of: datetime | None = None,
    labels: Mapping[str, str] | None = None,
) -> FrictionReport:
    """Friction from the stage history: conversions per adjacent stage pair in ``period`` and in
    the ``baseline`` periods (a count means that many periods right before), then
    :func:`friction_diagnose`.

    The value of a customer is ``value_per_customer`` or, failing that, the average won-deal
    amount in ``deals`` over the baseline and current periods. Use a conversion ``window`` and
    an ``as_of`` at least a window after the period's end where you can: otherwise this period's
    cohort has had less time to convert than the baseline's, and its rate looks worse than it is
    (the ``in_progress`` counts show how much).
    """
    base_periods = period.previous(baseline) if isinstance(baseline, int) else tuple(baseline)
    if not base_periods:
        raise ValueError("the baseline needs at least one period")
    if value_per_customer is None:
        if deals is None:
            raise ValueError("pass deals (to average won-deal amounts) or value_per_customer")
        value_per_customer = average_won_amount(deals, (*base_periods, period))
        if value_per_customer is None:
            raise ValueError(
                "no deal was won in the baseline or current periods, so a customer has no value yet"
            )
    as_of = as_of or datetime.now(UTC)
    current = stage_conversion(transitions, period, stages=stages, window=window, as_of=as_of)
    past = pa.concat_tables(
        [stage_conversion(transitions, p, stages=stages, window=window, as_of=as_of) for p in base_periods]
    )
    report = friction_diagnose(
        current,
        past,
        value_per_customer=value_per_customer,
        owners=owners,
        rejections=rejections,
        period=period,
        labels=labels,
    )
    return FrictionReport(report.transitions, period, base_periods)
