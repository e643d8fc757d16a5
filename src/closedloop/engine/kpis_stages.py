"""Stage KPIs from the stage history: stage-to-stage conversion (cohort-based) and time in stage.

Both read a ``transitions`` table shaped like ``crm.StageTransition``: ``contact_id``,
``to_stage``, ``at`` (``from_stage`` may be present and is not needed — the order of a contact's
transitions says where it came from). Definitions are written out in docs/kpis.md.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from closedloop.engine.periods import (
    DAY,
    Period,
    column_datetimes,
    duckdb_query,
    require_columns,
    to_datetime64,
)

__all__ = ["FUNNEL_STAGES", "adjacent_pairs", "stage_conversion", "time_in_stage"]

# DESIGN §2's default order; churned is not a funnel step (it comes after customer).
FUNNEL_STAGES: tuple[str, ...] = ("visitor", "iql", "mql", "sql", "opportunity", "customer")


def adjacent_pairs(stages: Sequence[str]) -> tuple[tuple[str, str], ...]:
    return tuple(itertools.pairwise(stages))


def _transitions_us(transitions: pa.Table, as_of: datetime) -> pa.Table:
    """contact_id, to_stage, at_us (int64 µs since epoch, UTC), row; rows after ``as_of`` dropped."""
    require_columns(transitions, ("contact_id", "to_stage", "at"), "transitions")
    at = column_datetimes(transitions, "at", "transitions")
    if np.isnat(at).any():
        raise ValueError(f"transitions.at has {int(np.isnat(at).sum())} null value(s)")
    for name in ("contact_id", "to_stage"):
        if transitions.column(name).null_count:
            raise ValueError(f"transitions.{name} has {transitions.column(name).null_count} null value(s)")
    stage = transitions.column("to_stage")
    if pa.types.is_dictionary(stage.type):
        stage = pc.cast(stage, stage.type.value_type)
    table = pa.table(
        {
            "contact_id": transitions.column("contact_id"),
            "to_stage": stage,
            "at_us": pa.array(at.astype(np.int64)),
            # Input order breaks ties between transitions at the same instant (an import that
            # moves a contact visitor → MQL → SQL in one go keeps its order).
            "row": pa.array(np.arange(transitions.num_rows, dtype=np.int64)),
        }
    )
    return table.filter(pa.array(at <= to_datetime64(as_of)))


_CONVERSION_SQL = """
WITH ranked AS (
    SELECT t.contact_id, t.at_us, s.rank
    FROM t JOIN stages s ON t.to_stage = s.stage
),
entries AS (
    -- A contact counts once per pair and period: its first entry into the from-stage in the period.
    SELECT p.pair, t.contact_id, min(t.at_us) AS entered_us
    FROM pairs p JOIN t ON t.to_stage = p.from_stage
    WHERE t.at_us >= $start AND t.at_us < $end
    GROUP BY p.pair, t.contact_id
),
reached AS (
    -- Reaching the to-stage or any later one counts: a lead that skips SQL still passed it.
    SELECT e.pair, e.contact_id, e.entered_us, min(r.at_us) AS reached_us
    FROM entries e
    JOIN pairs p ON p.pair = e.pair
    LEFT JOIN ranked r
      ON r.contact_id = e.contact_id AND r.rank >= p.to_rank AND r.at_us >= e.entered_us
    GROUP BY e.pair, e.contact_id, e.entered_us
),
judged AS (
    SELECT pair, entered_us,
           reached_us IS NOT NULL AND ($window IS NULL OR reached_us - entered_us <= $window) AS converted,
           (reached_us - entered_us) / 86400e6 AS days
    FROM reached
)
SELECT p.from_stage, p.to_stage,
       count(j.pair) AS entered,
       count(j.pair) FILTER (WHERE j.converted) AS converted,
       count(j.pair) FILTER (
           WHERE NOT j.converted AND ($window IS NULL OR j.entered_us + $window > $as_of)
       ) AS in_progress,
       quantile_cont(j.days, 0.5) FILTER (WHERE j.converted) AS median_days_to_convert
