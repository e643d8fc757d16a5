"""Cost per lead by campaign against the hand-built June company (see datasets.py)."""

from datetime import date
from decimal import Decimal

from closedloop.accounts.roles import Role
from closedloop.insights.selectors import (
    campaigns_visible_to,
    cost_per_lead,
    cost_per_lead_total,
    dashboard_get,
    leads_and_spend_by_day,
)
from closedloop.insights.tests.datasets import JUNE_END, JUNE_START
from tests.factories import TeamFactory, UserFactory


def by_name(rows):
    return {r.name: r for r in rows}


def test_cost_per_lead_per_campaign(june):
    rows = by_name(cost_per_lead(start=JUNE_START, end=JUNE_END))
    # D had neither spend nor leads in June, so it is not listed.
    assert set(rows) == {"A Search", "B Social", "C Nurture"}

    a = rows["A Search"]
    # Spend 100 + 200 (31 May and 1 July are outside); leads visitor, mql, sql, customer.
    assert (a.spend, a.leads, a.sqls, a.customers) == (Decimal("300.00"), 4, 2, 1)
    assert a.cost_per_lead == Decimal("75.00")  # 300 / 4
    assert a.cost_per_sql == Decimal("150.00")  # 300 / 2
    assert a.cost_per_customer == Decimal("300.00")  # 300 / 1
    assert a.channel_label == "Paid search (PPC)"


def test_campaign_with_spend_and_no_leads_has_no_cost_per_lead(june):
    b = by_name(cost_per_lead(start=JUNE_START, end=JUNE_END))["B Social"]
    assert (b.spend, b.leads) == (Decimal("500.00"), 0)
    assert b.cost_per_lead is None
    assert b.cost_per_customer is None


def test_churned_lead_counts_as_sql_and_customer(june):
    c = by_name(cost_per_lead(start=JUNE_START, end=JUNE_END))["C Nurture"]
    # mql + churned: 2 leads, the churned one reached SQL and customer; no spend.
    assert (c.spend, c.leads, c.sqls, c.customers) == (Decimal("0.00"), 2, 1, 1)
    assert c.cost_per_lead == Decimal("0.00")


def test_rows_are_ordered_by_spend(june):
    assert [r.name for r in cost_per_lead(start=JUNE_START, end=JUNE_END)] == [
        "B Social",
        "A Search",
        "C Nurture",
    ]


def test_total_row(june):
    total = cost_per_lead_total(cost_per_lead(start=JUNE_START, end=JUNE_END))
    # Spend 500 + 300 + 0 = 800; leads 0 + 4 + 2 = 6; SQLs 2 + 1; customers 1 + 1.
    assert (total.spend, total.leads, total.sqls, total.customers) == (Decimal("800.00"), 6, 3, 2)
    assert total.cost_per_lead == Decimal("133.33")  # 800 / 6 = 133.333…
    assert total.cost_per_customer == Decimal("400.00")  # 800 / 2


def test_channel_filter(june):
    assert [r.name for r in cost_per_lead(start=JUNE_START, end=JUNE_END, channel="ppc")] == ["A Search"]
    assert cost_per_lead(start=JUNE_START, end=JUNE_END, channel="referral") == []


def test_period_filter_moves_spend_and_leads(june):
    # 31 May only: A spent 50 and brought the 23:59:59 contact (a customer).
    rows = cost_per_lead(start=date(2026, 5, 31), end=date(2026, 5, 31))
    assert [(r.name, r.spend, r.leads, r.customers) for r in rows] == [("A Search", Decimal("50.00"), 1, 1)]
    assert rows[0].cost_per_lead == Decimal("50.00")


def test_partner_sees_only_campaigns_their_team_runs(june):
    partner = UserFactory(role=Role.PARTNER, team=june.agency)
    scope = campaigns_visible_to(user=partner)
    rows = cost_per_lead(start=JUNE_START, end=JUNE_END, campaigns_visible=scope)
    assert [r.name for r in rows] == ["A Search"]
    # Even when asking for another campaign by id.
    assert cost_per_lead(start=JUNE_START, end=JUNE_END, campaign_id=june.b.pk, campaigns_visible=scope) == []


def test_scope_of_internal_users_and_teamless_partners(june):
    assert campaigns_visible_to(user=UserFactory(role=Role.MARKETER)) is None
    teamless = UserFactory(role=Role.PARTNER)
    assert list(campaigns_visible_to(user=teamless)) == []
    other_agency = UserFactory(role=Role.PARTNER, team=TeamFactory(name="Agency Y", kind="partner"))
    assert list(campaigns_visible_to(user=other_agency)) == []


def test_leads_and_spend_by_day_fills_every_day(june):
    days = leads_and_spend_by_day(start=JUNE_START, end=JUNE_END)
    assert len(days) == 30
    by_day = {p.day.day: p for p in days}
    # 1 June: A spent 100, no contacts. 10 June: A's four contacts. 15 June: B spent 500.
    assert (by_day[1].leads, by_day[1].spend) == (0, Decimal("100.00"))
    assert by_day[10].leads == 4
    assert by_day[15].spend == Decimal("500.00")
    assert by_day[20].leads == 4
    assert sum(p.leads for p in days) == 10
    assert sum(p.spend for p in days) == Decimal("800.00")


def test_leads_and_spend_by_day_with_channel(june):
    days = leads_and_spend_by_day(start=JUNE_START, end=JUNE_END, channel="ppc")
    assert sum(p.leads for p in days) == 4
    assert sum(p.spend for p in days) == Decimal("300.00")


def test_dashboard_is_a_handful_of_queries(june, django_assert_num_queries):
    with django_assert_num_queries(5):
        data = dashboard_get(start=JUNE_START, end=JUNE_END)
    assert (data.new_contacts, data.mqls, data.sqls, data.customers) == (10, 7, 5, 3)
    chart = data.trend_chart()
    assert len(chart["labels"]) == 30 and chart["labels"][0] == "2026-06-01"


def test_cost_per_lead_is_three_queries_however_many_campaigns(june, django_assert_num_queries):
    with django_assert_num_queries(3):
        cost_per_lead(start=JUNE_START, end=JUNE_END)
