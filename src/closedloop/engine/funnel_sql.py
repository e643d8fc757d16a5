"""The funnel query, written once (DuckDB dialect) and compiled per engine by `dialects`.

Inputs are two tables prepared by `funnel.py`:
  events(person_id, event, ts BIGINT, row_id BIGINT [, breakdown])  -- ts in the input's unit
  steps(step BIGINT, event)                                         -- step 0 is the exclusion

Timestamps travel as integers (ticks since the epoch, UTC), so window arithmetic, strict ordering
and durations mean exactly the same on DuckDB, PostgreSQL and ClickHouse, with no time-zone or
interval-type differences between them. Step names never enter the SQL text: they are data in the
`steps` table, which rules out injection through a step name.

How progress is found without O(steps²) self-joins: for a first-step event at t1 the best journey
is greedy — step k is the earliest step-k event strictly after step k-1 (taking a later one can
never reach further). One window pass computes, for every step-(k-1) event, the earliest step-k
event strictly after it ("nxt"); each step then costs one equi-join of the journeys so far on
(person_id, ts). Work grows linearly with the number of steps.
"""

# Only integers and fixed fragments are interpolated into the SQL text below (see the module
# docstring), so the f-string SQL cannot carry injected input.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FunnelSqlParams:
    """Everything the SQL text depends on; all integers, so nothing needs quoting."""

    n_steps: int
    window_ticks: int
    as_of_ticks: int
    has_breakdown: bool
    has_exclusion: bool


def funnel_sql(p: FunnelSqlParams) -> str:
    """Return the funnel query in DuckDB's dialect (compile it with `dialects.compile_sql`)."""
    if p.n_steps < 1:
        raise ValueError("a funnel needs at least one step")
    bd = ", breakdown" if p.has_breakdown else ""
    ctes = [
        # Events that match a step (or the exclusion), seen as of `as_of`. An event name can
        # match several steps (a funnel may repeat an event), so the join may fan out.
        f"""matched AS (
  SELECT e.person_id, e.ts, s.step, e.row_id{", e.breakdown" if p.has_breakdown else ""}
  FROM events AS e JOIN steps AS s ON e.event = s.event
  WHERE e.person_id IS NOT NULL AND e.ts <= {p.as_of_ticks}
)""",
        _anchors_cte(p.has_breakdown),
        f"c1 AS (SELECT person_id, t1, row_id{bd}, t1 AS cur, t1 AS tlast, 1 AS progress FROM anchors)",
    ]
    if p.n_steps > 1:
        ctes += _next_ctes(p.n_steps)
        ctes += [_chain_cte(k, p.window_ticks, bd) for k in range(2, p.n_steps + 1)]
    ctes.append(
        f"""ranked AS (
  SELECT person_id, t1, tlast, progress{bd},
    ROW_NUMBER() OVER (PARTITION BY person_id ORDER BY progress DESC, t1 ASC, row_id ASC) AS rn,
    MAX(t1) OVER (PARTITION BY person_id) AS last_t1
  FROM c{p.n_steps}
)"""
    )
    ctes.append(f"best AS (SELECT person_id, t1, tlast, progress, last_t1{bd} FROM ranked WHERE rn = 1)")
    if p.has_exclusion:
        # Exclusion applies to the journey that was counted: an exclusion event at any time from
        # its first step to its last reached step, both ends included.
        ctes.append(
            """excluded AS (
  SELECT DISTINCT b.person_id AS person_id
  FROM best AS b JOIN matched AS x ON x.person_id = b.person_id
  WHERE x.step = 0 AND x.ts >= b.t1 AND x.ts <= b.tlast
)"""
        )
        excl_join = "LEFT JOIN excluded AS x ON x.person_id = b.person_id"
        excl_flag = "CASE WHEN x.person_id IS NULL THEN 0 ELSE 1 END"
    else:
        excl_join = ""
        excl_flag = "0"
    # Still in progress: not converted, and some first-step event's window is still open at
    # as_of, so a later event could still move the person on. The latest first step has the
    # window that closes last.
    in_progress = (
        f"CASE WHEN b.progress < {p.n_steps} AND b.last_t1 + {p.window_ticks} > {p.as_of_ticks} "
        "THEN 1 ELSE 0 END"
    )
    final = f"""SELECT breakdown, furthest, in_progress, excluded, duration, COUNT(*) AS people
FROM (
  SELECT {"b.breakdown" if p.has_breakdown else "NULL"} AS breakdown, b.progress AS furthest,
    {in_progress} AS in_progress,
    {excl_flag} AS excluded,
    CASE WHEN b.progress = {p.n_steps} THEN b.tlast - b.t1 END AS duration
  FROM best AS b {excl_join}
) AS per_person
GROUP BY breakdown, furthest, in_progress, excluded, duration"""
    return "WITH " + ",\n".join(ctes) + "\n" + final