FROM pairs p LEFT JOIN judged j ON j.pair = p.pair
GROUP BY p.pair, p.from_stage, p.to_stage
ORDER BY p.pair
"""


def stage_conversion(
    transitions: pa.Table,
    period: Period,
    *,
    stages: Sequence[str] = FUNNEL_STAGES,
    pairs: Sequence[tuple[str, str]] | None = None,
    window: timedelta | None = None,
    as_of: datetime | None = None,
) -> pa.Table:
    """Cohort conversion: of the contacts who entered stage A in the period, the share that later
    reached stage B (or a stage after B in ``stages``), within ``window`` of entering A if given.

    Returns ``from_stage, to_stage, entered, converted, in_progress, conversion_rate,
    median_days_to_convert`` for each pair (default: adjacent stages). ``in_progress`` counts
    entrants not converted whose window is still open at ``as_of`` (with no window: every
    entrant not converted yet); they stay in ``entered`` — dropping them would flatter the rate.
    Transitions after ``as_of`` (default: now) are ignored.
    """
    as_of = as_of or datetime.now(UTC)
    stages = tuple(stages)
    if len(set(stages)) != len(stages) or len(stages) < 2:
        raise ValueError(f"stages must be at least two distinct names, got {stages}")
    pairs = tuple(pairs) if pairs is not None else adjacent_pairs(stages)
    rank = {s: i for i, s in enumerate(stages)}
    for a, b in pairs:
        if a not in rank or b not in rank:
            raise ValueError(f"pair {a} → {b} names a stage not in {stages}")
        if rank[b] <= rank[a]:
            raise ValueError(f"pair {a} → {b} goes backwards in the stage order {stages}")
    if window is not None and window <= timedelta(0):
        raise ValueError(f"window must be positive, got {window}")
    start, end = period.bounds64()
    rows = duckdb_query(
        _CONVERSION_SQL,
        {
            "t": _transitions_us(transitions, as_of),
            "stages": pa.table({"stage": list(stages), "rank": list(range(len(stages)))}),
            "pairs": pa.table(
                {
                    "pair": list(range(len(pairs))),
                    "from_stage": [a for a, _ in pairs],
                    "to_stage": [b for _, b in pairs],
                    "to_rank": [rank[b] for _, b in pairs],
                }
            ),
        },
        {
            "start": int(start.astype(np.int64)),
            "end": int(end.astype(np.int64)),
            "as_of": int(to_datetime64(as_of).astype(np.int64)),
            "window": None if window is None else window // timedelta(microseconds=1),
        },
    )
    entered = np.asarray(rows.column("entered").to_numpy(), dtype=np.float64)
    converted = np.asarray(rows.column("converted").to_numpy(), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = pa.array(converted / entered, pa.float64(), mask=entered == 0)
    return pa.table(
        {
            "from_stage": rows.column("from_stage").cast(pa.string()),
            "to_stage": rows.column("to_stage").cast(pa.string()),
            "entered": rows.column("entered").cast(pa.int64()),
            "converted": rows.column("converted").cast(pa.int64()),
            "in_progress": rows.column("in_progress").cast(pa.int64()),
            "conversion_rate": rate,
            "median_days_to_convert": rows.column("median_days_to_convert").cast(pa.float64()),
        }
    )


def time_in_stage(
    transitions: pa.Table,
    *,
    as_of: datetime | None = None,
    period: Period | None = None,
    stages: Sequence[str] | None = None,
) -> pa.Table:
    """How long contacts stay in each stage, from entering it to their next transition.

    A contact still in a stage at ``as_of`` (default: now) has no exit yet: it is *censored*,
    reported in ``still_in`` with its age so far, and feeds the Kaplan–Meier median — it is
    never dropped, which would make slow stages look fast. ``period`` keeps only entries made in
    it. Repeated transitions into the stage a contact is already in are one stay.

    Returns ``stage, entries, exited, still_in, mean_days, median_days, p90_days`` (over exited
    stays), ``km_median_days`` (Kaplan–Meier over exited and censored stays; null while more
    than half are still in) and ``still_in_median_age_days``. Rows follow ``stages`` when given,
    else stage name order.
    """
    as_of = as_of or datetime.now(UTC)
    t = _transitions_us(transitions, as_of)
    # Work on integer codes: contact ids may be ints or strings, and this runs over every
    # transition of every contact.
    contact_code = _codes(t.column("contact_id"))[0]
    stage_code, stage_names = _codes(t.column("to_stage"))
    stage = np.array(stage_names, dtype=object)[stage_code] if len(stage_code) else np.array([], dtype=object)
    at = t.column("at_us").to_numpy()
    order = np.lexsort((t.column("row").to_numpy(), at, contact_code))
    contact_code, stage, at = contact_code[order], stage[order], at[order]
    repeat = np.zeros(len(at), dtype=bool)
    repeat[1:] = (contact_code[1:] == contact_code[:-1]) & (stage[1:] == stage[:-1])
    contact_code, stage, at = contact_code[~repeat], stage[~repeat], at[~repeat]
    has_next = np.zeros(len(at), dtype=bool)
    has_next[:-1] = contact_code[1:] == contact_code[:-1]
    next_at = np.zeros_like(at)
    next_at[:-1] = at[1:]
    as_of_us = int(to_datetime64(as_of).astype(np.int64))
    days = np.where(has_next, next_at - at, as_of_us - at) / (DAY / np.timedelta64(1, "us"))
    keep = np.ones(len(at), dtype=bool)
    if period is not None:
        start, end = period.bounds64()
        keep = (at >= start.astype(np.int64)) & (at < end.astype(np.int64))
    names = list(stages) if stages is not None else sorted({str(s) for s in stage[keep]})
    rows = [_stay_stats(days[keep & (stage == s)], has_next[keep & (stage == s)]) for s in names]
    columns = ("entries", "exited", "still_in")
    floats = ("mean_days", "median_days", "p90_days", "km_median_days", "still_in_median_age_days")
    return pa.table(
        {
            "stage": pa.array(names, pa.string()),
            **{c: pa.array([r[i] for r in rows], pa.int64()) for i, c in enumerate(columns)},
            **{c: pa.array([r[3 + i] for r in rows], pa.float64()) for i, c in enumerate(floats)},
        }
    )


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    encoded = pc.dictionary_encode(column.combine_chunks())
    return np.asarray(encoded.indices.to_numpy(zero_copy_only=False)), encoded.dictionary.to_pylist()


def _stay_stats(days: np.ndarray, exited: np.ndarray) -> tuple[int | float | None, ...]:
    done, open_ = days[exited], days[~exited]
    return (
        len(days),
        len(done),
        len(open_),
        float(done.mean()) if len(done) else None,
        float(np.median(done)) if len(done) else None,
        float(np.percentile(done, 90)) if len(done) else None,
        kaplan_meier_median(days, exited),
        float(np.median(open_)) if len(open_) else None,
    )


def kaplan_meier_median(durations: np.ndarray, observed: np.ndarray) -> float | None:
    """Smallest duration at which the Kaplan–Meier survival estimate reaches 0.5 or below.

    A censored stay of length c is still at risk at c (the usual convention: censoring happens
    just after any exit at the same time). None when survival never falls to one half.
    """
    survival = 1.0
    for time in np.unique(durations[observed]):
        at_risk = int((durations >= time).sum())
        exits = int(((durations == time) & observed).sum())
        survival *= 1.0 - exits / at_risk
        if survival <= 0.5:
            return float(time)
    return None
