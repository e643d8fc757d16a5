"""The result of a funnel run: per-step counts and rates, per breakdown value, time to convert.

Built from the small aggregate the funnel SQL returns (people per breakdown value × furthest step
× in-progress × excluded × duration), so every engine feeds the same Python arithmetic and the
rates and percentiles cannot differ between engines.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from closedloop.engine.funnel import FunnelQuery

__all__ = [
    "FunnelBreakdown",
    "FunnelResult",
    "FunnelStep",
    "HistogramBin",
    "TimeToConvert",
    "funnel_result_build",
]


@dataclass(frozen=True)
class FunnelStep:
    index: int  # 1-based position in the funnel
    name: str
    reached: int  # people whose furthest step is this one or later
    conversion_from_previous: float | None  # reached / reached at the previous step; None if 0/0
    conversion_from_first: float | None  # reached / reached at step 1; None if 0/0
    in_progress: int  # furthest step is this one and a window is still open at as_of
    dropped: int  # furthest step is this one and every window has closed (0 on the last step)


@dataclass(frozen=True)
class HistogramBin:
    lower_seconds: float
    upper_seconds: float  # bins are [lower, upper), the last one [lower, upper]; see _histogram
    count: int


@dataclass(frozen=True)
class TimeToConvert:
    """Seconds from the first step to the last step, over people who completed the funnel."""

    converted: int
    mean_seconds: float | None
    min_seconds: float | None
    max_seconds: float | None
    percentiles: dict[str, float]  # "p50" -> seconds, linear interpolation (numpy's default)
    histogram: tuple[HistogramBin, ...]


@dataclass(frozen=True)
class FunnelBreakdown:
    value: Any  # the breakdown column's value on the first-step event of the counted journey
    steps: tuple[FunnelStep, ...]
    time_to_convert: TimeToConvert


@dataclass(frozen=True)
class FunnelResult:
    steps: tuple[FunnelStep, ...]
    time_to_convert: TimeToConvert
    breakdown: str | None
    breakdowns: tuple[FunnelBreakdown, ...]  # empty without a breakdown; ordered by reached desc
    excluded: int  # people left out because of the exclusion event
    as_of: dt.datetime
    window_seconds: float

    def to_arrow(self) -> pa.Table:
        """One row per (scope, step): the total first (is_total), then each breakdown value."""
        scopes: list[tuple[bool, Any, tuple[FunnelStep, ...]]] = [(True, None, self.steps)]
        scopes += [(False, b.value, b.steps) for b in self.breakdowns]
        flat = [(is_total, value, step) for is_total, value, steps in scopes for step in steps]
        columns: dict[str, pa.Array] = {
            "is_total": pa.array([f[0] for f in flat], pa.bool_()),
            "breakdown": pa.array([f[1] for f in flat]),
        }
        for name, typ in _STEP_TYPES.items():
            columns[name] = pa.array([getattr(f[2], name) for f in flat], typ)
        return pa.table(columns)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable view (breakdown values and as_of as strings where needed)."""
        return {
            "as_of": self.as_of.isoformat(),
            "window_seconds": self.window_seconds,
            "excluded": self.excluded,
            "steps": [asdict(s) for s in self.steps],
            "time_to_convert": asdict(self.time_to_convert),
            "breakdown": self.breakdown,
            "breakdowns": [
                {
                    "value": _jsonable(b.value),
                    "steps": [asdict(s) for s in b.steps],
                    "time_to_convert": asdict(b.time_to_convert),
                }
                for b in self.breakdowns
            ],
        }


_STEP_TYPES: dict[str, pa.DataType] = {
    "index": pa.int64(),
    "name": pa.string(),
    "reached": pa.int64(),
    "conversion_from_previous": pa.float64(),
    "conversion_from_first": pa.float64(),
    "in_progress": pa.int64(),
    "dropped": pa.int64(),
}


