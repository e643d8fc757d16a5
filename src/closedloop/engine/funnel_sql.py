"""The funnel query, written once (DuckDB dialect) and compiled per engine by `dialects`.

Inputs are two tables prepared by `funnel.py`:
  events(person_id, event, ts BIGINT, row_id BIGINT [, breakdown])  -- ts in the input's unit
  steps(step BIGINT, event)                                         -- step 0 is the exclusion

Timestamps travel as integers (ticks since the epoch, UTC), so window arithmetic, strict ordering
and durations mean exactly the same on DuckDB, PostgreSQL and ClickHouse, with no time-zone or
interval-type differences between them. Step names never enter the SQL text: they are data in the
`steps` table, which rules out injection through a step name.

How progress is found without O(steps²) self-joins: from a first-step event at t1 the journey
that reaches furthest is greedy — step k is the earliest step-k event strictly after step k-1
(a later one can never reach further). So each step is one ASOF-style lookup, "earliest step-k
event after cur", written as a window over the live journeys and the step-k events (ASOF JOIN
itself does not exist on PostgreSQL). Work grows linearly with the number of steps, and each
step only carries the journeys still alive.
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
    ctes = [
        # Every first-step event starts a journey (simultaneous ones make identical journeys).
        f"""anchors AS (
  SELECT e.person_id, e.ts AS t1, e.row_id{", e.breakdown" if p.has_breakdown else ""}
  {_matched(p, "s.step = 1")}
)""",
        "c1 AS (SELECT person_id, t1, t1 AS cur, t1 AS tlast, 1 AS progress FROM anchors)",
    ]
    if p.n_steps > 1:
        ctes.append(f"targets AS (SELECT e.person_id, e.ts, s.step {_matched(p, 's.step >= 2')})")
        ctes += [_step_cte(k, p.window_ticks) for k in range(2, p.n_steps + 1)]
    ctes += [_journeys_cte(p.n_steps), *_best_ctes(p)]
    if p.has_exclusion:
        # Exclusion applies to the journey that was counted: an exclusion event at any time from
        # its first step to its last reached step, both ends included.
        ctes.append(
            f"""excluded AS (
  SELECT DISTINCT b.person_id AS person_id
  FROM best AS b
  JOIN (SELECT e.person_id, e.ts {_matched(p, "s.step = 0")}) AS x ON x.person_id = b.person_id
  WHERE x.ts >= b.t1 AND x.ts <= b.tlast
)"""
        )
        excl_join = "LEFT JOIN excluded AS x ON x.person_id = b.person_id"
        excl_flag = "CASE WHEN x.person_id IS NULL THEN 0 ELSE 1 END"
    else:
        excl_join = ""
        excl_flag = "0"
    # Still in progress: not converted, and some first-step event's window is still open at
    # as_of, so a later event could still move the person on.
    in_progress = (
        f"CASE WHEN b.progress < {p.n_steps} AND b.last_t1 + {p.window_ticks} > {p.as_of_ticks} "
        "THEN 1 ELSE 0 END"
    )
    final = f"""SELECT breakdown, furthest, in_progress, excluded, duration, COUNT(*) AS people