def _anchors_cte(has_breakdown: bool) -> str:
    # One journey per distinct (person, first-step time); simultaneous first steps are the same
    # journey, and the one earliest in the input supplies the breakdown value.
    if not has_breakdown:
        return """anchors AS (
  SELECT person_id, ts AS t1, MIN(row_id) AS row_id FROM matched WHERE step = 1 GROUP BY person_id, ts
)"""
    return """anchors AS (
  SELECT person_id, t1, row_id, breakdown FROM (
    SELECT person_id, ts AS t1, row_id, breakdown,
      ROW_NUMBER() OVER (PARTITION BY person_id, ts ORDER BY row_id) AS rn
    FROM matched WHERE step = 1
  ) AS a WHERE rn = 1
)"""


def _next_ctes(n_steps: int) -> list[str]:
    # For pair k (steps k-1 → k): role 0 rows are step k-1 events, role 1 rows are step k events.
    # Scanning each person's pair rows newest-first, the running MIN over the rows before the
    # current one is the earliest step-k time after it. At equal times role 0 sorts first, so a
    # step-k event at the very same instant is not "after" (strict order).
    return [
        f"""pair_rows AS (
  SELECT DISTINCT person_id, step + 1 AS pair, ts, 0 AS role FROM matched WHERE step >= 1 AND step < {n_steps}
  UNION ALL
  SELECT DISTINCT person_id, step AS pair, ts, 1 AS role FROM matched WHERE step >= 2
)""",
        """nexts AS (
  SELECT person_id, pair, ts, role,
    MIN(CASE WHEN role = 1 THEN ts END) OVER (
      PARTITION BY person_id, pair ORDER BY ts DESC, role ASC
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ) AS nxt
  FROM pair_rows
)""",
        "nodes AS (SELECT person_id, pair, ts, nxt FROM nexts WHERE role = 0 AND nxt IS NOT NULL)",
    ]


def _chain_cte(k: int, window_ticks: int, bd: str) -> str:
    # Extend every journey still alive at step k-1 by its earliest step-k event, if that falls
    # inside the window (an event exactly at t1 + window counts). A journey that misses a step
    # keeps cur = NULL and can never match again.
    step_ts = f"CASE WHEN n.nxt <= c.t1 + {window_ticks} THEN n.nxt END"
    cols = "c.person_id, c.t1, c.row_id" + (", c.breakdown" if bd else "")
    return f"""c{k} AS (
  SELECT {cols},
    {step_ts} AS cur,
    COALESCE({step_ts}, c.tlast) AS tlast,
    c.progress + CASE WHEN n.nxt <= c.t1 + {window_ticks} THEN 1 ELSE 0 END AS progress
  FROM c{k - 1} AS c
  LEFT JOIN (SELECT person_id, ts, nxt FROM nodes WHERE pair = {k}) AS n
    ON n.person_id = c.person_id AND n.ts = c.cur
)"""
