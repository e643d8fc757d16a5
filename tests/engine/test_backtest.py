"""The backtest engine against a tiny history whose entries, rates and revenue are worked out by hand."""

import datetime as dt

import pyarrow as pa
import pytest

from closedloop.engine.backtest import BASELINE, DRAFT, backtest_replay, rules_compile
from closedloop.rules import RuleError


def ts(month: int, day: int, *rest: int) -> dt.datetime:
    return dt.datetime(2026, month, day, *rest)


def contacts_table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(
        [{"created_at": ts(1, 1), "company_size": 0, "lead_score": 0.0, **r} for r in rows],
        schema=pa.schema(
            [
                ("contact_id", pa.int64()),
                ("created_at", pa.timestamp("us")),
                ("company_size", pa.int64()),
                ("lead_score", pa.float64()),
            ]
        ),
    )


def events_table(rows: list[tuple[int, str, dt.datetime]]) -> pa.Table:
    return pa.table(
        {
            "contact_id": pa.array([r[0] for r in rows], pa.int64()),
            "type": pa.array([r[1] for r in rows], pa.string()),
            "ts": pa.array([r[2] for r in rows], pa.timestamp("us")),
        }
    )


def deals_table(rows: list[tuple[int, str, float, dt.datetime, dt.datetime | None]]) -> pa.Table:
    return pa.table(
        {
            "contact_id": pa.array([r[0] for r in rows], pa.int64()),
            "stage": pa.array([r[1] for r in rows], pa.string()),
            "amount": pa.array([r[2] for r in rows], pa.float64()),
            "created_at": pa.array([r[3] for r in rows], pa.timestamp("us")),
            "closed_at": pa.array([r[4] for r in rows], pa.timestamp("us")),
        }
    )


BASELINE_RULES = {
    "visitor": "",
    "mql": "downloads_30d >= 1 && company_size >= 20",
    "sql": "meeting_booked_30d >= 1",
}
DRAFT_RULES = {
    "visitor": "",
    "mql": "downloads_30d >= 2",
    "sql": "(meeting_booked_30d >= 1 && company_size >= 50) || lead_score >= 90",
}

D, M = "content_download", "meeting_booked"


@pytest.fixture
def result():
    contacts = contacts_table(
        [
            {"contact_id": 1, "company_size": 100},
            {"contact_id": 2, "company_size": 30},
            {"contact_id": 3, "company_size": 10},
            {"contact_id": 4, "company_size": 200},
            {"contact_id": 5, "company_size": 5, "lead_score": 95.0, "created_at": ts(3, 15)},
        ]
    )
    events = events_table(
        [
            # 1: baseline MQL on Jan 10 (1 download, size 100); draft MQL on Feb 5 (Jan 10 is 26 days
            # back, so 2 downloads in 30 days); SQL on Feb 20 under both.
            (1, D, ts(1, 10)),
            (1, D, ts(2, 5)),
            (1, M, ts(2, 20)),
            # 2: baseline MQL Jan 5; the second download is 55 days later, so never 2 in 30 days:
            # no draft MQL. Baseline SQL Mar 10; size 30 < 50: no draft SQL.
            (2, D, ts(1, 5)),
            (2, D, ts(3, 1)),
            (2, M, ts(3, 10)),
            # 3: size 10 < 20: no baseline MQL; draft MQL Feb 2; baseline SQL Feb 3; no draft SQL.
            (3, D, ts(2, 1)),
            (3, D, ts(2, 2)),
            (3, M, ts(2, 3)),
            # 4: SQL on Jan 20 under both.
            (4, M, ts(1, 20)),
            # 5 has no events: the draft's lead_score >= 90 holds at creation, Mar 15.
        ]
    )
    deals = deals_table(
        [
            (1, "won", 1000.0, ts(3, 1), ts(3, 15)),
            (2, "won", 500.0, ts(3, 20), ts(4, 1)),
            (3, "lost", 800.0, ts(2, 10), ts(2, 28)),
            (4, "won", 2000.0, ts(1, 15), ts(1, 18)),  # before 4's SQL entry: not "later"
            (5, "won", 3000.0, ts(4, 1), ts(4, 20)),
        ]
    )
    return backtest_replay(
        events=events,
        contacts=contacts,
        deals=deals,
        draft=DRAFT_RULES,
        baseline=BASELINE_RULES,
        sales_ready_stage="sql",
        stage_order=("visitor", "mql", "sql"),
    )


def test_stages_without_a_rule_are_not_replayed(result):
    assert result.stages == ("mql", "sql")
    assert result.outcome(DRAFT, "visitor") is None


