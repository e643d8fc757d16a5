"""The insights reports against the hand-built histories in report_data.py. Each expected number is
worked out in the comment next to it."""

from datetime import date

import pytest

from closedloop.insights.attribution_report import OTHER_CAMPAIGNS, AttributionInputError, attribution_report
from closedloop.insights.cohort_report import cohort_report
from closedloop.insights.funnel_report import FunnelInputError, funnel_report
from closedloop.insights.kpi_report import kpi_report
from closedloop.insights.periods import Period
from closedloop.insights.report_scope import scope_build
from closedloop.insights.tests.report_data import (
    JUNE_END,
    JUNE_START,
    build_attribution_data,
    build_cohort_data,
    build_funnel_data,
)

pytestmark = pytest.mark.django_db
JUNE = Period(start=JUNE_START, end=JUNE_END)
STEPS = ("mql", "sql", "customer")


def reached(steps) -> list[int]:
    return [s.reached for s in steps]


def test_funnel_counts_ordered_steps_within_the_window_and_keeps_in_progress_people():
    build_funnel_data()
    report = funnel_report(scope=scope_build(period=JUNE), steps=STEPS, window_days=10)
    steps = report.result.steps
    # mql in June: c1, c2, c3, c5, c6 (c4's mql is in May). sql within 10 days of mql: c1 (3 days),
    # c3 (2 days); c2's sql is 17 days later; c5 skips sql; c6 never got one. customer: c1 only.
    assert reached(steps) == [5, 2, 1]
    # c3 (mql 25 Jun) still has its window open on 1 July: in progress at sql, not dropped.
    assert [s.in_progress for s in steps] == [0, 1, 0]
    # c2, c5 and c6 stopped at mql with their windows closed.
    assert [s.dropped for s in steps] == [3, 0, 0]
    assert steps[1].conversion_from_previous == pytest.approx(2 / 5)
    assert steps[2].conversion_from_first == pytest.approx(1 / 5)


def test_funnel_breakdown_by_first_touch_channel_adds_up_to_the_total():
    build_funnel_data()
    report = funnel_report(scope=scope_build(period=JUNE), steps=STEPS, window_days=10, breakdown="channel")
    by_value = {b.value: reached(b.steps) for b in report.result.breakdowns}
    # A (ppc): c1, c2; B (email): c3, c6; no source campaign: c5.
    assert by_value == {"Paid search (PPC)": [2, 1, 1], "Email": [2, 1, 0], "(none)": [1, 0, 0]}
    assert [sum(v[i] for v in by_value.values()) for i in range(3)] == reached(report.result.steps)


def test_funnel_mixes_event_types_and_stages():
    build_funnel_data()
    report = funnel_report(scope=scope_build(period=JUNE), steps=("form_submit", "mql"), window_days=10)
    # Only c6 submitted a form (4 Jun), and became an MQL two days later.
    assert reached(report.result.steps) == [1, 1]


def test_a_partner_funnel_counts_only_the_people_its_campaigns_brought_in():
    co = build_funnel_data()
    scope = scope_build(period=JUNE, campaigns_visible=[co.a.pk])
    report = funnel_report(scope=scope, steps=STEPS, window_days=10)
    assert reached(report.result.steps) == [2, 1, 1]  # c1 and c2


def test_funnel_filters_by_campaign_and_channel():
    co = build_funnel_data()
    by_campaign = funnel_report(
        scope=scope_build(period=JUNE, campaign_id=co.b.pk), steps=STEPS, window_days=10
    )
    assert reached(by_campaign.result.steps) == [2, 1, 0]  # c3, c6 (c4's mql is in May)
    by_channel = funnel_report(scope=scope_build(period=JUNE, channel="ppc"), steps=STEPS, window_days=10)
    assert reached(by_channel.result.steps) == [2, 1, 1]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"steps": ("mql",)}, "steps"),
        ({"steps": ("mql", "nope")}, "steps"),
        ({"steps": ("mql", "mql")}, "steps"),
        ({"window_days": 0}, "window_days"),
        ({"breakdown": "shoe_size"}, "breakdown"),
    ],
)
def test_a_bad_funnel_definition_names_the_field(kwargs, field):
    with pytest.raises(FunnelInputError) as err:
        funnel_report(scope=scope_build(period=JUNE), **kwargs)
    assert err.value.field == field


def rows_by_key(report) -> dict:
    return {r.key: r for r in report.rows}