def funnel_result_build(
    rows: pa.Table,
    query: FunnelQuery,
    *,
    as_of: dt.datetime,
    ticks_per_second: int,
    breakdown_type: pa.DataType | None,
) -> FunnelResult:
    """Turn the SQL aggregate into a FunnelResult (see funnel_sql.py for the columns)."""
    rows = _normalised(rows, breakdown_type)
    excluded_mask = pc.equal(rows.column("excluded"), 1)
    excluded = int(pc.sum(pc.filter(rows.column("people"), excluded_mask)).as_py() or 0)
    rows = rows.filter(pc.invert(excluded_mask))

    n_steps = len(query.steps)
    counts: dict[Any, dict[tuple[int, int], int]] = defaultdict(lambda: defaultdict(int))
    total: dict[tuple[int, int], int] = defaultdict(int)
    for r in rows.select(["breakdown", "furthest", "in_progress", "people"]).to_pylist():
        key = (r["furthest"], r["in_progress"])
        counts[r["breakdown"]][key] += r["people"]
        total[key] += r["people"]

    converters = rows.filter(pc.equal(rows.column("furthest"), n_steps))
    ticks = converters.column("duration").to_numpy().astype(np.int64)
    people = converters.column("people").to_numpy().astype(np.int64)
    breakdowns: list[FunnelBreakdown] = []
    if query.breakdown is not None:
        # Row positions of each breakdown value among the converters, in one pass.
        positions: dict[Any, list[int]] = defaultdict(list)
        for i, value in enumerate(converters.column("breakdown").to_pylist()):
            positions[value].append(i)
        for value, by_key in counts.items():
            at = np.array(positions.get(value, []), dtype=np.int64)
            breakdowns.append(
                FunnelBreakdown(
                    value=value,
                    steps=_steps(query.steps, by_key),
                    time_to_convert=_time_to_convert(ticks[at], people[at], query, ticks_per_second),
                )
            )
        breakdowns.sort(key=_breakdown_order)

    return FunnelResult(
        steps=_steps(query.steps, total),
        time_to_convert=_time_to_convert(ticks, people, query, ticks_per_second),
        breakdown=query.breakdown,
        breakdowns=tuple(breakdowns),
        excluded=excluded,
        as_of=as_of,
        window_seconds=query.window.total_seconds(),
    )


def _breakdown_order(b: FunnelBreakdown) -> tuple[int, bool, Any]:
    # Biggest groups first; equal sizes by value, NULL last, so every engine lists them alike.
    return (-b.steps[0].reached, b.value is None, b.value if b.value is not None else 0)


def _normalised(rows: pa.Table, breakdown_type: pa.DataType | None) -> pa.Table:
    # Each engine maps its integer types to Arrow differently (ClickHouse: UInt64, UInt8 …).
    names = ("furthest", "in_progress", "excluded", "duration", "people")
    cols = {name: rows.column(name).cast(pa.int64()) for name in names}
    if breakdown_type is not None:
        cols["breakdown"] = rows.column("breakdown").cast(breakdown_type)
    else:
        cols["breakdown"] = pa.chunked_array([pa.nulls(len(rows))])
    return pa.table(cols)


def _steps(names: tuple[str, ...], by_key: dict[tuple[int, int], int]) -> tuple[FunnelStep, ...]:
    n = len(names)
    # people whose furthest step is exactly k (split by in-progress), then cumulative from the end
    at = [(by_key.get((k, 1), 0), by_key.get((k, 0), 0)) for k in range(1, n + 1)]
    reached = [0] * n
    running = 0
    for k in range(n - 1, -1, -1):
        running += at[k][0] + at[k][1]
        reached[k] = running
    steps = []
    for k in range(n):
        prev = reached[k - 1] if k else reached[0]
        steps.append(
            FunnelStep(
                index=k + 1,
                name=names[k],
                reached=reached[k],
                conversion_from_previous=_ratio(reached[k], prev),
                conversion_from_first=_ratio(reached[k], reached[0]),
                in_progress=at[k][0],
                dropped=at[k][1] if k < n - 1 else 0,
            )
        )
    return tuple(steps)


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def _time_to_convert(
    ticks: np.ndarray, people: np.ndarray, query: FunnelQuery, ticks_per_second: int
) -> TimeToConvert:
    if int(people.sum()) == 0:
        return TimeToConvert(0, None, None, None, {}, ())
    # One value per person; the SQL grouped equal durations, so expand by the head count.
    values = np.repeat(ticks, people)
    seconds = values / ticks_per_second
    pct = np.percentile(seconds, query.percentiles)
    return TimeToConvert(
        converted=int(values.size),
        mean_seconds=float(seconds.mean()),
        min_seconds=float(seconds.min()),
        max_seconds=float(seconds.max()),
        percentiles={f"p{p:g}": float(v) for p, v in zip(query.percentiles, pct, strict=True)},
        histogram=_histogram(values, query.histogram_bins, ticks_per_second),
    )


def _histogram(values: np.ndarray, bins: int, ticks_per_second: int) -> tuple[HistogramBin, ...]:
    """Equal-width bins from 0 to the slowest conversion; bin i holds floor(v * bins / max).

    Integer arithmetic on ticks, so a duration exactly on an edge lands in the same bin on
    every platform (float edges would make that a rounding accident).
    """
    hi = int(values.max())
    if hi == 0:
        return (HistogramBin(0.0, 0.0, int(values.size)),)
    if hi * bins < 2**62:
        index = np.minimum(values * bins // hi, bins - 1)
    else:  # would overflow int64; exact Python integers for this rare case
        index = np.array([min(int(v) * bins // hi, bins - 1) for v in values])
    counts = np.bincount(index, minlength=bins)
    edges = [i * hi / bins / ticks_per_second for i in range(bins + 1)]
    return tuple(HistogramBin(edges[i], edges[i + 1], int(counts[i])) for i in range(bins))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
