from datetime import UTC, datetime, timedelta

import pytest

from closedloop.accounts.services import api_token_create
from closedloop.handoff.models import HandoffStatus
from closedloop.handoff.selectors import handoff_rejections_summary, lead_queue_for
from closedloop.handoff.services import handoff_reject, handoff_route
from closedloop.handoff.tests.conftest import NOW, sql_lead
from closedloop.tracking.models import LandingPage
from tests.factories import PASSWORD, AccountFactory, CampaignFactory, EventFactory

pytestmark = pytest.mark.django_db


def auth(user) -> dict[str, str]:
    _, raw = api_token_create(user=user, name="test")
    return {"Authorization": f"Bearer {raw}"}


def _lead_with_context(n_events: int = 7):
    page = LandingPage.objects.create(
        url=f"https://example.com/lp/{LandingPage.objects.count()}", title="Free trial"
    )
    campaign = CampaignFactory(name="PPC – Free trial", landing_page=page)
    contact = sql_lead(
        account=AccountFactory(
            name="Acme", normalized_name=f"acme{LandingPage.objects.count()}", employees=250
        ),
        persona="ops_manager",
        lead_score=82,
        source_campaign=campaign,
    )
    for i in range(n_events):
        EventFactory(contact=contact, campaign=campaign, ts=datetime(2026, 6, 1, 9, i, tzinfo=UTC))
    return contact


def test_queue_shows_context_in_a_fixed_number_of_queries(reps, head_of_sales, django_assert_max_num_queries):
    for _ in range(6):
        handoff_route(contact=_lead_with_context(), now=NOW)
    with django_assert_max_num_queries(5):
        queue = list(lead_queue_for(rep=reps[0]))
        for h in queue:
            c = h.contact
            assert (c.account.name, c.persona, c.lead_score) == ("Acme", "ops_manager", 82)
            assert c.source_campaign.channel and c.source_campaign.landing_page.title == "Free trial"
            assert len(c.recent_touchpoints) == 5
            assert c.recent_touchpoints[0].ts.minute == 6  # newest first
            assert [e.campaign.name for e in c.recent_touchpoints]
    assert len(queue) == 2


def test_rejections_summary_counts_reasons(reps, head_of_sales):
    for code in ("no_budget", "no_budget", "bad_data"):
        h = handoff_route(contact=sql_lead(), now=NOW)
        handoff_reject(handoff=h, reason_code=code, by=head_of_sales, now=NOW)
    handoff_route(contact=sql_lead(), now=NOW)
    summary = handoff_rejections_summary(start=NOW - timedelta(days=1), end=NOW + timedelta(days=1))
    assert summary == [
        {"reason_code": "no_budget", "label": "No budget", "count": 2},
        {"reason_code": "bad_data", "label": "Bad data", "count": 1},
    ]
    assert handoff_rejections_summary(start=NOW + timedelta(days=1), end=NOW + timedelta(days=2)) == []


