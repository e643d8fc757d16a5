"""Backtest of stage definitions (DESIGN §2): replay a draft's rules and a baseline's rules over
stored history and compare who would have entered each stage, when, and how those leads did later.

Inputs are Arrow tables; the replay runs in DuckDB in one pass of window functions.

- `contacts`: contact_id, created_at, plus one column per static fact a rule names (persona,
  company_size, lead_score, channel, ...), named like the rule language's canonical fields.
- `events`: contact_id, type, ts.
- `deals`: contact_id, stage ("won" counts as won), amount, created_at, closed_at.

Semantics and simplifications (say them next to the numbers, both teams sign on them):

- A rule is evaluated at the contact's creation and at each of its events of a type some rule
  counts; the moment a contact would have entered a stage is the first such moment the rule holds.
  Between those moments only windowed counts (decay) and `created_days_ago` change, so a rule that
  holds only because a count went *down* (e.g. `page_view_7d < 3`) or a contact aged is noticed at
  the next such event, not when it happens.
- Event counts are exact in time. `<event>_<N>d` at moment t counts events with
  t - N days <= ts <= t: both ends inclusive, so an event exactly N days earlier still counts.
  Events at the same instant are counted together. `<event>_total` counts every event up to t.
- `created_days_ago` is computed at each moment (whole days since creation).
- Every other fact (persona, company size, lead score, title, campaign, channel, lifecycle stage ...)
  is taken as it is now: history of those values is not stored.
- Each stage is replayed on its own rule; stage order is not enforced (a contact may meet the SQL
  rule without ever meeting the MQL rule). Stages without a rule are not replayed.
- Conversion rate: share of a stage's entrants with a deal created at or after their entry. Win
  rate: share with a won deal closed at or after their entry; its amounts are the stage's revenue.
  Deals without a contact are not counted.
- Missed / added revenue: won deals (any time) of contacts who would have reached the sales-ready
  stage under the baseline but not under the draft (missed), or the other way round (added).
"""

# SQL is assembled from the rule language's own compiler output, quoted identifiers and escaped
# literals; no user text reaches it unparsed.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from closedloop.rules import field_spec, parse

__all__ = [
    "BASELINE",
    "DRAFT",
    "BacktestResult",
    "RevenueDelta",
    "StageOutcome",
    "backtest_replay",
    "rules_compile",
]

DRAFT = "draft"
BASELINE = "baseline"
RULE_SETS = (DRAFT, BASELINE)

# Facts the engine computes itself at each moment instead of reading them from `contacts`.
TIME_FACTS = frozenset({"created_days_ago"})


@dataclass(frozen=True)
class CompiledRules:
    """Stage rules as DuckDB boolean SQL, plus the event-count columns they need."""

    sql: dict[str, str]  # stage → boolean SQL expression
    counts: dict[str, tuple[str, int]]  # column → (event type, window days; 0 = all time)
    static: frozenset[str]  # other fact columns the rules read from `contacts`


def rules_compile(rules: Mapping[str, str]) -> CompiledRules:
    """Parse stage → rule source ("" = no rule, skipped) into SQL and the columns it needs.
    Raises RuleError for a rule that does not parse."""
    sql: dict[str, str] = {}
    counts: dict[str, tuple[str, int]] = {}
    static: set[str] = set()
    for stage, source in rules.items():
        if not source.strip():
            continue
        rule = parse(source)
        sql[stage] = rule.to_sql("duckdb")
        for name in rule.variables:
            spec = field_spec(name)
            if spec is not None and spec.event is not None:
                counts[spec.name] = (spec.event, spec.window_days or 0)
            elif name not in TIME_FACTS:
                static.add(name)
    return CompiledRules(sql=sql, counts=counts, static=frozenset(static))


@dataclass(frozen=True)
class StageOutcome:
    """How the contacts that one rule set would have put into one stage did afterwards."""

    entered: int = 0
    converted: int = 0  # got a deal at or after entry
    won: int = 0  # won a deal closed at or after entry
    won_revenue: float = 0.0

    @property
    def conversion_rate(self) -> float | None:
        return self.converted / self.entered if self.entered else None

    @property
    def win_rate(self) -> float | None:
        return self.won / self.entered if self.entered else None


@dataclass(frozen=True)
class RevenueDelta:
    contacts: int = 0
    deals: int = 0
    revenue: float = 0.0


