"""The set-based KPI queries, written once (DuckDB dialect) and compiled per engine by `dialects`.

Like the funnel, the queries see narrow tables prepared in Python: times as integer
microseconds since the epoch (UTC; NULL for a missing time), groups as integer codes (labels stay
in Python, so their types and sort order never depend on an engine), amounts as DOUBLE, and the
names a query compares with (stage names, teams) as one-row `params` tables — never SQL text.
The only values interpolated are integers (period bounds, windows), so nothing can be injected.
Each query returns a small aggregate; ratios, means and percentiles are computed from it in
Python, so every engine feeds the same arithmetic.
"""

# ruff: noqa: S608  (integers only are interpolated; see above)

from __future__ import annotations

import numpy as np
import pyarrow as pa


def _in(column: str, start: int, end: int) -> str:
    # Half-open, like Period; NULL (no time) is never inside.
    return f"{column} >= {int(start)} AND {column} < {int(end)}"


def win_rate_sql(start: int, end: int) -> str:
    """deals(g, stage, amount, closed_us) × params(won, lost) → per group won/lost counts and amounts."""
    return f"""SELECT d.g AS g,
  SUM(CASE WHEN d.stage = p.won THEN 1 ELSE 0 END) AS won,
  SUM(CASE WHEN d.stage = p.lost THEN 1 ELSE 0 END) AS lost,
  SUM(CASE WHEN d.stage = p.won THEN d.amount ELSE CAST(0 AS DOUBLE) END) AS won_amount,
  SUM(CASE WHEN d.stage = p.lost THEN d.amount ELSE CAST(0 AS DOUBLE) END) AS lost_amount
FROM deals AS d CROSS JOIN params AS p
WHERE {_in("d.closed_us", start, end)}
GROUP BY d.g"""


def sales_cycle_sql(start: int, end: int) -> str:
    """Won deals closed in the period, counted per group and cycle length (µs; NULL if unknown)."""
    return f"""SELECT d.g AS g, d.closed_us - d.created_us AS duration, COUNT(*) AS deals
FROM deals AS d CROSS JOIN params AS p
WHERE d.stage = p.won AND {_in("d.closed_us", start, end)}
GROUP BY d.g, d.closed_us - d.created_us"""


def cpa_sql(start: int, end: int) -> str:
    """Cost (side 0) and acquisitions (side 1) in the period per group code."""
    return f"""SELECT 0 AS side, g, SUM(amount) AS total, COUNT(*) AS n
FROM costs WHERE {_in("t_us", start, end)} GROUP BY g
UNION ALL
SELECT 1 AS side, g, CAST(0 AS DOUBLE) AS total, COUNT(*) AS n
FROM acquisitions WHERE {_in("t_us", start, end)} GROUP BY g"""


def cac_sql(start: int, end: int) -> str:
    """Cost per counted team (part 0, idx = team position) and first-time customers (part 1)."""
    return f"""SELECT 0 AS part, tm.idx AS idx, SUM(c.amount) AS value
FROM costs AS c JOIN teams AS tm ON c.team = tm.team
WHERE {_in("c.t_us", start, end)}
GROUP BY tm.idx
UNION ALL
SELECT 1 AS part, 0 AS idx, CAST(COUNT(*) AS DOUBLE) AS value
FROM (
  SELECT t.contact_id AS contact_id, MIN(t.at_us) AS first_us
  FROM transitions AS t CROSS JOIN params AS p
  WHERE t.to_stage = p.customer
  GROUP BY t.contact_id
) AS firsts
WHERE {_in("first_us", start, end)}"""


def churn_sql(start: int, end: int) -> str:
    """Customers active at the period's start, and how many of them churned in it."""
    active = f"started_us < {int(start)} AND (churned_us IS NULL OR churned_us >= {int(start)})"
    return f"""SELECT
  SUM(CASE WHEN {active} THEN 1 ELSE 0 END) AS active,
  SUM(CASE WHEN {active} AND {_in("churned_us", start, end)} THEN 1 ELSE 0 END) AS lost
FROM customers"""


def micros(times: np.ndarray) -> pa.Array:
    """numpy datetime64[us] → int64 microseconds, NaT as NULL."""
    missing = np.isnat(times)
    return pa.array(times.astype("datetime64[us]").astype(np.int64), pa.int64(), mask=missing)


def by_code(rows: pa.Table, code: str, n: int, columns: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Result columns as float arrays indexed by group code (engines return groups in any order);
    groups with no row are 0."""
    codes = rows.column(code).cast(pa.int64()).to_numpy()
    out = {}
    for name in columns:
        values = np.zeros(n)
        values[codes] = rows.column(name).cast(pa.float64()).fill_null(0.0).to_numpy()
        out[name] = values
    return out