FROM (
  SELECT {"a.breakdown" if p.has_breakdown else "NULL"} AS breakdown, b.progress AS furthest,
    {in_progress} AS in_progress,
    {excl_flag} AS excluded,
    CASE WHEN b.progress = {p.n_steps} THEN b.tlast - b.t1 END AS duration
  FROM best AS b {_breakdown_join(p)} {excl_join}
) AS per_person
GROUP BY breakdown, furthest, in_progress, excluded, duration"""
    return "WITH " + ",\n".join(ctes) + "\n" + final


def _matched(p: FunnelSqlParams, condition: str) -> str:
    # Events matching a step (step 0: the exclusion) and seen by as_of. An event name can match
    # several steps, so the join may fan out.
    return f"""FROM events AS e JOIN steps AS s ON e.event = s.event
  WHERE {condition} AND e.person_id IS NOT NULL AND e.ts <= {p.as_of_ticks}"""


def _step_cte(k: int, window_ticks: int) -> str:
    """Extend every journey still alive after step k-1 by its earliest step-k event after `cur`.

    An ASOF lookup written as a window, which all three engines run: the live journeys and the
    step-k events of each person are sorted together, newest first, and a running MIN over the
    events seen so far is the earliest step-k time after each journey's `cur`. At equal times
    journeys sort before events, so an event at the very same instant is not "after" (strict
    order). The step only counts inside the window (an event exactly at t1 + window does); a
    journey that misses gets cur = NULL: it is finished, and only live ones reach the next step,
    so the later, rarer steps cost little.
    """
    step_ts = f"CASE WHEN nxt <= t1 + {window_ticks} THEN nxt END"
    return f"""c{k} AS (
  SELECT person_id, t1,
    {step_ts} AS cur,
    COALESCE({step_ts}, ts) AS tlast,
    {k - 1} + CASE WHEN nxt <= t1 + {window_ticks} THEN 1 ELSE 0 END AS progress
  FROM (
    SELECT person_id, t1, ts, role,
      MIN(CASE WHEN role = 1 THEN ts END) OVER (
        PARTITION BY person_id ORDER BY ts DESC, role ASC
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS nxt
    FROM (
      SELECT person_id, cur AS ts, t1, 0 AS role FROM c{k - 1} WHERE cur IS NOT NULL
      UNION ALL
      SELECT person_id, ts, ts AS t1, 1 AS role FROM targets WHERE step = {k}
    ) AS lookup
  ) AS found
  WHERE role = 0
)"""


def _journeys_cte(n_steps: int) -> str:
    # Every journey once, as it ended: those that stopped at each step, plus all of the last.
    cols = "person_id, t1, tlast, progress"
    parts = [f"SELECT {cols} FROM c{k} WHERE cur IS NULL" for k in range(2, n_steps)]
    parts.append(f"SELECT {cols} FROM c{n_steps}")
    return "journeys AS (\n  " + "\n  UNION ALL\n  ".join(parts) + "\n)"


def _best_ctes(p: FunnelSqlParams) -> list[str]:
    """One row per person: the counted journey (furthest, then earliest) and the last first step.

    (Output names never repeat an input column: ClickHouse would read them as the alias.)
    A hash aggregate rather than a ranking window: per person and level, MIN(t1) is the earliest
    journey reaching that level, and because greedy step times never decrease as t1 increases,
    MIN(tlast) at the same level is that same journey's last step time.
    """
    levels = range(1, p.n_steps + 1)
    mins = "".join(
        f",\n    MIN(CASE WHEN progress = {k} THEN t1 END) AS t1_{k},"
        f" MIN(CASE WHEN progress = {k} THEN tlast END) AS tlast_{k}"
        for k in levels
    )
    pick_t1 = " ".join(f"WHEN {k} THEN t1_{k}" for k in levels)
    pick_tlast = " ".join(f"WHEN {k} THEN tlast_{k}" for k in levels)
    return [
        f"""per_person AS (
  SELECT person_id, MAX(progress) AS furthest, MAX(t1) AS last_t1{mins}
  FROM journeys GROUP BY person_id
)""",
        f"""best AS (
  SELECT person_id, furthest AS progress, last_t1,
    CASE furthest {pick_t1} END AS t1,
    CASE furthest {pick_tlast} END AS tlast
  FROM per_person
)""",
    ]


def _breakdown_join(p: FunnelSqlParams) -> str:
    # The breakdown value comes from the counted journey's first-step event; when several
    # happened at that same instant, from the one earliest in the input (smallest row_id).
    if not p.has_breakdown:
        return ""
    return """JOIN (
    SELECT a.person_id, MIN(a.row_id) AS row_id
    FROM anchors AS a JOIN best AS b2 ON b2.person_id = a.person_id AND b2.t1 = a.t1
    GROUP BY a.person_id
  ) AS f ON f.person_id = b.person_id
  JOIN anchors AS a ON a.row_id = f.row_id"""