def test_attribution_compares_models_on_hand_computed_paths():
    build_attribution_data()
    report = attribution_report(scope=scope_build(period=JUNE), by="campaign")
    rows = rows_by_key(report)
    # p1: A, B (the two A touches on 1 June are one visit) → 1000; p2: B, C, A → 3000.
    assert report.conversions == 2
    assert report.revenue == pytest.approx(4000)
    assert report.unattributed == 1  # p4 won without any campaign touch
    # First touch: p1 → A, p2 → B. Last touch: p1 → B, p2 → A.
    assert rows["A Search"].conversions["first"] == pytest.approx(1)
    assert rows["A Search"].revenue["first"] == pytest.approx(1000)
    assert rows["B Nurture"].revenue["first"] == pytest.approx(3000)
    assert rows["A Search"].revenue["last"] == pytest.approx(3000)
    assert rows["C Expo"].conversions["last"] == pytest.approx(0)
    # Linear: p1 gives A and B 1/2 each; p2 gives B, C and A 1/3 each.
    assert rows["A Search"].conversions["linear"] == pytest.approx(1 / 2 + 1 / 3)
    assert rows["C Expo"].conversions["linear"] == pytest.approx(1 / 3)
    assert rows["B Nurture"].revenue["linear"] == pytest.approx(500 + 1000)
    # Every model hands out exactly the two conversions and the 4000.
    for model in report.models:
        assert sum(r.conversions[model] for r in report.rows) == pytest.approx(2)
        assert sum(r.revenue[model] for r in report.rows) == pytest.approx(4000)


def test_attribution_by_channel_uses_channel_names():
    build_attribution_data()
    rows = rows_by_key(attribution_report(scope=scope_build(period=JUNE), by="channel"))
    assert set(rows) == {"Paid search (PPC)", "Email", "Events"}
    assert rows["Email"].conversions["first"] == pytest.approx(1)


def test_a_partner_sees_its_own_people_and_no_other_campaign_name():
    co = build_attribution_data()
    report = attribution_report(scope=scope_build(period=JUNE, campaigns_visible=[co.a.pk]), by="campaign")
    rows = rows_by_key(report)
    # Only p1 (and the non-converting p3) came in through A; p1's email touch is another campaign.
    assert set(rows) == {"A Search", OTHER_CAMPAIGNS}
    assert report.conversions == 1
    assert rows["A Search"].revenue["first"] == pytest.approx(1000)
    assert rows[OTHER_CAMPAIGNS].revenue["last"] == pytest.approx(1000)


def test_attribution_refuses_an_unknown_key():
    with pytest.raises(AttributionInputError) as err:
        attribution_report(scope=scope_build(period=JUNE), by="moon_phase")
    assert err.value.field == "by"


def test_retention_cohorts_and_monthly_churn():
    build_cohort_data()
    report = cohort_report(scope=scope_build(period=Period(start=date(2025, 1, 1), end=date(2025, 6, 30))))
    jan, feb = report.rows
    assert (jan.cohort, jan.size, feb.cohort, feb.size) == (date(2025, 1, 1), 2, date(2025, 2, 1), 1)
    # k1 (15 Jan) churned 20 Mar: still active at its 2-month anniversary (15 Mar), gone at 3 months.
    # Known up to k=5 for January (Jan + 6 months = 1 July = as of), k=4 for February.
    assert jan.retention_pct == [100.0, 100.0, 100.0, 50.0, 50.0, 50.0] + [None] * 7
    # k3 (10 Feb) churned 25 Feb: active at 0 months, gone at 1 month.
    assert feb.retention_pct == [100.0, 0.0, 0.0, 0.0, 0.0] + [None] * 8
    churn = {m.month: (m.active_at_start, m.churned, m.churn_pct) for m in report.churn}
    assert churn[date(2025, 1, 1)] == (0, 0, None)
    # February: k1 and k2 active on 1 Feb, neither churned (k3 started in February: not counted).
    assert churn[date(2025, 2, 1)] == (2, 0, 0.0)
    # March: k1 and k2 active on 1 Mar (k3 already gone), k1 churned.
    assert churn[date(2025, 3, 1)] == (2, 1, 50.0)


def test_kpis_of_a_month():
    build_funnel_data()
    (june,) = kpi_report(scope=scope_build(period=JUNE)).months
    # Spend: A 100 + 200, B 500 (A's 31 May cost is outside June) = 800.
    assert june.spend == pytest.approx(800)
    # First MQL entries in June: c1, c2, c3, c5, c6 (c4 became an MQL in May) → CPA 800 / 5.
    assert june.mqls == 5
    assert june.cpa == pytest.approx(160)
    # New customers: c1 (9 Jun), c5 (12 Jun) → CAC 400.
    assert (june.new_customers, june.cac) == (2, pytest.approx(400))
    # Closed in June: won 10 Jun, won 20 Jun, lost 12 Jun (the 2 Jul loss is July's) → 2 / 3.
    assert (june.won, june.lost) == (2, 1)
    assert june.win_rate == pytest.approx(2 / 3)
    # Cycles of the won deals: 31 May → 10 Jun = 10 days, 5 Jun → 20 Jun = 15 days; median 12.5.
    assert june.cycle_median_days == pytest.approx(12.5)
    # MQL entrants in June (c1, c2, c3, c5, c6): reached SQL or later: c1, c2, c3, c5 (customer) → 4/5.
    assert june.conversion["mql>sql"] == pytest.approx(4 / 5)
    # SQL entrants in June (c1, c2, c3, c4): reached opportunity or later: c1 (customer) → 1/4.
    assert june.conversion["sql>opportunity"] == pytest.approx(1 / 4)


def test_kpi_forecast_explains_why_there_is_none_without_history():
    (mqls, _pipeline) = kpi_report(scope=scope_build(period=JUNE)).forecasts
    assert mqls.forecast is None and mqls.problem == "no history yet"
