"""The funnel by stage against the hand-built June company (see datasets.py)."""

from datetime import UTC, date, datetime

from closedloop.insights.selectors import funnel_by_stage
from closedloop.insights.tests.datasets import JUNE_END, JUNE_START
from tests.factories import ContactFactory


def reached(funnel):
    return {s.stage: s.reached for s in funnel}


def conversions(funnel):
    return {s.stage: s.conversion for s in funnel}


def test_funnel_counts_every_stage_a_contact_has_reached(june):
    funnel = funnel_by_stage(start=JUNE_START, end=JUNE_END)
    # June contacts now in: visitor 2, iql 1, mql 2, sql 1, opportunity 1, customer 2, churned 1.
    # Reached = now in the stage or any later one; churned counts as customer.
    assert reached(funnel) == {
        "visitor": 10,  # all 10
        "iql": 8,  # 10 - 2 visitors
        "mql": 7,  # 8 - 1 iql
        "sql": 5,  # 7 - 2 mql
        "opportunity": 4,  # 5 - 1 sql
        "customer": 3,  # 2 customers + 1 churned
    }
    assert [s.stage for s in funnel] == ["visitor", "iql", "mql", "sql", "opportunity", "customer"]


def test_funnel_conversion_is_share_of_the_previous_stage(june):
    funnel = funnel_by_stage(start=JUNE_START, end=JUNE_END)
    assert conversions(funnel) == {
        "visitor": None,  # the top has no previous stage
        "iql": 80.0,  # 8 / 10
        "mql": 87.5,  # 7 / 8
        "sql": 71.4,  # 5 / 7 = 71.43
        "opportunity": 80.0,  # 4 / 5
        "customer": 75.0,  # 3 / 4
    }


def test_funnel_bar_share_current_and_churned(june):
    funnel = {s.stage: s for s in funnel_by_stage(start=JUNE_START, end=JUNE_END)}
    assert funnel["visitor"].share == 100.0
    assert funnel["sql"].share == 50.0  # 5 of 10
    assert funnel["customer"].current == 2
    assert funnel["customer"].churned == 1
    assert funnel["mql"].churned == 0


def test_funnel_by_channel_counts_only_that_channels_first_touch(june):
    # Email = campaign C: one mql and one churned contact.
    funnel = funnel_by_stage(start=JUNE_START, end=JUNE_END, channel="email")
    assert reached(funnel) == {"visitor": 2, "iql": 2, "mql": 2, "sql": 1, "opportunity": 1, "customer": 1}
    assert conversions(funnel)["sql"] == 50.0  # 1 / 2


def test_funnel_by_campaign(june):
    # Campaign A in June: visitor, mql, sql, customer.
    funnel = funnel_by_stage(start=JUNE_START, end=JUNE_END, campaign_id=june.a.pk)
    assert reached(funnel) == {"visitor": 4, "iql": 3, "mql": 3, "sql": 2, "opportunity": 1, "customer": 1}


def test_funnel_period_excludes_contacts_created_outside_it(june):
    # 1-30 June without the edges: 31 May 23:59:59 and 1 July 00:00 are out.
    assert funnel_by_stage(start=JUNE_START, end=JUNE_END)[0].reached == 10
    # Widening by one day on each side takes in exactly those two.
    assert funnel_by_stage(start=date(2026, 5, 31), end=date(2026, 7, 1))[0].reached == 12
    # 2-3 June: C's two contacts only.
    assert funnel_by_stage(start=date(2026, 6, 2), end=date(2026, 6, 3))[0].reached == 2


def test_funnel_days_follow_the_site_time_zone(db, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    # 22:30 UTC on 31 May is 00:30 on 1 June in Berlin.
    ContactFactory(created_at=datetime(2026, 5, 31, 22, 30, tzinfo=UTC))
    assert funnel_by_stage(start=JUNE_START, end=JUNE_START)[0].reached == 1
    assert funnel_by_stage(start=date(2026, 5, 31), end=date(2026, 5, 31))[0].reached == 0


def test_partner_scope_restricts_the_funnel_to_their_campaigns(june):
    funnel = funnel_by_stage(start=JUNE_START, end=JUNE_END, campaigns_visible=[june.a.pk])
    assert reached(funnel)["visitor"] == 4
    # Asking for another agency's campaign inside the scope yields nothing, not that campaign.
    other = funnel_by_stage(
        start=JUNE_START, end=JUNE_END, campaign_id=june.c.pk, campaigns_visible=[june.a.pk]
    )
    assert reached(other)["visitor"] == 0


def test_empty_funnel_has_no_conversions_and_no_division_by_zero(db):
    funnel = funnel_by_stage(start=JUNE_START, end=JUNE_END)
    assert all(s.reached == 0 and s.conversion is None and s.share == 0.0 for s in funnel)


def test_funnel_is_one_query(june, django_assert_num_queries):
    with django_assert_num_queries(1):
        funnel_by_stage(start=JUNE_START, end=JUNE_END, channel="ppc", campaigns_visible=[june.a.pk])
