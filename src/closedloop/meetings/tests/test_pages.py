"""The pages: every one opens for internal roles, partners see only what their team shares, writes
need the right role and a CSRF token, and forms report errors by field."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from closedloop.meetings.models import ActionItem, AgendaItem, Decision, Goal
from closedloop.meetings.services.brainstorms import brainstorm_create
from closedloop.meetings.services.feed import feed_post
from closedloop.meetings.services.goals import goal_create
from closedloop.meetings.tests.builders import series_make
from tests.factories import CampaignFactory


@pytest.fixture
def world(maya, sam, tom, alex, marketing, sales, agency):
    today = timezone.localdate()
    ours, ours_next = series_make("Weekly sync")
    agency_series, agency_next = series_make("PPC review with Brightlane", partner_team=agency)
    return {
        "series": ours, "next": ours_next, "agency_series": agency_series, "agency_next": agency_next,
        "shared_goal": goal_create(metric="mqls", period_kind="month", period_start=today, target=100, team=marketing, by=maya),
        "agency_goal": goal_create(metric="new_leads", period_kind="month", period_start=today, target=50, team=agency, by=maya),
        "internal_item": feed_post(kind="rep_feedback", title="Internal feedback", by=alex),
        "agency_item": feed_post(kind="campaign_result", title="PPC result", campaign=CampaignFactory(partner_team=agency), by=tom),
        "brainstorm": brainstorm_create(question="Q?", technique="nominal_group", participants=[maya, alex], by=maya),
    }  # fmt: skip


@pytest.mark.django_db
def test_every_page_opens_for_internal_roles(client, alex, marketing, world):
    client.force_login(alex)
    urls = [
        "/meetings/", "/meetings/goals/", f"/meetings/scorecards/{marketing.pk}/", f"/meetings/series/{world['series'].pk}/",
        f"/meetings/occurrences/{world['next'].pk}/", "/meetings/feed/", "/meetings/brainstorms/",
        f"/meetings/brainstorms/{world['brainstorm'].pk}/",
    ]  # fmt: skip
    for url in urls:
        assert client.get(url).status_code == 200, url
    ics = client.get(f"/meetings/series/{world['series'].pk}/calendar.ics")
    assert ics["Content-Type"].startswith("text/calendar") and b"BEGIN:VEVENT" in ics.content
    md = client.get(f"/meetings/occurrences/{world['next'].pk}/minutes.md")
    assert md.content.decode().startswith("# Weekly sync — ")
    assert (
        client.get(f"/meetings/occurrences/{world['next'].pk}/minutes.csv")
        .content.decode()
        .startswith("type,text,owner")
    )
    assert client.get(f"/meetings/occurrences/{world['next'].pk}/minutes.pdf").status_code == 404
    goals_html = client.get("/meetings/goals/").content.decode()
    assert "at this rate" in goals_html or "0%" in goals_html
    assert "Set a goal" not in goals_html  # reps do not manage goals


@pytest.mark.django_db
def test_partners_see_only_what_is_shared_with_their_team(client, jamie, marketing, agency, world):
    client.force_login(jamie)
    overview = client.get("/meetings/").content.decode()
    assert "PPC review with Brightlane" in overview and "Weekly sync" not in overview
    assert client.get(f"/meetings/series/{world['series'].pk}/").status_code == 404
    assert client.get(f"/meetings/occurrences/{world['next'].pk}/").status_code == 404
    assert client.get(f"/meetings/occurrences/{world['next'].pk}/minutes.md").status_code == 404
    assert client.get(f"/meetings/series/{world['series'].pk}/calendar.ics").status_code == 404
    own = client.get(f"/meetings/occurrences/{world['agency_next'].pk}/")
    assert own.status_code == 200 and own.context["pack"] == {}
    feed = client.get("/meetings/feed/").content.decode()
    assert "PPC result" in feed and "Internal feedback" not in feed
    goals = client.get("/meetings/goals/")
    assert [r.goal for r in goals.context["rows"]] == [world["agency_goal"]]
    assert client.get(f"/meetings/scorecards/{marketing.pk}/").status_code == 404
    assert client.get(f"/meetings/scorecards/{agency.pk}/").status_code == 200
    # Brainstorms are internal; every write is refused.
    assert client.get("/meetings/brainstorms/").status_code == 403
    assert client.get(f"/meetings/brainstorms/{world['brainstorm'].pk}/").status_code == 403
    refused = [
        ("/meetings/goals/new/", {}), ("/meetings/series/new/", {}), ("/meetings/feed/new/", {"kind": "rep_feedback", "title": "x"}),
        (f"/meetings/occurrences/{world['agency_next'].pk}/add/item/", {"title": "x"}),
        (f"/meetings/occurrences/{world['agency_next'].pk}/generate/", {}),
        (f"/meetings/feed/{world['agency_item'].pk}/comment/", {"body": "x"}),
        (f"/meetings/brainstorms/{world['brainstorm'].pk}/idea/", {"text": "x"}),
    ]  # fmt: skip
    for url, data in refused:
        assert client.post(url, data).status_code == 403, url
    assert not AgendaItem.objects.exists()


@pytest.mark.django_db
def test_only_heads_set_goals_and_errors_name_the_field(client, alex, maya, marketing):
    client.force_login(alex)
    assert client.post("/meetings/goals/new/", {"metric": "mqls"}).status_code == 403
    client.force_login(maya)
    data = {
        "metric": "mqls",
        "period_kind": "month",
        "period_start": "2026-06-10",
        "target": "-3",
        "team": marketing.pk,
    }
    response = client.post("/meetings/goals/new/", data, follow=True)
    assert "target: must be greater than zero" in response.content.decode()
    assert not Goal.objects.exists()
    client.post("/meetings/goals/new/", data | {"target": "300"})
    assert Goal.objects.get().period_start == date(2026, 6, 1)


@pytest.mark.django_db
def test_a_meeting_gets_items_decisions_and_action_items_with_csrf(maya, alex, world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(maya)
    url = f"/meetings/occurrences/{world['next'].pk}/"
    assert browser.post(url + "add/decision/", {"text": "x"}).status_code == 403  # no CSRF token
    token = browser.get(url).cookies["csrftoken"].value
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    browser.post(url + "add/item/", {"csrfmiddlewaretoken": token, "title": "Why are PPC leads rejected?"})
    browser.post(url + "add/decision/", {"csrfmiddlewaretoken": token, "text": "Pause PPC free trial"})
    bad = browser.post(
        url + "add/action/",
        {"csrfmiddlewaretoken": token, "title": "Fix page", "owner": alex.pk, "due_on": "soon"},
        follow=True,
    )
    assert "due_on: must be a date like 2026-06-30" in bad.content.decode()
    browser.post(
        url + "add/action/",
        {"csrfmiddlewaretoken": token, "title": "Fix page", "owner": alex.pk, "due_on": due},
    )
    assert AgendaItem.objects.get().title == "Why are PPC leads rejected?"
    assert Decision.objects.get().text == "Pause PPC free trial"
    item = ActionItem.objects.get()
    assert (item.owner, item.due_on.isoformat(), item.raised_in) == (alex, due, world["next"])
    html = browser.get(url).content.decode()
    assert "Fix page" in html and "Pause PPC free trial" in html


@pytest.mark.django_db
def test_feedback_becomes_an_agenda_item_in_one_click(client, maya, world):
    client.force_login(maya)
    item = world["internal_item"]
    client.post(f"/meetings/feed/{item.pk}/agenda/", {"occurrence": world["next"].pk})
    agenda = AgendaItem.objects.get()
    assert (agenda.title, agenda.occurrence, agenda.source_feed_item) == (
        "Internal feedback",
        world["next"],
        item,
    )
    client.post(f"/meetings/feed/{item.pk}/action/", {"owner": maya.pk, "due_on": "2026-12-01"})
    assert ActionItem.objects.get().source_feed_item == item
    client.post(f"/meetings/feed/{item.pk}/react/", {"emoji": "🎉"})
    client.post(f"/meetings/feed/{item.pk}/comment/", {"body": "Great catch"})
    html = client.get("/meetings/feed/").content.decode()
    assert "🎉 1" in html and "Great catch" in html


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/meetings/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
