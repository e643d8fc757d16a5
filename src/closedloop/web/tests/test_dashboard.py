"""The dashboard page: funnel and cost-per-lead table for the hand-built June company."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from closedloop.accounts.roles import Role
from closedloop.insights.tests.datasets import build_june_data
from tests.factories import ContactFactory, UserFactory

JUNE = {"period": "custom", "start": "2026-06-01", "end": "2026-06-30"}


@pytest.fixture
def june(db):
    return build_june_data()


def funnel_cells(html):
    """{stage: (reached, conversion)} read back from the rendered funnel table."""
    rows = re.findall(
        r'<tr data-stage="(\w+)">.*?<strong class="reached">([\d,]+)</strong>'
        r'.*?class="num conversion">(.*?)</td>',
        html,
        re.S,
    )
    return {stage: (int(n.replace(",", "")), re.sub(r"<.*?>", "", conv).strip()) for stage, n, conv in rows}


def cost_rows(html):
    rows = re.findall(r'<tr data-campaign="\d+">(.*?)</tr>', html, re.S)
    return [
        [re.sub(r"<.*?>", "", c).strip() for c in re.findall(r"<td.*?>(.*?)</td>", r, re.S)] for r in rows
    ]


def test_funnel_numbers_on_the_page(marketer_client, june):
    html = marketer_client.get("/", JUNE).content.decode()
    assert funnel_cells(html) == {
        "visitor": (10, "—"),
        "iql": (8, "80.0%"),
        "mql": (7, "87.5%"),
        "sql": (5, "71.4%"),
        "opportunity": (4, "80.0%"),
        "customer": (3, "75.0%"),
    }
    assert "1 churned" in html


def test_cost_per_lead_table_on_the_page(marketer_client, june):
    html = marketer_client.get("/", JUNE).content.decode()
    assert cost_rows(html) == [
        # campaign, channel, spend, leads, CPL, SQLs, customers, cost per customer
        ["B Social", "Paid social", "500.00", "0", "—", "0", "0", "—"],
        ["A Search", "Paid search (PPC)", "300.00", "4", "75.00", "2", "1", "300.00"],
        ["C Nurture", "Email", "0.00", "2", "0.00", "1", "1", "0.00"],
    ]
    # Footer: 800 spend over 6 leads.
    assert "800.00" in html and "133.33" in html


def test_channel_filter(marketer_client, june):
    html = marketer_client.get("/", {**JUNE, "channel": "email"}).content.decode()
    assert funnel_cells(html)["visitor"] == (2, "—")
    assert [r[0] for r in cost_rows(html)] == ["C Nurture"]


def test_campaign_filter(marketer_client, june):
    html = marketer_client.get("/", {**JUNE, "campaign": june.a.pk}).content.decode()
    assert funnel_cells(html)["visitor"] == (4, "—")
    assert [r[0] for r in cost_rows(html)] == ["A Search"]


def test_custom_dates_without_period_choice_mean_custom(marketer_client, june):
    html = marketer_client.get("/", {"start": "2026-06-02", "end": "2026-06-03"}).content.decode()
    assert funnel_cells(html)["visitor"] == (2, "—")


def test_default_period_is_the_last_30_days(marketer_client, db):
    now = timezone.now()
    ContactFactory(created_at=now - timedelta(days=3))
    ContactFactory(
        created_at=now - timedelta(days=29, hours=1) if now.hour >= 2 else now - timedelta(days=28)
    )
    ContactFactory(created_at=now - timedelta(days=31))
    html = marketer_client.get("/").content.decode()
    assert funnel_cells(html)["visitor"] == (2, "—")


def test_last_90_days(marketer_client, db):
    now = timezone.now()
    ContactFactory(created_at=now - timedelta(days=45))
    ContactFactory(created_at=now - timedelta(days=120))
    assert funnel_cells(marketer_client.get("/", {"period": "90d"}).content.decode())["visitor"] == (1, "—")
    assert funnel_cells(marketer_client.get("/", {"period": "180d"}).content.decode())["visitor"] == (2, "—")


def test_invalid_filters_fall_back_to_defaults_with_an_error(marketer_client, june):
    response = marketer_client.get("/", {"period": "custom", "start": "2026-06-30", "end": "2026-06-01"})
    assert response.status_code == 200
    assert "The From date is after the To date." in response.content.decode()


def test_partner_sees_only_their_campaigns(client, june):
    client.force_login(UserFactory(role=Role.PARTNER, team=june.agency))
    html = client.get("/", JUNE).content.decode()
    # Agency X runs A only: A's four June contacts and A's row, nothing of B, C or D.
    assert funnel_cells(html)["visitor"] == (4, "—")
    assert [r[0] for r in cost_rows(html)] == ["A Search"]
    for other in ["B Social", "C Nurture", "D Expo"]:
        assert other not in html  # not in the table, not in the campaign filter either


def test_partner_cannot_pick_another_agencys_campaign(client, june):
    client.force_login(UserFactory(role=Role.PARTNER, team=june.agency))
    html = client.get("/", {**JUNE, "campaign": june.b.pk}).content.decode()
    assert "B Social" not in html
    assert funnel_cells(html)["visitor"] == (0, "—") or "Select a valid choice" in html


def test_htmx_request_gets_only_the_dashboard_fragment(marketer_client, june):
    response = marketer_client.get("/", JUNE, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="dashboard"')
    assert "<html" not in html
    assert funnel_cells(html)["iql"] == (8, "80.0%")


def test_filters_are_htmx_driven_and_work_without_js(marketer_client, june):
    html = marketer_client.get("/", JUNE).content.decode()
    assert 'hx-get="/"' in html and 'hx-trigger="change"' in html and 'hx-target="#dashboard"' in html
    assert 'method="get" action="/"' in html


def test_dashboard_query_count(marketer_client, june, django_assert_max_num_queries):
    # More campaigns and contacts must not add queries (no N+1).
    for i in range(30):
        ContactFactory(source_campaign=june.a if i % 2 else june.c)
    # session + user + campaign choices + campaign filter check + 5 dashboard queries
    with django_assert_max_num_queries(9):
        response = marketer_client.get("/", {**JUNE, "campaign": june.a.pk})
    assert response.status_code == 200
