"""Money and deal KPIs for one period: CPA, CAC, win rate and sales cycle length.

Inputs are Arrow tables; the columns each function reads are listed in its docstring and in
docs/kpis.md. Amounts may be any numeric type (Decimal columns from the database included).
Every ratio whose denominator is zero is null, never 0 or infinity: "no deals closed" is not a
0 % win rate.

Filtering, grouping and summing run as one query (`kpis_sql.py`) on DuckDB by default, or on
PostgreSQL / ClickHouse with ``engine=`` — the same query compiled per engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from closedloop.engine import backends
from closedloop.engine.dialects import Engine
from closedloop.engine.kpis_sql import by_code, cac_sql, cpa_sql, micros, sales_cycle_sql, win_rate_sql
from closedloop.engine.periods import DAY, Period, column_datetimes, require_columns

__all__ = [
    "Cac",
    "cac",
    "cpa",
    "group_codes",
    "in_period",
    "sales_cycle",
    "win_rate",
]


def in_period(times: np.ndarray, period: Period) -> np.ndarray:
    """Boolean mask of ``datetime64`` values inside ``[period.start, period.end)``; NaT is outside."""
    start, end = period.bounds64()
    return (times >= start) & (times < end)


def amounts(table: pa.Table, column: str, what: str) -> np.ndarray:
    """A numeric column as float64; nulls count as 0 (an unknown amount adds nothing)."""
    values = table.column(column)
    if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)) and not (
        pa.types.is_decimal(values.type)
    ):
        raise ValueError(f"{what}.{column} must be numeric, got {values.type}")
    return np.asarray(pc.fill_null(pc.cast(values, pa.float64()), 0.0).to_numpy(), dtype=np.float64)


def group_codes(table: pa.Table, by: str | None, what: str) -> tuple[list[Any], np.ndarray, pa.DataType]:
    """Group labels (sorted, null last), each row's group index, and the label type.

    ``by=None`` is one group labelled None, so callers handle "no breakdown" and "breakdown" alike.
    """
    if by is None:
        return [None], np.zeros(table.num_rows, dtype=np.int64), pa.null()
    require_columns(table, (by,), what)
    column = table.column(by)
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    # Vectorised: millions of engagement events go through here.
    present = pc.drop_null(pc.unique(column))
    present = present.take(pc.sort_indices(present))
    labels: list[Any] = present.to_pylist()
    codes = pc.index_in(column, value_set=present)
    if column.null_count:
        labels.append(None)
        codes = pc.fill_null(codes, len(labels) - 1)
    return labels, np.asarray(codes.to_numpy(), dtype=np.int64), column.type


def equals(column: pa.ChunkedArray | pa.Array, value: object) -> np.ndarray:
    """Boolean mask of ``column == value``; null is not equal to anything."""
    return np.asarray(pc.fill_null(pc.equal(column, pa.scalar(value, column.type)), False).to_numpy())


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> pa.Array:
    with np.errstate(divide="ignore", invalid="ignore"):
        values = numerator / denominator
    return pa.array(values, pa.float64(), mask=denominator == 0)


def _keyed(by: str | None, labels: list[Any], kind: pa.DataType, columns: dict[str, Any]) -> pa.Table:
    head = {by: pa.array(labels, kind)} if by is not None else {}
    return pa.table({**head, **columns})


def cpa(
    costs: pa.Table,
    acquisitions: pa.Table,
    period: Period,
    *,
    by: str | None = None,
    engine: str | Engine = Engine.DUCKDB,
    dsn: str | None = None,
) -> pa.Table:
    """Cost per acquisition: cost in the period / acquisitions in the period.

    ``costs``: ``date`` (date or timestamp), ``amount``. ``acquisitions``: one row per acquisition
    (an MQL, a customer, whatever the caller counts), with ``at``. With ``by`` (e.g. ``campaign``),
    both tables need that column and the result has one row per value; a group with cost but no
    acquisitions has a null CPA. Returns ``[by], cost, acquisitions, cpa``.
    """
    require_columns(costs, ("date", "amount"), "costs")
    require_columns(acquisitions, ("at",), "acquisitions")
    cost_at = column_datetimes(costs, "date", "costs")
    acq_at = column_datetimes(acquisitions, "at", "acquisitions")
    # One label list for both sides, so a campaign with cost and no acquisitions (or the other
    # way round) still gets its row.
    stacked = pa.concat_tables(
        [_label_table(costs, by, "costs"), _label_table(acquisitions, by, "acquisitions")],
        promote_options="permissive",
    )
    labels, codes, kind = group_codes(stacked, "label" if by else None, "costs")
    n_cost = costs.num_rows
    start, end = _bounds(period)
    rows = backends.run(
        cpa_sql(start, end),
        {
            "costs": pa.table(
                {"g": codes[:n_cost], "t_us": micros(cost_at), "amount": amounts(costs, "amount", "costs")}
            ),
            "acquisitions": pa.table({"g": codes[n_cost:], "t_us": micros(acq_at)}),
        },
        engine,
        dsn=dsn,
    )
    side = rows.column("side").cast(pa.int64()).to_numpy()
    cost_rows, acq_rows = rows.filter(pa.array(side == 0)), rows.filter(pa.array(side == 1))
    cost = by_code(cost_rows, "g", len(labels), ("total",))["total"]
    count = by_code(acq_rows, "g", len(labels), ("n",))["n"].astype(np.int64)
    # Only groups with cost or acquisitions in the period get a row (no breakdown: always one).
    seen = np.zeros(len(labels), dtype=bool)
    for part in (cost_rows, acq_rows):
        seen[part.column("g").cast(pa.int64()).to_numpy()] = True
    keep = np.flatnonzero(seen) if by is not None else np.arange(len(labels))
    return _keyed(
        by,
        [labels[i] for i in keep],
        kind,
        {
            "cost": pa.array(cost[keep]),
            "acquisitions": pa.array(count[keep]),
            "cpa": _ratio(cost[keep], count[keep]),
        },
    )


def _bounds(period: Period) -> tuple[int, int]:
    """The period as integer microseconds since the epoch, as the queries compare them."""
    start, end = period.bounds64()
    return int(start.astype("datetime64[us]").astype(np.int64)), int(
        end.astype("datetime64[us]").astype(np.int64)
    )


def _label_table(table: pa.Table, by: str | None, what: str) -> pa.Table:
    if by is None:
        return pa.table({"label": pa.nulls(table.num_rows)})
    require_columns(table, (by,), what)
    column = table.column(by)
    if pa.types.is_dictionary(column.type):
        column = pc.cast(column, column.type.value_type)
    return pa.table({"label": column})


@dataclass(frozen=True)
class Cac:
    """Customer acquisition cost for one period, with the parts it was computed from."""

    period: Period
    cost_by_team: tuple[tuple[str, float], ...]
    cost: float
    new_customers: int
    cac: float | None


def cac(
    costs: pa.Table,
    transitions: pa.Table,
    period: Period,
    *,
    teams: Sequence[str] = ("marketing", "sales"),
    customer_stage: str = "customer",
    engine: str | Engine = Engine.DUCKDB,
    dsn: str | None = None,
) -> Cac:
    """Customer acquisition cost = (sales + marketing cost in the period) / new customers in it.

    ``costs``: ``date``, ``amount`` and, optionally, ``team`` — only rows whose team is in
    ``teams`` count; without a ``team`` column every cost counts. ``transitions``: stage history
    (``contact_id``, ``to_stage``, ``at``); a new customer is a contact whose *first* entry into
    ``customer_stage`` falls in the period, so a win-back does not count as a second acquisition.
    """
    require_columns(costs, ("date", "amount"), "costs")
    require_columns(transitions, ("contact_id", "to_stage", "at"), "transitions")
    by_team = "team" in costs.column_names
    names = list(teams) if by_team else ["all"]
    team = _decoded(costs.column("team")) if by_team else pa.array(["all"] * costs.num_rows, pa.string())
    start, end = _bounds(period)
    rows = backends.run(
        cac_sql(start, end),
        {
            "costs": pa.table(
                {
                    "team": pc.cast(team, pa.string()),
                    "t_us": micros(column_datetimes(costs, "date", "costs")),
                    "amount": amounts(costs, "amount", "costs"),
                }
            ),
            "teams": pa.table(
                {"team": pa.array(names, pa.string()), "idx": pa.array(range(len(names)), pa.int64())}
            ),
            "transitions": pa.table(
                {
                    "contact_id": transitions.column("contact_id"),
                    "to_stage": pc.cast(_decoded(transitions.column("to_stage")), pa.string()),
                    "at_us": micros(column_datetimes(transitions, "at", "transitions")),
                }
            ),
            "params": pa.table({"customer": pa.array([customer_stage], pa.string())}),
        },
        engine,
        dsn=dsn,
    )
    part = rows.column("part").cast(pa.int64()).to_numpy()
    cost = by_code(rows.filter(pa.array(part == 0)), "idx", len(names), ("value",))["value"]
    new = int(by_code(rows.filter(pa.array(part == 1)), "idx", 1, ("value",))["value"][0])
    by_team_cost = tuple((t, float(cost[i])) for i, t in enumerate(names))
    total = float(sum(v for _, v in by_team_cost))
    return Cac(period, by_team_cost, total, new, total / new if new else None)


def _decoded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.cast(column, column.type.value_type) if pa.types.is_dictionary(column.type) else column


def first_entries_in(transitions: pa.Table, stage: str, period: Period) -> pa.Array:
    """Contacts whose first-ever entry into ``stage`` falls in ``period``."""
    at = column_datetimes(transitions, "at", "transitions")
    is_stage = equals(_decoded(transitions.column("to_stage")), stage) & ~np.isnat(at)
    entries = pa.table(
        {
            "contact_id": transitions.column("contact_id").filter(pa.array(is_stage)),
            "at_us": pa.array(at[is_stage].astype(np.int64)),
        }
    )
    first = entries.group_by("contact_id").aggregate([("at_us", "min")])
    start, end = (bound.astype(np.int64) for bound in period.bounds64())
    first_at = first.column("at_us_min").to_numpy()
    return (
        first.column("contact_id").filter(pa.array((first_at >= start) & (first_at < end))).combine_chunks()
    )


def _deal_columns(deals: pa.Table) -> tuple[pa.ChunkedArray, np.ndarray, np.ndarray, np.ndarray]:
    require_columns(deals, ("stage", "amount", "created_at", "closed_at"), "deals")
    stage = _decoded(deals.column("stage"))
    return (
        stage,
        amounts(deals, "amount", "deals"),
        column_datetimes(deals, "created_at", "deals"),
        column_datetimes(deals, "closed_at", "deals"),
    )


def win_rate(
    deals: pa.Table,
    period: Period,
    *,
    by: str | None = None,
    won: str = "won",
    lost: str = "lost",
    engine: str | Engine = Engine.DUCKDB,
    dsn: str | None = None,
) -> pa.Table:
    """Win rate = won / (won + lost) over deals *closed* in the period; open deals do not count.

    ``deals``: ``stage``, ``amount``, ``created_at``, ``closed_at``. Returns ``[by], won, lost,
    win_rate, won_amount, lost_amount, amount_win_rate`` (the same ratio weighted by amount).
    """
    stage, amount, _, closed = _deal_columns(deals)
    labels, codes, kind = group_codes(deals, by, "deals")
    start, end = _bounds(period)
    rows = backends.run(
        win_rate_sql(start, end),
        {
            "deals": pa.table(
                {
                    "g": codes,
                    "stage": pc.cast(stage, pa.string()),
                    "amount": amount,
                    "closed_us": micros(closed),
                }
            ),
            "params": pa.table({"won": pa.array([won], pa.string()), "lost": pa.array([lost], pa.string())}),
        },
        engine,
        dsn=dsn,
    )
    got = by_code(rows, "g", len(labels), ("won", "lost", "won_amount", "lost_amount"))
    n_won, n_lost = got["won"].astype(np.int64), got["lost"].astype(np.int64)
    a_won, a_lost = got["won_amount"], got["lost_amount"]
    return _keyed(
        by,
        labels,
        kind,
        {
            "won": pa.array(n_won, pa.int64()),
            "lost": pa.array(n_lost, pa.int64()),
            "win_rate": _ratio(n_won.astype(np.float64), (n_won + n_lost).astype(np.float64)),
            "won_amount": pa.array(a_won),
            "lost_amount": pa.array(a_lost),
            "amount_win_rate": _ratio(a_won, a_won + a_lost),
        },
    )


def sales_cycle(
    deals: pa.Table,
    period: Period,
    *,
    by: str | None = None,
    won: str = "won",
    engine: str | Engine = Engine.DUCKDB,
    dsn: str | None = None,
) -> pa.Table:
    """Sales cycle length in days, created → closed, of deals *won* in the period.

    Returns ``[by], won, mean_days, median_days, p90_days`` (percentiles interpolate linearly
    between deals, numpy's default). Lost deals are left out: a quick "no" is not a short cycle.
    A won deal closed before it was created is bad data and raises a ValueError.
    """
    stage, _, created, closed = _deal_columns(deals)
    labels, codes, kind = group_codes(deals, by, "deals")
    start, end = _bounds(period)
    rows = backends.run(
        sales_cycle_sql(start, end),
        {
            "deals": pa.table(
                {
                    "g": codes,
                    "stage": pc.cast(stage, pa.string()),
                    "created_us": micros(created),
                    "closed_us": micros(closed),
                }
            ),
            "params": pa.table({"won": pa.array([won], pa.string())}),
        },
        engine,
        dsn=dsn,
    )
    group = rows.column("g").cast(pa.int64()).to_numpy()
    duration = rows.column("duration").cast(pa.float64()).to_numpy(zero_copy_only=False)
    count = rows.column("deals").cast(pa.int64()).to_numpy()
    if np.isnan(duration).any():
        raise ValueError(f"{int(count[np.isnan(duration)].sum())} won deal(s) have no created_at")
    if (duration < 0).any():
        raise ValueError(f"{int(count[duration < 0].sum())} won deal(s) have closed_at before created_at")
    # A fixed order, so the float sums are the same whatever order the engine returned.
    order = np.lexsort((duration, group))
    group, days, count = group[order], duration[order] / (DAY / np.timedelta64(1, "us")), count[order]
    stats = [_day_stats(np.repeat(days[group == g], count[group == g])) for g in range(len(labels))]
    return _keyed(
        by,
        labels,
        kind,
        {
            "won": pa.array([s[0] for s in stats], pa.int64()),
            "mean_days": pa.array([s[1] for s in stats], pa.float64()),
            "median_days": pa.array([s[2] for s in stats], pa.float64()),
            "p90_days": pa.array([s[3] for s in stats], pa.float64()),
        },
    )


def _day_stats(days: np.ndarray) -> tuple[int, float | None, float | None, float | None]:
    if len(days) == 0:
        return 0, None, None, None
    return len(days), float(days.mean()), float(np.median(days)), float(np.percentile(days, 90))
