"""GET /api/v1/alarms (filters, pagination, partner scope), acknowledge and landing page review."""

import pytest

from closedloop.accounts.services import api_token_create
from closedloop.alarms.models import AlarmStatus
from closedloop.alarms.tests.builders import alarm_make, campaign_make
from closedloop.alarms.tests.conftest import NOW

STEP = {"outcome": "mql", "observed": 0, "expected": 49.0, "baseline_clicks": 8020, "baseline_outcomes": 659}


def auth(user) -> dict[str, str]:
    _, raw = api_token_create(user=user, name="test")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def alarms(agency):
    ours = campaign_make("PPC – Free trial", partner_team=agency)
    return [
        alarm_make("campaign_conversion_gap", subject_key=f"campaign:{ours.pk}", campaign=ours,
                   severity="critical", evidence={"clicks": 4223, "steps": [STEP]}),
        alarm_make("landing_page_unreviewed", subject_key=f"campaign:{ours.pk}", campaign=ours),
        alarm_make(),
        alarm_make(subject_key="old", status=AlarmStatus.RESOLVED, resolved_at=NOW),
    ]  # fmt: skip


@pytest.mark.django_db
def test_list_filters_and_paginates(client, marketer, alarms):
    headers = auth(marketer)
    body = client.get("/api/v1/alarms", headers=headers).json()
    assert body["count"] == 4
    first = body["items"][0]
    assert (first["id"], first["campaign"], first["evidence"], first["severity"]) == (
        alarms[0].pk, "PPC – Free trial", {"clicks": 4223, "steps": [STEP]}, "critical",
    )  # fmt: skip
    assert first["landing_page_url"].startswith("https://example.test/lp/")
    assert client.get("/api/v1/alarms?status=resolved", headers=headers).json()["count"] == 1
    assert (
        client.get("/api/v1/alarms?status=active&kind=landing_page_unreviewed", headers=headers).json()[
            "count"
        ]
        == 1
    )
    # Open before resolved, critical before warning, then the latest first (same time: newest id).
    page = client.get("/api/v1/alarms?limit=2&offset=2", headers=headers).json()
    assert [a["id"] for a in page["items"]] == [alarms[1].pk, alarms[3].pk]


@pytest.mark.django_db
def test_bad_filters_get_the_error_shape(client, marketer):
    response = client.get("/api/v1/alarms?kind=nope", headers=auth(marketer))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["kind"]


@pytest.mark.django_db
def test_partners_list_only_their_campaigns_alarms_and_cannot_acknowledge(client, partner, alarms):
    headers = auth(partner)
    body = client.get("/api/v1/alarms", headers=headers).json()
    assert {a["id"] for a in body["items"]} == {alarms[0].pk, alarms[1].pk}
    # The benchmark rate is in the message; the volumes of campaigns the agency does not run are not.
    (step,) = next(a for a in body["items"] if a["id"] == alarms[0].pk)["evidence"]["steps"]
    assert step == {"outcome": "mql", "observed": 0, "expected": 49.0}
    assert client.get(f"/api/v1/alarms/{alarms[2].pk}", headers=headers).status_code == 404
    response = client.post(f"/api/v1/alarms/{alarms[0].pk}/acknowledge", headers=headers)
    assert response.status_code == 403
    assert response.json() == {"errors": [{"loc": [], "msg": "your role may not do this"}]}


@pytest.mark.django_db
def test_acknowledge_is_idempotent_and_refuses_resolved_alarms(client, rep, alarms):
    headers = auth(rep)
    url = f"/api/v1/alarms/{alarms[0].pk}/acknowledge"
    first = client.post(url, headers=headers)
    again = client.post(url, headers=headers)
    assert first.status_code == again.status_code == 200
    assert (first.json()["status"], first.json()["acknowledged_by"]) == ("acknowledged", "alex")
    assert again.json()["acknowledged_at"] == first.json()["acknowledged_at"]
    resolved = client.post(f"/api/v1/alarms/{alarms[3].pk}/acknowledge", headers=headers)
    assert resolved.status_code == 422
    assert resolved.json()["errors"][0]["loc"] == ["status"]
    assert client.post("/api/v1/alarms/999999/acknowledge", headers=headers).status_code == 404


@pytest.mark.django_db
def test_sales_marks_a_landing_page_reviewed_through_the_api(client, head_of_sales, marketer, alarms):
    page_id = alarms[1].landing_page_id
    url = f"/api/v1/alarms/landing-pages/{page_id}/review"
    assert client.post(url, headers=auth(marketer)).status_code == 403
    response = client.post(url, headers=auth(head_of_sales))
    assert response.status_code == 200 and response.json()["reviewed_by_sales_at"]
    alarms[1].refresh_from_db()
    assert alarms[1].status == AlarmStatus.RESOLVED
