"""Stage-to-stage conversion and time in stage against hand-computed stage histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from closedloop.engine.kpis_stages import kaplan_meier_median, stage_conversion, time_in_stage
from closedloop.engine.periods import Period

TS = pa.timestamp("us", tz="UTC")
JAN = Period.month(2024, 1)


def at(month: int, day: int, year: int = 2024) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def transitions(rows: list[tuple[str, str, datetime]]) -> pa.Table:
    return pa.table(
        {
            "contact_id": [r[0] for r in rows],
            "to_stage": [r[1] for r in rows],
            "at": pa.array([r[2] for r in rows], TS),
        }
    )


HISTORY = transitions(
    [
        ("c1", "mql", at(1, 3)),
        ("c1", "sql", at(1, 5)),
        ("c1", "opportunity", at(1, 20)),
        ("c2", "mql", at(1, 10)),
        ("c2", "sql", at(2, 15)),
        ("c3", "mql", at(1, 15)),
        ("c4", "mql", at(1, 20)),
        ("c4", "opportunity", at(1, 25)),  # skips SQL
        ("c5", "mql", at(12, 20, year=2023)),
        ("c5", "sql", at(1, 2)),
        ("c6", "mql", at(2, 1)),  # February
    ]
)


def _pairs(table: pa.Table) -> dict[tuple[str, str], dict[str, object]]:
    return {(r["from_stage"], r["to_stage"]): r for r in table.to_pylist()}


def test_conversion_is_cohort_based_and_counts_skipped_stages(funnel_engine):
    # MQL in January: c1, c2, c3, c4 (c5 was an MQL in December, c6 in February) → 4.
    # Later reached SQL or beyond: c1 (SQL 5 Jan), c2 (SQL 15 Feb), c4 (opportunity, which is past
    # SQL) → 3 of 4. c3 has not converted and, with no window, is still in progress.
    # Days to convert: c1 2, c2 36 (10 Jan → 15 Feb), c4 5 → median 5.
    rows = _pairs(stage_conversion(HISTORY, JAN, as_of=at(3, 1), engine=funnel_engine))
    mql_sql = rows[("mql", "sql")]
    assert (mql_sql["entered"], mql_sql["converted"], mql_sql["in_progress"]) == (4, 3, 1)
    assert mql_sql["conversion_rate"] == pytest.approx(0.75)
    assert mql_sql["median_days_to_convert"] == pytest.approx(5.0)
    # SQL in January: c1 (5 Jan) and c5 (2 Jan); c1 reached opportunity 15 days later → 1 of 2.
    sql_opp = rows[("sql", "opportunity")]
    assert (sql_opp["entered"], sql_opp["converted"], sql_opp["in_progress"]) == (2, 1, 1)
    assert sql_opp["median_days_to_convert"] == pytest.approx(15.0)
    # Nobody entered the first two stages: no rate rather than 0 %.
    assert rows[("visitor", "iql")]["entered"] == 0
    assert rows[("visitor", "iql")]["conversion_rate"] is None


def test_conversion_window_and_in_progress(funnel_engine):
    # Window 30 days, as of 10 Feb: c2's SQL (15 Feb) is in the future and would be 36 days anyway.
    # Converted: c1 (2 days), c4 (5 days) → 2 of 4. Not converted: c2, whose window closed on
    # 9 Feb, and c3, whose window runs to 14 Feb → c3 is in progress.
    rows = _pairs(
        stage_conversion(HISTORY, JAN, window=timedelta(days=30), as_of=at(2, 10), engine=funnel_engine)
    )
    mql_sql = rows[("mql", "sql")]
    assert (mql_sql["entered"], mql_sql["converted"], mql_sql["in_progress"]) == (4, 2, 1)
    assert mql_sql["conversion_rate"] == pytest.approx(0.5)


def test_conversion_for_chosen_pairs(funnel_engine):
    table = stage_conversion(
        HISTORY, JAN, pairs=[("mql", "opportunity")], as_of=at(3, 1), engine=funnel_engine
    )
    # Reached opportunity after their January MQL entry: c1 and c4.
    assert table.to_pylist()[0]["converted"] == 2
    with pytest.raises(ValueError, match="backwards"):
        stage_conversion(HISTORY, JAN, pairs=[("sql", "mql")], as_of=at(3, 1))
    with pytest.raises(ValueError, match="not in"):
        stage_conversion(HISTORY, JAN, pairs=[("mql", "won")], as_of=at(3, 1))


def test_conversion_names_a_missing_column():
    with pytest.raises(ValueError, match="transitions table is missing column\\(s\\) at"):
        stage_conversion(HISTORY.drop(["at"]), JAN)


STAYS = transitions(
    [
        ("c1", "mql", at(1, 1)),
        ("c1", "sql", at(1, 4)),
        ("c1", "opportunity", at(1, 14)),
        ("c2", "mql", at(1, 2)),
        ("c2", "mql", at(1, 3)),  # a repeated MQL transition is the same stay
        ("c2", "sql", at(1, 12)),
        ("c3", "mql", at(1, 5)),
        ("c4", "sql", at(1, 10)),
    ]
)


def test_time_in_stage_reports_censored_stays_separately():
    rows = {r["stage"]: r for r in time_in_stage(STAYS, as_of=at(1, 31)).to_pylist()}
    # MQL: c1 3 days, c2 10 days (2 → 12 Jan, the repeat on the 3rd ignored); c3 still in, 26 days.
    # mean = median = 6.5; p90 = 3 + 0.9 × 7 = 9.3.
    # Kaplan–Meier: at 3 days 1 of 3 at risk leaves → S = 2/3; at 10 days 1 of 2 → S = 1/3 ≤ ½.
    mql = rows["mql"]
    assert (mql["entries"], mql["exited"], mql["still_in"]) == (3, 2, 1)
    assert mql["mean_days"] == pytest.approx(6.5)
    assert mql["median_days"] == pytest.approx(6.5)
    assert mql["p90_days"] == pytest.approx(9.3)
    assert mql["km_median_days"] == pytest.approx(10.0)
    assert mql["still_in_median_age_days"] == pytest.approx(26.0)
    # SQL: c1 left after 10 days; c2 (since 12 Jan, 19 days) and c4 (since 10 Jan, 21 days) are
    # still in. KM: at 10 days 1 of 3 leaves → S = 2/3 and no later exit: median unknown (null),
    # which is the honest answer when most SQLs are still waiting.
    sql = rows["sql"]
    assert (sql["entries"], sql["exited"], sql["still_in"]) == (3, 1, 2)
    assert sql["median_days"] == pytest.approx(10.0)
    assert sql["km_median_days"] is None
    assert sql["still_in_median_age_days"] == pytest.approx(20.0)
    # Opportunity: c1 since 14 Jan, still in.
    assert (rows["opportunity"]["exited"], rows["opportunity"]["still_in"]) == (0, 1)
    assert rows["opportunity"]["mean_days"] is None


def test_time_in_stage_for_entries_in_a_period_in_stage_order():
    period = Period(at(1, 4), at(1, 11))
    table = time_in_stage(STAYS, as_of=at(1, 31), period=period, stages=["mql", "sql"])
    # Entries between 4 and 10 Jan: c3's MQL (5 Jan), c1's SQL (4 Jan), c4's SQL (10 Jan).
    assert table.column("stage").to_pylist() == ["mql", "sql"]
    assert table.column("entries").to_pylist() == [1, 2]
    assert table.column("exited").to_pylist() == [0, 1]


def test_kaplan_meier_median_by_hand():
    import numpy as np

    # Durations 2, 4 (censored), 6, 8: at 2 → S = 3/4; at 6 the at-risk set is {6, 8} → S = 3/8.
    assert kaplan_meier_median(np.array([2.0, 4.0, 6.0, 8.0]), np.array([True, False, True, True])) == 6.0


def test_an_empty_history_gives_empty_answers_not_errors(funnel_engine):
    empty = transitions([])
    assert time_in_stage(empty, as_of=at(1, 31)).num_rows == 0
    rows = stage_conversion(empty, JAN, as_of=at(1, 31), engine=funnel_engine)
    assert set(rows.column("entered").to_pylist()) == {0}
    assert set(rows.column("conversion_rate").to_pylist()) == {None}
