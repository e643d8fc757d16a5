"""CPA, CAC, win rate, sales cycle and reporting periods against hand-computed examples.

The KPI examples run on DuckDB, PostgreSQL and ClickHouse (the `funnel_engine` fixture)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pytest

from closedloop.engine.kpis import cac, cpa, sales_cycle, win_rate
from closedloop.engine.periods import Period

TS = pa.timestamp("us", tz="UTC")
JAN = Period.month(2024, 1)


def at(month: int, day: int, hour: int = 0, year: int = 2024) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


# --- periods -----------------------------------------------------------------------------------


def test_month_period_is_half_open_in_utc():
    assert JAN.start == at(1, 1)
    assert JAN.end == at(2, 1)
    assert JAN.label() == "2024-01"
    assert JAN.days == 31


def test_previous_months_step_by_calendar_month():
    assert [p.label() for p in Period.month(2024, 5).previous(4)] == [
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
    ]
    assert Period.month(2024, 1).shift(-1).label() == "2023-12"


def test_non_month_periods_step_by_their_length():
    week = Period(at(1, 8), at(1, 15))
    assert week.shift(-1) == Period(at(1, 1), at(1, 8))


def test_naive_datetimes_and_empty_periods_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        Period(datetime(2024, 1, 1), datetime(2024, 2, 1))
    with pytest.raises(ValueError, match="must be after"):
        Period(at(2, 1), at(1, 1))


# --- CPA ---------------------------------------------------------------------------------------


def _costs() -> pa.Table:
    return pa.table(
        {
            "date": pa.array([date(2024, 1, 5), date(2024, 1, 20), date(2024, 2, 1), date(2024, 1, 10)]),
            "amount": pa.array([100, 200, 50, 300], pa.int64()),
            "campaign": ["A", "A", "A", "B"],
        }
    )


def _acquisitions() -> pa.Table:
    plus2 = timezone(timedelta(hours=2))
    return pa.table(
        {
            "at": pa.array(
                [
                    at(1, 6),
                    at(1, 7),
                    # 1 Feb 00:30 at UTC+2 is 31 Jan 22:30 UTC: January.
                    datetime(2024, 2, 1, 0, 30, tzinfo=plus2),
                    at(2, 1),  # 1 Feb 00:00 UTC: the period is half-open, so February.
                    at(1, 15),
                ],
                TS,
            ),
            "campaign": ["A", "A", "A", "A", "C"],
        }
    )


def test_cpa_per_campaign(funnel_engine):
    # January: A costs 100 + 200 = 300 (the 1 Feb 50 is February) for 3 acquisitions → 100.
    # B costs 300 with no acquisition → CPA null, not infinity. C has 1 acquisition, no cost → 0.
    result = cpa(_costs(), _acquisitions(), JAN, by="campaign", engine=funnel_engine).to_pylist()
    assert result == [
        {"campaign": "A", "cost": 300.0, "acquisitions": 3, "cpa": 100.0},
        {"campaign": "B", "cost": 300.0, "acquisitions": 0, "cpa": None},
        {"campaign": "C", "cost": 0.0, "acquisitions": 1, "cpa": 0.0},
    ]


def test_cpa_overall(funnel_engine):
    # 600 / 4 = 150.
    assert cpa(_costs(), _acquisitions(), JAN, engine=funnel_engine).to_pylist() == [
        {"cost": 600.0, "acquisitions": 4, "cpa": 150.0}
    ]


def test_cpa_names_the_missing_column():
    with pytest.raises(ValueError, match="costs table is missing column\\(s\\) amount"):
        cpa(_costs().drop(["amount"]), _acquisitions(), JAN)


# --- CAC ---------------------------------------------------------------------------------------


def test_cac_counts_sales_and_marketing_cost_over_first_time_customers(funnel_engine):
    costs = pa.table(
        {
            "date": pa.array([date(2024, 1, 3), date(2024, 1, 31), date(2024, 1, 15), date(2024, 2, 1)]),
            "amount": pa.array([1000.0, 500.0, 200.0, 99.0]),
            "team": ["marketing", "sales", "product", "marketing"],
        }
    )
    transitions = pa.table(
        {
            "contact_id": [1, 2, 3, 3, 4, 5],
            "to_stage": ["customer", "customer", "customer", "customer", "customer", "sql"],
            "at": pa.array([at(1, 10), at(1, 20), at(12, 15, year=2023), at(1, 5), at(2, 2), at(1, 3)], TS),
        }
    )
    # Cost: marketing 1000 + sales 500 = 1500 (product's 200 and February's 99 do not count).
    # New customers in January: contacts 1 and 2. Contact 3 first became a customer in December
    # (its January entry is a win-back), contact 4 in February, contact 5 never. CAC = 1500/2.
    result = cac(costs, transitions, JAN, engine=funnel_engine)
    assert result.cost_by_team == (("marketing", 1000.0), ("sales", 500.0))
    assert result.cost == 1500.0
    assert result.new_customers == 2
    assert result.cac == 750.0


def test_cac_without_new_customers_is_null(funnel_engine):
    costs = pa.table({"date": pa.array([date(2024, 1, 3)]), "amount": [10.0]})
    transitions = pa.table({"contact_id": [1], "to_stage": ["mql"], "at": pa.array([at(1, 4)], TS)})
    result = cac(costs, transitions, JAN, engine=funnel_engine)
    assert (result.cost, result.new_customers, result.cac) == (10.0, 0, None)


# --- deals: win rate and sales cycle -----------------------------------------------------------


def _deals() -> pa.Table:
    rows = [
        # id, stage, amount, created, closed, source
        ("d1", "won", 1000, at(1, 1), at(1, 11), "ads"),  # 10 days
        ("d2", "won", 3000, at(12, 2, year=2023), at(1, 1), "seo"),  # 30 days (Dec has 31)
        ("d3", "lost", 500, at(1, 1), at(1, 25), "ads"),
        ("d4", "lost", 1500, at(1, 2), at(2, 2), "ads"),  # closed in February
        ("d5", "prospecting", 700, at(1, 3), None, "seo"),  # open: never in a win rate
        ("d6", "won", 2000, at(11, 1, year=2023), at(12, 30, year=2023), "seo"),  # December
        ("d7", "won", 400, at(1, 10, 12), at(1, 15), "ads"),  # 4.5 days
    ]
    return pa.table(
        {
            "deal_id": [r[0] for r in rows],
            "stage": [r[1] for r in rows],
            "amount": pa.array([r[2] for r in rows], pa.decimal128(12, 2)),
            "created_at": pa.array([r[3] for r in rows], TS),
            "closed_at": pa.array([r[4] for r in rows], TS),
            "source": [r[5] for r in rows],
        }
    )


def test_win_rate_of_deals_closed_in_the_period(funnel_engine):
    # Closed in January: won d1, d2, d7; lost d3 → 3 / 4 = 0.75.
    # Amounts: won 1000 + 3000 + 400 = 4400, lost 500 → 4400 / 4900.
    [row] = win_rate(_deals(), JAN, engine=funnel_engine).to_pylist()
    assert row["won"] == 3 and row["lost"] == 1
    assert row["win_rate"] == pytest.approx(0.75)
    assert row["won_amount"] == 4400.0 and row["lost_amount"] == 500.0
    assert row["amount_win_rate"] == pytest.approx(4400 / 4900)


def test_win_rate_by_source(funnel_engine):
    # ads: won d1, d7, lost d3 → 2/3; seo: won d2 → 1/1.
    rows = {r["source"]: r for r in win_rate(_deals(), JAN, by="source", engine=funnel_engine).to_pylist()}
    assert rows["ads"]["win_rate"] == pytest.approx(2 / 3)
    assert rows["seo"]["win_rate"] == 1.0


def test_win_rate_with_nothing_closed_is_null_not_zero(funnel_engine):
    [row] = win_rate(_deals(), Period.month(2024, 6), engine=funnel_engine).to_pylist()
    assert (row["won"], row["lost"], row["win_rate"]) == (0, 0, None)


def test_sales_cycle_of_won_deals(funnel_engine):
    # Won in January: d1 10 days, d2 30 days, d7 4.5 days (12:00 on the 10th to the 15th).
    # mean = 44.5 / 3; median = 10; p90 = sorted [4.5, 10, 30] at position 0.9 × 2 = 1.8
    # → 10 + 0.8 × (30 − 10) = 26.
    [row] = sales_cycle(_deals(), JAN, engine=funnel_engine).to_pylist()
    assert row["won"] == 3
    assert row["mean_days"] == pytest.approx(44.5 / 3)
    assert row["median_days"] == pytest.approx(10.0)
    assert row["p90_days"] == pytest.approx(26.0)


def test_sales_cycle_by_source(funnel_engine):
    # ads: d1 10, d7 4.5 → mean 7.25; seo: d2 30.
    rows = {r["source"]: r for r in sales_cycle(_deals(), JAN, by="source", engine=funnel_engine).to_pylist()}
    assert rows["ads"]["mean_days"] == pytest.approx(7.25)
    assert rows["seo"]["median_days"] == pytest.approx(30.0)


def test_sales_cycle_refuses_a_deal_closed_before_it_was_created(funnel_engine):
    deals = pa.table(
        {
            "stage": ["won"],
            "amount": [1.0],
            "created_at": pa.array([at(1, 10)], TS),
            "closed_at": pa.array([at(1, 5)], TS),
        }
    )
    with pytest.raises(ValueError, match="closed_at before created_at"):
        sales_cycle(deals, JAN, engine=funnel_engine)


# --- reference: the Maven CRM sample's published figures (../shared/datasets, SOURCE.md) -----

MAVEN = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "maven_crm_sales_opportunities"


@pytest.fixture(scope="module")
def maven_deals() -> pa.Table:
    if not MAVEN.is_dir():
        pytest.skip(f"dataset not found at {MAVEN}")
    pipeline = pa_csv.read_csv(MAVEN / "sales_pipeline.csv")
    teams = pa_csv.read_csv(MAVEN / "sales_teams.csv").select(["sales_agent", "regional_office"])
    pipeline = pipeline.join(teams, "sales_agent", join_type="left outer")
    return pa.table(
        {
            "stage": pc.utf8_lower(pipeline.column("deal_stage")),
            "amount": pipeline.column("close_value"),
            "created_at": pipeline.column("engage_date"),
            "closed_at": pipeline.column("close_date"),
            "region": pipeline.column("regional_office"),
        }
    )


def test_win_rate_and_cycle_match_the_maven_reference(maven_deals, funnel_engine):
    # SOURCE.md: Won 4,238, Lost 2,473 → 63.15 %; won revenue $10,005,534; engage → close of won
    # deals: mean 51.8 days, median 57. Every deal closed in 2017.
    year = Period(date(2017, 1, 1), date(2018, 1, 1))
    [row] = win_rate(maven_deals, year, engine=funnel_engine).to_pylist()
    assert (row["won"], row["lost"]) == (4238, 2473)
    assert row["win_rate"] == pytest.approx(0.6315, abs=5e-5)
    assert row["won_amount"] == 10_005_534
    [cycle] = sales_cycle(maven_deals, year, engine=funnel_engine).to_pylist()
    assert cycle["mean_days"] == pytest.approx(51.8, abs=0.05)
    assert cycle["median_days"] == 57
    # By region: Central 62.6 %, East 63.0 %, West 63.9 %.
    by_region = {
        r["region"]: r["win_rate"]
        for r in win_rate(maven_deals, year, by="region", engine=funnel_engine).to_pylist()
    }
    assert by_region == pytest.approx({"Central": 0.626, "East": 0.630, "West": 0.639}, abs=5e-4)