def test_mql_entries_rates_and_revenue(result):
    # Baseline MQL: 1 (Jan 10), 2 (Jan 5). Both got a deal later (Mar 1, Mar 20) and won it
    # (1000 + 500 = 1500): conversion 2/2, win 2/2.
    base = result.outcome(BASELINE, "mql")
    assert (base.entered, base.converted, base.won, base.won_revenue) == (2, 2, 2, 1500.0)
    # Draft MQL: 1 (Feb 5), 3 (Feb 2). Both got a deal later (Mar 1; Feb 10), only 1 won (1000):
    # conversion 2/2 = 1.0, win 1/2 = 0.5.
    draft = result.outcome(DRAFT, "mql")
    assert (draft.entered, draft.converted, draft.won, draft.won_revenue) == (2, 2, 1, 1000.0)
    assert draft.conversion_rate == 1.0 and draft.win_rate == 0.5
    jan, feb = dt.date(2026, 1, 1), dt.date(2026, 2, 1)
    assert (result.entries(BASELINE, "mql", jan), result.entries(BASELINE, "mql", feb)) == (2, 0)
    assert (result.entries(DRAFT, "mql", jan), result.entries(DRAFT, "mql", feb)) == (0, 2)


def test_sql_entries_rates_and_revenue(result):
    # Baseline SQL: 4 (Jan 20), 1 (Feb 20), 3 (Feb 3), 2 (Mar 10). Later deals: 1, 2, 3 (4's deal was
    # created Jan 15, before entry) = 3/4; later wins: 1 and 2 = 2/4, 1000 + 500 = 1500.
    base = result.outcome(BASELINE, "sql")
    assert (base.entered, base.converted, base.won, base.won_revenue) == (4, 3, 2, 1500.0)
    assert base.conversion_rate == 0.75 and base.win_rate == 0.5
    # Draft SQL: 4 (Jan 20), 1 (Feb 20), 5 (Mar 15). Later deals and wins: 1 and 5 = 2/3;
    # 1000 + 3000 = 4000.
    draft = result.outcome(DRAFT, "sql")
    assert (draft.entered, draft.converted, draft.won, draft.won_revenue) == (3, 2, 2, 4000.0)


def test_sales_volume_per_month(result):
    months = [dt.date(2026, m, 1) for m in (1, 2, 3)]
    assert result.months == tuple(months)
    # Baseline: Jan 4; Feb 1 and 3; Mar 2.  Draft: Jan 4; Feb 1; Mar 5.
    assert result.sales_volume(BASELINE) == list(zip(months, [1, 2, 1], strict=True))
    assert result.sales_volume(DRAFT) == list(zip(months, [1, 1, 1], strict=True))


def test_missed_and_added_revenue(result):
    # Sales-ready under baseline only: 2 and 3; their won deals: 2's 500 (3's deal was lost).
    assert (result.missed.contacts, result.missed.deals, result.missed.revenue) == (1, 1, 500.0)
    # Under draft only: 5, won 3000.
    assert (result.added.contacts, result.added.deals, result.added.revenue) == (1, 1, 3000.0)


def _entry(events, rule, contacts=None):
    result = backtest_replay(
        events=events_table(events),
        contacts=contacts or contacts_table([{"contact_id": 1}]),
        deals=deals_table([]),
        draft={"mql": rule},
        baseline={"mql": ""},
        sales_ready_stage="mql",
    )
    return {m for (rs, _, m), n in result.monthly.items() if rs == DRAFT and n}, result


def test_event_exactly_n_days_earlier_still_counts():
    # Window is inclusive: at Jan 31 00:00 the Jan 1 00:00 download is exactly 30 days back.
    months, _ = _entry([(1, D, ts(1, 1)), (1, D, ts(1, 31))], "downloads_30d >= 2")
    assert months == {dt.date(2026, 1, 1)}


def test_event_more_than_n_days_earlier_does_not_count():
    months, result = _entry([(1, D, ts(1, 1)), (1, D, ts(1, 31, 0, 0, 1))], "downloads_30d >= 2")
    assert months == set() and result.outcome(DRAFT, "mql").entered == 0


def test_events_at_the_same_instant_count_together_and_total_counts_all_time():
    months, _ = _entry([(1, D, ts(2, 1)), (1, D, ts(2, 1))], "downloads_1d >= 2")
    assert months == {dt.date(2026, 2, 1)}
    months, _ = _entry([(1, D, ts(1, 1)), (1, D, ts(6, 1))], "downloads_total >= 2")
    assert months == {dt.date(2026, 6, 1)}


def test_created_days_ago_is_computed_at_each_moment():
    # Created Jan 1: the Jan 5 view is 4 days in (no); the Feb 12 view is 42 days in (yes).
    months, _ = _entry(
        [(1, "page_view", ts(1, 5)), (1, "page_view", ts(2, 12))],
        "created_days_ago >= 10 && page_view_total >= 1",
    )
    assert months == {dt.date(2026, 2, 1)}


def test_rules_compile_lists_count_and_static_columns():
    compiled = rules_compile(
        {"mql": "downloads_30d >= 1 && persona == 'cfo' && created_days_ago > 3", "sql": ""}
    )
    assert compiled.counts == {"content_download_30d": ("content_download", 30)}
    assert compiled.static == {"persona"}
    assert set(compiled.sql) == {"mql"}
    with pytest.raises(RuleError):
        rules_compile({"mql": "downloads_30d >="})