@dataclass(frozen=True)
class BacktestResult:
    stages: tuple[str, ...]  # stages with a rule in either set, in the order given
    sales_ready_stage: str
    outcomes: dict[tuple[str, str], StageOutcome]  # (rule set, stage) → outcome
    monthly: dict[tuple[str, str, dt.date], int]  # (rule set, stage, first of month) → entries
    months: tuple[dt.date, ...]
    missed: RevenueDelta
    added: RevenueDelta
    replayed: dict[str, frozenset[str]] = field(default_factory=dict)  # rule set → stages with a rule

    def outcome(self, rule_set: str, stage: str) -> StageOutcome | None:
        """None when the rule set has no rule for the stage (nothing replayed)."""
        if stage not in self.replayed.get(rule_set, frozenset()):
            return None
        return self.outcomes.get((rule_set, stage), StageOutcome())

    def entries(self, rule_set: str, stage: str, month: dt.date) -> int:
        return self.monthly.get((rule_set, stage, month), 0)

    def sales_volume(self, rule_set: str) -> list[tuple[dt.date, int]]:
        """Leads sales would have received per month: entries into the sales-ready stage."""
        return [(m, self.entries(rule_set, self.sales_ready_stage, m)) for m in self.months]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _count_sql(column: str, event: str, days: int) -> str:
    start = "UNBOUNDED" if days == 0 else f"INTERVAL {int(days)} DAY"
    # RANGE, not ROWS: events at the same instant are peers and are counted together, and the
    # window's start is inclusive (an event exactly N days earlier counts).
    frame = f"RANGE BETWEEN {start} PRECEDING AND CURRENT ROW"
    return (
        f"COUNT(*) FILTER (WHERE type = {_literal(event)}) OVER "
        f"(PARTITION BY contact_id ORDER BY ts {frame}) AS {_quote(column)}"
    )


def _replay_sql(
    counts: Mapping[str, tuple[str, int]], static: list[str], conditions: list[tuple[str, str]]
) -> str:
    count_cols = [_count_sql(col, ev, days) for col, (ev, days) in sorted(counts.items())]
    selects = ",\n    ".join(["contact_id", "ts", *count_cols])
    static_cols = "".join(f", c.{_quote(s)}" for s in static)
    count_names = "".join(f", p.{_quote(c)}" for c in sorted(counts))
    # Only events of a type some rule counts can change a count: the others are not moments to
    # re-evaluate at (they would only add rows to sort).
    types = ", ".join(sorted({_literal(ev) for ev, _ in counts.values()})) or "NULL"
    entered = ",\n    ".join(
        f"MIN(moment) FILTER (WHERE {sql}) AS {_quote(alias)}" for alias, sql in conditions
    )
    return f"""
WITH points AS (
    SELECT contact_id, type, CAST(ts AS TIMESTAMP) AS ts FROM events
    WHERE contact_id IS NOT NULL AND type IN ({types})
    UNION ALL
    SELECT contact_id, NULL AS type, CAST(created_at AS TIMESTAMP) AS ts FROM contacts
),
counted AS (
    SELECT {selects}
    FROM points
),
facts AS (
    SELECT p.contact_id, p.ts AS moment{count_names}{static_cols},
        CAST(floor(epoch(p.ts - CAST(c.created_at AS TIMESTAMP)) / 86400) AS BIGINT) AS created_days_ago
    FROM counted p JOIN contacts c USING (contact_id)
)
SELECT contact_id,
    {entered}
FROM facts
GROUP BY contact_id
"""


