"""A stage conversion that drops sharply week over week: MQL→SQL on hand-built weekly cohorts."""

from datetime import timedelta

import pytest

from closedloop.alarms.detectors import stage_conversion_drop
from closedloop.alarms.tests.builders import leads_add
from closedloop.alarms.tests.conftest import NOW

DAY, HOUR = timedelta(days=1), timedelta(hours=1)


def cohort(mql_at, size: int, converted: int, *, after=2 * DAY, late: int = 0) -> None:
    """`size` contacts MQL at `mql_at`; `converted` become SQL `after` later, `late` more 8 days later."""
    rows = []
    for i in range(size):
        stages = [("mql", mql_at)]
        if i < converted:
            stages.append(("sql", mql_at + after))
        elif i < converted + late:
            stages.append(("sql", mql_at + 8 * DAY))
        rows.append((mql_at - DAY, mql_at - DAY, tuple(stages)))
    leads_add(None, rows)


def mql_to_sql(now=NOW):
    return {f.stage_pair: f for f in stage_conversion_drop.detect(now=now)}.get("mql>sql")


@pytest.mark.django_db
def test_a_sharp_drop_in_mql_to_sql_is_raised_with_its_numbers():
    # The latest full cohort: MQL between 14 and 7 days before NOW (each has had its 7 days).
    # 5 of 50 became SQL within 7 days; 5 more only after 8 days, which does not count.
    cohort(NOW - 10 * DAY, 50, 5, late=5)
    # The four weeks before: 80 of 200 within 7 days.
    cohort(NOW - 20 * DAY, 100, 40)
    cohort(NOW - 35 * DAY, 100, 40)

    finding = mql_to_sql()

    # 10% against 40%: pooled 85/250 = 0.34, SE = sqrt(0.34 × 0.66 × (1/50 + 1/200)) = 0.0749,
    # z = -0.30 / 0.0749 = -4.005, one-sided p = 3.1e-5: below 0.001 (raise) and 0.0001 (critical).
    assert finding.evidence["recent"] == {"entered": 50, "converted": 5, "rate": 0.1}
    assert finding.evidence["before"] == {"entered": 200, "converted": 80, "rate": 0.4}
    assert finding.evidence["z"] == pytest.approx(-4.005, abs=1e-3)
    assert finding.evidence["p_value"] == pytest.approx(3.097e-5, rel=1e-3)
    assert finding.raises and finding.severity == "critical"
    assert finding.title == "MQL→SQL conversion dropped to 10% (was 40%)"
    assert finding.message == (
        "MQL→SQL conversion dropped from 40.0% to 10.0%. Of the 50 contacts who became MQL between "
        "1 Jun and 7 Jun, 5 became SQL within 7 days; of the 200 who became MQL in the 4 weeks before, "
        "80 did (z = -4.01, p < 0.001)."
    )


@pytest.mark.django_db
def test_a_small_dip_or_a_small_cohort_raises_nothing():
    # 32% against 40%: ratio 0.8, not sharp. z = (0.32 - 0.40) / sqrt(0.384 × 0.616 × 0.025) = -1.04.
    cohort(NOW - 10 * DAY, 50, 16)
    cohort(NOW - 20 * DAY, 200, 80)
    assert mql_to_sql() is None


@pytest.mark.django_db
def test_too_few_contacts_in_the_latest_week_is_not_judged():
    cohort(NOW - 10 * DAY, 19, 0)  # below the minimum of 20
    cohort(NOW - 20 * DAY, 200, 80)
    assert mql_to_sql() is None