def test_queue_page_shows_own_leads_and_accepts(client, reps, head_of_sales):
    mine = handoff_route(contact=_lead_with_context(), now=NOW)
    theirs = handoff_route(contact=sql_lead(first_name="Other"), now=NOW)
    client.login(username="rep1", password=PASSWORD)
    page = client.get("/handoff/queue/")
    assert page.status_code == 200
    body = page.content.decode()
    assert f'id="handoff-{mine.pk}"' in body and f'id="handoff-{theirs.pk}"' not in body
    assert "PPC – Free trial" in body and "Acme" in body and "ops_manager" in body
    assert 'href="/handoff/queue/"' in body  # the Queue link in the navigation
    response = client.post(f"/handoff/{mine.pk}/accept/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Accepted" in response.content.decode()
    mine.refresh_from_db()
    assert mine.status == HandoffStatus.ACCEPTED


def test_queue_page_reject_needs_a_reason(client, reps, head_of_sales):
    handoff = handoff_route(contact=sql_lead(), now=NOW)
    client.login(username="rep1", password=PASSWORD)
    response = client.post(f"/handoff/{handoff.pk}/reject/", {"reason_code": ""}, HTTP_HX_REQUEST="true")
    assert "give a reason" in response.content.decode()
    response = client.post(f"/handoff/{handoff.pk}/reject/", {"reason_code": "wrong_timing", "comment": "Q4"})
    assert response.status_code == 302
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.REJECTED


def test_head_of_sales_sees_everyone_with_a_rep_filter(client, reps, head_of_sales):
    first = handoff_route(contact=sql_lead(), now=NOW)
    second = handoff_route(contact=sql_lead(), now=NOW)
    client.login(username="hos", password=PASSWORD)
    body = client.get("/handoff/queue/").content.decode()
    assert f'id="handoff-{first.pk}"' in body and f'id="handoff-{second.pk}"' in body
    body = client.get(f"/handoff/queue/?rep={reps[1].pk}").content.decode()
    assert f'id="handoff-{first.pk}"' not in body and f'id="handoff-{second.pk}"' in body


def test_marketer_sees_rejections_but_not_the_queue(client, reps, head_of_sales, marketer):
    handoff = handoff_route(contact=sql_lead(first_name="Rejected"), now=NOW)
    handoff_reject(handoff=handoff, reason_code="not_a_fit", comment="Student", by=reps[0])
    client.login(username="mk", password=PASSWORD)
    assert client.get("/handoff/queue/").status_code == 403
    assert client.post(f"/handoff/{handoff.pk}/accept/").status_code == 403
    body = client.get("/handoff/rejections/").content.decode()
    assert "Not a fit" in body and "Student" in body and "Rejected" in body
    assert client.get("/handoff/rejections/?start=2026-02-31").status_code == 200


def test_api_lists_mine_and_accepts(client, reps, head_of_sales):
    mine = handoff_route(contact=sql_lead(), now=NOW)
    handoff_route(contact=sql_lead(), now=NOW)
    body = client.get("/api/v1/handoffs", headers=auth(reps[0])).json()
    assert body["count"] == 1 and body["items"][0]["id"] == mine.pk
    assert body["items"][0]["routing_reason"].startswith("Round robin")
    assert client.get("/api/v1/handoffs", headers=auth(head_of_sales)).json()["count"] == 2
    response = client.post(f"/api/v1/handoffs/{mine.pk}/accept", headers=auth(reps[0]))
    assert response.status_code == 200 and response.json()["status"] == "accepted"


def test_api_error_shapes(client, reps, head_of_sales, marketer, partner):
    handoff = handoff_route(contact=sql_lead(), now=NOW)
    url = f"/api/v1/handoffs/{handoff.pk}/reject"
    missing = client.post(url, {"comment": "x"}, content_type="application/json", headers=auth(reps[0]))
    assert missing.status_code == 422
    assert missing.json() == {
        "errors": [{"loc": ["reason_code"], "msg": "give a reason for rejecting the lead"}]
    }
    other = client.post(
        url, {"reason_code": "no_budget"}, content_type="application/json", headers=auth(reps[1])
    )
    assert other.status_code == 403 and other.json()["errors"][0]["loc"] == []
    for user in (marketer, partner):
        response = client.post(f"/api/v1/handoffs/{handoff.pk}/accept", headers=auth(user))
        assert response.status_code == 403
    assert client.post("/api/v1/handoffs/999999/accept", headers=auth(reps[0])).status_code == 404
    ok = client.post(
        url,
        {"reason_code": "no_budget", "comment": "Q3"},
        content_type="application/json",
        headers=auth(reps[0]),
    )
    assert ok.status_code == 200 and ok.json()["reason_code"] == "no_budget"
    again = client.post(f"/api/v1/handoffs/{handoff.pk}/accept", headers=auth(reps[0]))
    assert again.status_code == 422 and again.json()["errors"][0]["loc"] == ["status"]
