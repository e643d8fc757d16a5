"""Friction diagnosis on hand-built funnels: the losing transition, its value, owner and sentence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from closedloop.engine.friction import friction_diagnose, friction_run
from closedloop.engine.periods import Period

TS = pa.timestamp("us", tz="UTC")
OWNERS = {("mql", "sql"): "marketing", ("sql", "opportunity"): "sales", ("opportunity", "customer"): "sales"}


def at(month: int, day: int) -> datetime:
    return datetime(2024, month, day, tzinfo=UTC)


def counts(rows: list[tuple[str, str, int, int]]) -> pa.Table:
    return pa.table(
        {
            "from_stage": [r[0] for r in rows],
            "to_stage": [r[1] for r in rows],
            "entered": [r[2] for r in rows],
            "converted": [r[3] for r in rows],
        }
    )


CURRENT = counts(
    [
        ("mql", "sql", 100, 30),  # 30 %
        ("sql", "opportunity", 60, 13),  # 21.67 %
        ("opportunity", "customer", 20, 5),  # 25 %
    ]
)
# Four baseline periods, pooled: MQL → SQL 128/400 = 32 %, SQL → opportunity 82/200 = 41 %,
# opportunity → customer 20/80 = 25 %.
BASELINE = counts(
    [("mql", "sql", 100, 32)] * 4
    + [("sql", "opportunity", 50, 20), ("sql", "opportunity", 50, 21)] * 2
    + [("opportunity", "customer", 20, 5)] * 4
)
MAY = Period.month(2024, 5)
REJECTIONS = pa.table(
    {
        "from_stage": ["sql"] * 20,
        "to_stage": ["opportunity"] * 20,
        "reason": ["no budget"] * 12 + ["bad timing"] * 5 + ["not a fit"] * 2 + ["no budget"],
        # The last rejection was in April: not this period's story.
        "at": pa.array([at(5, 3)] * 19 + [at(4, 20)], TS),
    }
)


def test_the_transition_that_lost_most_value_comes_first():
    report = friction_diagnose(
        CURRENT, BASELINE, value_per_customer=10_000, owners=OWNERS, rejections=REJECTIONS, period=MAY
    )
    # Value of one conversion into each stage, from the end back with baseline rates:
    #   customer 10,000; opportunity 10,000 × 25 % = 2,500; SQL 2,500 × 41 % = 1,025.
    # Lost conversions = (baseline − current) × entrants:
    #   MQL → SQL         (0.32 − 0.30) × 100 = 2      × 1,025  = 2,050
    #   SQL → opportunity (0.41 − 13/60) × 60 = 24.6 − 13 = 11.6 × 2,500 = 29,000
    #   opportunity → customer (0.25 − 0.25) × 20 = 0
    worst = report.worst
    assert worst is not None
    assert (worst.from_stage, worst.to_stage, worst.owner) == ("sql", "opportunity", "sales")
    assert worst.baseline_rate == pytest.approx(0.41)
    assert worst.current_rate == pytest.approx(13 / 60)
    assert worst.lost_conversions == pytest.approx(11.6)
    assert worst.value_per_conversion == pytest.approx(2_500)
    assert worst.lost_value == pytest.approx(29_000)
    # Rejections in May: 12 of 19 say "no budget" = 63 %.
    assert (worst.rejections, worst.top_reason) == (19, "no budget")
    assert worst.top_reason_share == pytest.approx(12 / 19)
    assert worst.sentence == (
        "SQL → opportunity fell from 41% to 22% (about 12 fewer conversions, worth 29,000); "
        "owned by sales; 63% of rejections say 'no budget'"
    )
    ranked = report.ranked()
    assert [(t.from_stage, t.to_stage) for t in ranked] == [
        ("sql", "opportunity"),
        ("mql", "sql"),
        ("opportunity", "customer"),
    ]
    mql = ranked[1]
    assert mql.value_per_conversion == pytest.approx(1_025)
    assert mql.lost_value == pytest.approx(2_050)
    assert (
        mql.sentence
        == "MQL → SQL fell from 32% to 30% (about 2 fewer conversions, worth 2,050); owned by marketing"
    )
    assert ranked[2].sentence == "opportunity → customer held at 25%; owned by sales"


def test_report_as_a_table():
    report = friction_diagnose(CURRENT, BASELINE, value_per_customer=10_000, owners=OWNERS)
    table = report.to_table()
    assert table.num_rows == 3
    assert table.column("lost_value").to_pylist()[0] == pytest.approx(29_000)
    assert table.column("rejections").to_pylist() == [0, 0, 0]


def test_a_transition_without_owner_or_baseline_says_so():
    current = counts([("mql", "sql", 10, 3)])
    baseline = counts([("mql", "sql", 0, 0)])
    [item] = friction_diagnose(current, baseline, value_per_customer=1_000).transitions
    assert item.lost_value is None
    assert (
        item.sentence
        == "MQL → SQL is 30% this period, with no baseline to compare; no owner set in the agreement"
    )


def test_no_loss_means_no_worst_transition():
    current = counts([("mql", "sql", 100, 40)])
    baseline = counts([("mql", "sql", 100, 30)])
    report = friction_diagnose(current, baseline, value_per_customer=100, owners=OWNERS)
    # Better than baseline: lost value (0.30 − 0.40) × 100 × 100 = −1,000, a gain.
    assert report.transitions[0].lost_value == pytest.approx(-1_000)
    assert report.worst is None
    assert report.transitions[0].sentence == "MQL → SQL rose from 30% to 40%; owned by marketing"


def _history() -> pa.Table:
    rows = [
        # January: four MQLs, a1 and a2 become SQLs, a1 a customer.
        ("a1", "mql", at(1, 2)),
        ("a2", "mql", at(1, 3)),
        ("a3", "mql", at(1, 4)),
        ("a4", "mql", at(1, 5)),
        ("a1", "sql", at(1, 10)),
        ("a2", "sql", at(1, 10)),
        ("a1", "customer", at(1, 20)),
        # February: four MQLs, only b1 goes on, all the way to customer.
        ("b1", "mql", at(2, 2)),
        ("b2", "mql", at(2, 3)),
        ("b3", "mql", at(2, 4)),
        ("b4", "mql", at(2, 5)),
        ("b1", "sql", at(2, 10)),
        ("b1", "customer", at(2, 20)),
    ]
    return pa.table(
        {
            "contact_id": [r[0] for r in rows],
            "to_stage": [r[1] for r in rows],
            "at": pa.array([r[2] for r in rows], TS),
        }
    )


def test_friction_from_the_stage_history():
    deals = pa.table(
        {
            "stage": ["won", "won", "lost"],
            "amount": [4_000.0, 6_000.0, 9_999.0],
            "created_at": pa.array([at(1, 1), at(2, 1), at(1, 1)], TS),
            "closed_at": pa.array([at(1, 20), at(2, 20), at(2, 1)], TS),
        }
    )
    report = friction_run(
        _history(),
        Period.month(2024, 2),
        baseline=1,
        deals=deals,
        owners={("mql", "sql"): "marketing", ("sql", "customer"): "sales"},
        stages=("mql", "sql", "customer"),
        window=timedelta(days=14),
        as_of=at(3, 31),
    )
    # Value of a customer: mean won amount in January and February = (4,000 + 6,000) / 2 = 5,000.
    # Baseline (January): MQL → SQL 2/4 = 50 %, SQL → customer 1/2 = 50 %.
    # February: MQL → SQL 1/4 = 25 %, SQL → customer 1/1 = 100 %; every window has closed.
    # MQL → SQL lost (0.50 − 0.25) × 4 = 1 conversion, worth 5,000 × 50 % = 2,500.
    # SQL → customer gained (0.50 − 1.00) × 1 = −0.5 conversions, −2,500.
    assert report.baseline == (Period.month(2024, 1),)
    worst = report.worst
    assert worst is not None
    assert (worst.from_stage, worst.to_stage, worst.lost_value) == ("mql", "sql", pytest.approx(2_500))
    assert (
        worst.sentence
        == "MQL → SQL fell from 50% to 25% (about 1 fewer conversion, worth 2,500); owned by marketing"
    )
    other = report.ranked()[1]
    assert other.lost_value == pytest.approx(-2_500)
    assert other.sentence == "SQL → customer rose from 50% to 100%; owned by sales"


def test_friction_needs_a_value_for_customers():
    with pytest.raises(ValueError, match=r"deals .* or value_per_customer"):
        friction_run(_history(), Period.month(2024, 2), stages=("mql", "sql", "customer"), as_of=at(3, 31))
