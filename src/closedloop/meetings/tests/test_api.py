"""The /api/v1/meetings API: goals with pace, meetings, the feed (incoming feedback), webhooks;
partner scope and refused roles."""

from datetime import timedelta

import pytest
from django.utils import timezone

from closedloop.accounts.services import api_token_create
from closedloop.meetings.models import FeedItem, Goal
from closedloop.meetings.services.feed import feed_post
from closedloop.meetings.tests.builders import series_make
from tests.factories import CampaignFactory


def auth(user) -> dict[str, str]:
    _, raw = api_token_create(user=user, name="test")
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.django_db
def test_goals_are_created_and_read_with_their_pace(client, maya, alex, marketing):
    body = {
        "metric": "mqls",
        "period_kind": "month",
        "period_start": str(timezone.localdate()),
        "target": 40,
        "team_id": marketing.pk,
    }
    assert (
        client.post(
            "/api/v1/meetings/goals", data=body, headers=auth(alex), content_type="application/json"
        ).status_code
        == 403
    )
    created = client.post(
        "/api/v1/meetings/goals", data=body, headers=auth(maya), content_type="application/json"
    )
    assert created.status_code == 201
    goal = created.json()
    assert (goal["metric_label"], goal["team"], goal["value"], goal["percent"], goal["visibility"]) == (
        "MQLs",
        "Marketing",
        0.0,
        0,
        "shared",
    )
    assert goal["pace"].startswith("at this rate: 0% by month end")
    dashboard = client.get("/api/v1/meetings/goals/dashboard", headers=auth(alex)).json()
    assert [g["id"] for g in dashboard] == [goal["id"]]
    keys = [m["key"] for m in client.get("/api/v1/meetings/metrics", headers=auth(alex)).json()]
    assert "mqls" in keys and "revenue_won" in keys


@pytest.mark.django_db
def test_bad_goals_get_the_error_shape(client, maya, sales):
    headers = auth(maya)
    base = {
        "metric": "mqls",
        "period_kind": "month",
        "period_start": "2026-06-01",
        "target": 10,
        "team_id": sales.pk,
    }
    wrong_team = client.post(
        "/api/v1/meetings/goals", data=base, headers=headers, content_type="application/json"
    )
    assert wrong_team.status_code == 422 and wrong_team.json()["errors"][0]["loc"] == ["team"]
    no_team = client.post(
        "/api/v1/meetings/goals",
        data=base | {"team_id": 999999},
        headers=headers,
        content_type="application/json",
    )
    assert no_team.json()["errors"] == [{"loc": ["team_id"], "msg": "no such team"}]
    negative = client.post(
        "/api/v1/meetings/goals", data=base | {"target": -1}, headers=headers, content_type="application/json"
    )
    assert negative.status_code == 422 and negative.json()["errors"][0]["loc"] == ["target"]
    assert not Goal.objects.exists()


@pytest.mark.django_db
def test_meetings_and_action_items(client, maya, alex, jamie, agency):
    _, occurrence = series_make("Weekly sync")
    _, agency_occurrence = series_make("PPC review", partner_team=agency)
    headers = auth(maya)
    assert client.post(f"/api/v1/meetings/occurrences/{occurrence.pk}/pack", headers=headers).json()["pack"][
        "kpis"
    ]
    due = str(timezone.localdate() + timedelta(days=3))
    created = client.post(f"/api/v1/meetings/occurrences/{occurrence.pk}/action-items", headers=headers,
                          data={"title": "Fix the page", "owner_id": alex.pk, "due_on": due}, content_type="application/json")  # fmt: skip
    assert created.status_code == 201 and created.json()["owner"] == "alex"
    missing = client.post(f"/api/v1/meetings/occurrences/{occurrence.pk}/action-items", headers=headers,
                          data={"title": "x", "owner_id": 999999, "due_on": due}, content_type="application/json")  # fmt: skip
    assert missing.status_code == 422 and missing.json()["errors"][0]["loc"] == ["owner"]
    detail = client.get(f"/api/v1/meetings/occurrences/{occurrence.pk}", headers=headers).json()
    assert [a["title"] for a in detail["action_items"]] == ["Fix the page"]
    # Partners: their series only, and never the data pack.
    partner = auth(jamie)
    assert [s["name"] for s in client.get("/api/v1/meetings/series", headers=partner).json()] == [
        "PPC review"
    ]
    assert client.get(f"/api/v1/meetings/occurrences/{occurrence.pk}", headers=partner).status_code == 404
    assert (
        client.post(f"/api/v1/meetings/occurrences/{agency_occurrence.pk}/pack", headers=partner).status_code
        == 403
    )
    agency_occurrence.pack = {"kpis": [{"metric": "revenue_won"}]}
    agency_occurrence.save()
    assert (
        client.get(f"/api/v1/meetings/occurrences/{agency_occurrence.pk}", headers=partner).json()["pack"]
        == {}
    )