def backtest_replay(
    *,
    events: pa.Table,
    contacts: pa.Table,
    deals: pa.Table,
    draft: Mapping[str, str],
    baseline: Mapping[str, str],
    sales_ready_stage: str,
    stage_order: tuple[str, ...] | None = None,
) -> BacktestResult:
    """Replay two rule sets (stage → rule source, "" = no rule) over the same history and summarise.

    See the module docstring for what the numbers mean. Raises RuleError for a rule that does not
    parse and KeyError-like DuckDB errors when `contacts` lacks a fact column a rule names.
    """
    compiled = {DRAFT: rules_compile(draft), BASELINE: rules_compile(baseline)}
    order = stage_order or tuple(dict.fromkeys([*baseline, *draft]))
    stages = tuple(s for s in order if any(s in c.sql for c in compiled.values()))
    counts = {**compiled[DRAFT].counts, **compiled[BASELINE].counts}
    static = sorted(compiled[DRAFT].static | compiled[BASELINE].static)
    conditions: list[tuple[str, str]] = []
    aliases: dict[str, tuple[str, str]] = {}
    for rule_set in RULE_SETS:
        for stage, sql in compiled[rule_set].sql.items():
            alias = f"e{len(conditions)}"
            conditions.append((alias, sql))
            aliases[alias] = (rule_set, stage)

    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("events", events)
        con.register("contacts", contacts)
        con.register("deals", deals)
        if conditions:
            con.execute(f"CREATE TEMP TABLE wide AS {_replay_sql(counts, static, conditions)}")
            unpivot = " UNION ALL ".join(
                f"SELECT contact_id, {_literal(rs)} AS rule_set, {_literal(st)} AS stage, "
                f"{_quote(alias)} AS entered_at FROM wide WHERE {_quote(alias)} IS NOT NULL"
                for alias, (rs, st) in aliases.items()
            )
        else:
            unpivot = (
                "SELECT NULL::BIGINT AS contact_id, '' AS rule_set, '' AS stage, "
                "NULL::TIMESTAMP AS entered_at WHERE false"
            )
        con.execute(f"CREATE TEMP TABLE entries AS {unpivot}")
        con.execute(
            """CREATE TEMP TABLE d AS SELECT contact_id, stage = 'won' AS is_won,
                CAST(amount AS DOUBLE) AS amount, CAST(created_at AS TIMESTAMP) AS created_at,
                CAST(closed_at AS TIMESTAMP) AS closed_at
            FROM deals WHERE contact_id IS NOT NULL"""
        )
        outcomes = _outcomes(con)
        monthly = {
            (rs, st, month): int(n)
            for rs, st, month, n in con.execute(
                """SELECT rule_set, stage, CAST(date_trunc('month', entered_at) AS DATE), count(*)
                FROM entries GROUP BY ALL"""
            ).fetchall()
        }
        missed = _delta(con, sales_ready_stage, BASELINE, DRAFT)
        added = _delta(con, sales_ready_stage, DRAFT, BASELINE)
    finally:
        con.close()
    months = _month_range({m for _, _, m in monthly})
    return BacktestResult(
        stages=stages,
        sales_ready_stage=sales_ready_stage,
        outcomes=outcomes,
        monthly=monthly,
        months=months,
        missed=missed,
        added=added,
        replayed={rs: frozenset(compiled[rs].sql) for rs in RULE_SETS},
    )


def _outcomes(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], StageOutcome]:
    rows = con.execute(
        """WITH per_entry AS (
            SELECT e.rule_set, e.stage, e.contact_id,
                bool_or(d.created_at >= e.entered_at) AS converted,
                bool_or(d.is_won AND d.closed_at >= e.entered_at) AS won,
                coalesce(sum(d.amount) FILTER (WHERE d.is_won AND d.closed_at >= e.entered_at), 0)
                    AS revenue
            FROM entries e LEFT JOIN d ON d.contact_id = e.contact_id
            GROUP BY ALL
        )
        SELECT rule_set, stage, count(*), count(*) FILTER (WHERE converted),
            count(*) FILTER (WHERE won), sum(revenue)
        FROM per_entry GROUP BY ALL"""
    ).fetchall()
    return {
        (rs, st): StageOutcome(entered=int(n), converted=int(c), won=int(w), won_revenue=float(r or 0))
        for rs, st, n, c, w, r in rows
    }


def _delta(con: duckdb.DuckDBPyConnection, stage: str, present: str, absent: str) -> RevenueDelta:
    """Won deals of contacts who reach `stage` under `present` but not under `absent`."""
    contacts, deals, revenue = con.execute(
        """WITH one_side AS (
            SELECT contact_id FROM entries WHERE rule_set = ? AND stage = ?
            EXCEPT
            SELECT contact_id FROM entries WHERE rule_set = ? AND stage = ?
        )
        SELECT count(DISTINCT d.contact_id), count(*), coalesce(sum(d.amount), 0)
        FROM d JOIN one_side USING (contact_id) WHERE d.is_won""",
        [present, stage, absent, stage],
    ).fetchone() or (0, 0, 0)
    return RevenueDelta(contacts=int(contacts), deals=int(deals), revenue=float(revenue))


def _month_range(months: set[dt.date]) -> tuple[dt.date, ...]:
    """Every month from the first to the last with an entry, gaps included (a table reads better)."""
    if not months:
        return ()
    first, last = min(months), max(months)
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(dt.date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return tuple(out)
