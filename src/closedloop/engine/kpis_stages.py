"""Stage KPIs from the stage history: stage-to-stage conversion (cohort-based) and time in stage.

Both read a ``transitions`` table shaped like ``crm.StageTransition``: ``contact_id``,
``to_stage``, ``at`` (``from_stage`` may be present and is not needed — the order of a contact's
transitions says where it came from). Definitions are written out in docs/kpis.md.
"""

# The conversion query interpolates integers only (bounds, window, as_of); names travel as data.
# ruff: noqa: S608

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from closedloop.engine import backends
from closedloop.engine.dialects import Engine
from closedloop.engine.periods import (
    DAY,
    Period,
    column_datetimes,
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


def _conversion_sql(start: int, end: int, as_of: int, window: int | None) -> str:
    """Per pair: entrants by converted / in progress / days to convert (integers only interpolated).

    Written once in DuckDB's dialect and compiled per engine. The "reached later" lookup joins on
    the contact only and filters inside the MIN, since ClickHouse joins on equalities.
    """
    in_window = "TRUE" if window is None else f"reached_us - entered_us <= {int(window)}"
    still_open = "" if window is None else f" AND entered_us + {int(window)} > {int(as_of)}"
    return f"""
WITH ranked AS (
    SELECT t.contact_id AS contact_id, t.at_us AS at_us, s.rank AS rank
    FROM t JOIN stages AS s ON t.to_stage = s.stage
),
entries AS (
    -- A contact counts once per pair and period: its first entry into the from-stage in the period.
    SELECT p.pair AS pair, t.contact_id AS contact_id, MIN(t.at_us) AS entered_us
    FROM pairs AS p JOIN t ON t.to_stage = p.from_stage
    WHERE t.at_us >= {int(start)} AND t.at_us < {int(end)}
    GROUP BY p.pair, t.contact_id
),
reached AS (
    -- Reaching the to-stage or any later one counts: a lead that skips SQL still passed it.
    SELECT e.pair AS pair, e.contact_id AS contact_id, e.entered_us AS entered_us,
           MIN(CASE WHEN r.rank >= p.to_rank AND r.at_us >= e.entered_us THEN r.at_us END) AS reached_us
    FROM entries AS e
    JOIN pairs AS p ON p.pair = e.pair
    LEFT JOIN ranked AS r ON r.contact_id = e.contact_id
    GROUP BY e.pair, e.contact_id, e.entered_us
),
judged AS (
    SELECT pair, entered_us, reached_us,
           CASE WHEN reached_us IS NOT NULL AND {in_window} THEN 1 ELSE 0 END AS converted
    FROM reached
)
SELECT pair, converted, in_progress, duration, COUNT(*) AS contacts
FROM (
    SELECT pair, converted,
           CASE WHEN converted = 0{still_open} THEN 1 ELSE 0 END AS in_progress,
           CASE WHEN converted = 1 THEN reached_us - entered_us END AS duration
    FROM judged
) AS per_contact
GROUP BY pair, converted, in_progress, duration
"""


def stage_conversion(
    transitions: pa.Table,
    period: Period,
    *,
    stages: Sequence[str] = FUNNEL_STAGES,
    pairs: Sequence[tuple[str, str]] | None = None,
    window: timedelta | None = None,
    as_of: datetime | None = None,
    engine: str | Engine = Engine.DUCKDB,
    dsn: str | None = None,
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
    start, end = (int(b.astype("datetime64[us]").astype(np.int64)) for b in period.bounds64())
    t = _transitions_us(transitions, as_of)
    rows = backends.run(
        _conversion_sql(
            start,
            end,
            int(to_datetime64(as_of).astype(np.int64)),
            None if window is None else window // timedelta(microseconds=1),
        ),
        {
            "t": t.select(["contact_id", "to_stage", "at_us"]),
            "stages": pa.table(
                {"stage": pa.array(stages, pa.string()), "rank": pa.array(range(len(stages)), pa.int64())}
            ),
            "pairs": pa.table(
                {
                    "pair": pa.array(range(len(pairs)), pa.int64()),
                    "from_stage": pa.array([a for a, _ in pairs], pa.string()),
                    "to_stage": pa.array([b for _, b in pairs], pa.string()),
                    "to_rank": pa.array([rank[b] for _, b in pairs], pa.int64()),
                }
            ),
        },
        engine,
        dsn=dsn,
    )
    pair = rows.column("pair").cast(pa.int64()).to_numpy()
    converted = rows.column("converted").cast(pa.int64()).to_numpy() == 1
    in_progress = rows.column("in_progress").cast(pa.int64()).to_numpy() == 1
    contacts = rows.column("contacts").cast(pa.int64()).to_numpy()
    duration = rows.column("duration").cast(pa.float64()).to_numpy(zero_copy_only=False)
    n = len(pairs)
    entered = np.bincount(pair, weights=contacts, minlength=n)
    n_converted = np.bincount(pair[converted], weights=contacts[converted], minlength=n)
    n_in_progress = np.bincount(pair[in_progress], weights=contacts[in_progress], minlength=n)
    day_us = DAY / np.timedelta64(1, "us")
    medians = []
    for k in range(n):
        mine = converted & (pair == k)
        days = np.repeat(np.sort(duration[mine]) / day_us, contacts[mine][np.argsort(duration[mine])])
        medians.append(float(np.median(days)) if len(days) else None)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = pa.array(n_converted / entered, pa.float64(), mask=entered == 0)
    return pa.table(
        {
            "from_stage": pa.array([a for a, _ in pairs], pa.string()),
            "to_stage": pa.array([b for _, b in pairs], pa.string()),
            "entered": pa.array(entered.astype(np.int64)),
            "converted": pa.array(n_converted.astype(np.int64)),
            "in_progress": pa.array(n_in_progress.astype(np.int64)),
            "conversion_rate": rate,
            "median_days_to_convert": pa.array(medians, pa.float64()),
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