@pytest.mark.django_db
def test_incoming_feedback_and_partner_scope_of_the_feed(client, tom, alex, jamie, agency):
    posted = client.post("/api/v1/meetings/feed", headers=auth(tom), content_type="application/json",
                         data={"kind": "customer_feedback", "title": "Churn reason: onboarding too slow", "body": "Survey answer"})  # fmt: skip
    assert posted.status_code == 201 and posted.json()["author"] == "tom"
    bad = client.post(
        "/api/v1/meetings/feed",
        headers=auth(tom),
        content_type="application/json",
        data={"kind": "win", "title": "x"},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["kind"]
    feed_post(
        kind="campaign_result", title="PPC: 12 SQLs", campaign=CampaignFactory(partner_team=agency), by=alex
    )
    assert client.get("/api/v1/meetings/feed", headers=auth(alex)).json()["count"] == 2
    partner_view = client.get("/api/v1/meetings/feed", headers=auth(jamie)).json()
    assert [i["title"] for i in partner_view["items"]] == ["PPC: 12 SQLs"]
    assert client.post("/api/v1/meetings/feed", headers=auth(jamie), content_type="application/json",
                       data={"kind": "rep_feedback", "title": "x"}).status_code == 403  # fmt: skip
    assert FeedItem.objects.count() == 2


@pytest.mark.django_db
def test_webhooks_are_for_the_heads(client, maya, alex):
    # A public IP literal: the SSRF guard accepts it without a DNS lookup (tests run offline).
    body = {"name": "#wins", "url": "https://93.184.215.14/services/T/B/X", "events": "win"}
    assert (
        client.post(
            "/api/v1/meetings/webhooks", data=body, headers=auth(alex), content_type="application/json"
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/meetings/webhooks", data=body, headers=auth(maya), content_type="application/json"
        ).status_code
        == 201
    )
    assert client.get("/api/v1/meetings/webhooks/deliveries", headers=auth(alex)).status_code == 403
    assert client.get("/api/v1/meetings/webhooks/deliveries", headers=auth(maya)).json()["count"] == 0


@pytest.mark.django_db
def test_a_webhook_to_the_metadata_service_is_refused_naming_the_url(client, maya, settings):
    settings.CLOSEDLOOP_WEBHOOK_ALLOW_PRIVATE = False
    body = {"name": "#wins", "url": "http://169.254.169.254/latest/meta-data/", "events": "win"}
    response = client.post(
        "/api/v1/meetings/webhooks", data=body, headers=auth(maya), content_type="application/json"
    )
    assert response.status_code == 422
    ((error,),) = [response.json()["errors"]]
    assert error["loc"] == ["url"]
    assert "169.254.169.254" in error["msg"] and "not a public address" in error["msg"]


@pytest.mark.django_db
def test_brainstorms_are_internal(client, jamie):
    assert client.get("/api/v1/meetings/brainstorms/1", headers=auth(jamie)).status_code == 403
    assert client.get("/api/v1/meetings/goals", headers={}).status_code == 401
