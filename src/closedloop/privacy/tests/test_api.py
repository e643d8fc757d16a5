"""GET /api/v1/privacy/contacts/{id}/export, POST …/erase and the retention settings."""

import pytest

from closedloop.accounts.services import api_token_create
from closedloop.crm.models import Contact
from closedloop.privacy.tests.builders import EMAIL, build_person


def auth(user) -> dict[str, str]:
    _, raw = api_token_create(user=user, name="test")
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def zoe(admin):
    return build_person(staff=admin).contact


@pytest.mark.django_db
def test_export(client, head_of_sales, rep, zoe):
    body = client.get(f"/api/v1/privacy/contacts/{zoe.pk}/export", headers=auth(head_of_sales)).json()
    assert body["schema_version"] == 1 and body["contact"]["email"] == EMAIL
    assert len(body["records"]["automation.consentrecord"]) == 2
    refused = client.get(f"/api/v1/privacy/contacts/{zoe.pk}/export", headers=auth(rep))
    assert refused.status_code == 403
    missing = client.get("/api/v1/privacy/contacts/999999/export", headers=auth(head_of_sales))
    assert missing.status_code == 404 and missing.json()["errors"][0]["loc"] == []


@pytest.mark.django_db
def test_erase(client, admin, zoe):
    headers = auth(admin)
    url = f"/api/v1/privacy/contacts/{zoe.pk}/erase"
    wrong = client.post(
        url, {"confirm": "someone@else.com", "reason": "request"}, "application/json", headers=headers
    )
    assert wrong.status_code == 422
    assert wrong.json() == {
        "errors": [
            {"loc": ["confirm"], "msg": "must be the contact's email address (or its id if it has none)"}
        ]
    }
    bad_reason = client.post(url, {"confirm": EMAIL, "reason": "whim"}, "application/json", headers=headers)
    assert bad_reason.status_code == 422 and bad_reason.json()["errors"][0]["loc"] == ["reason"]
    assert Contact.objects.get(pk=zoe.pk).email == EMAIL

    done = client.post(url, {"confirm": EMAIL, "reason": "request"}, "application/json", headers=headers)
    assert done.status_code == 200
    body = done.json()
    assert (body["contact_id"], body["reason"], body["was_suppressed"]) == (zoe.pk, "request", True)
    assert body["counts"]["tracking.visitoridentity"] == 1
    again = client.post(
        url, {"confirm": str(zoe.pk), "reason": "request"}, "application/json", headers=headers
    )
    assert again.status_code == 422
    assert again.json()["errors"] == [
        {"loc": ["contact_id"], "msg": f"contact {zoe.pk} has already been erased"}
    ]


@pytest.mark.django_db
def test_retention_settings(client, admin, head_of_sales):
    assert client.get("/api/v1/privacy/retention", headers=auth(head_of_sales)).status_code == 403
    headers = auth(admin)
    assert client.get("/api/v1/privacy/retention", headers=headers).json()["anonymous_event_days"] == 395
    body = {
        "event_days": 760,
        "anonymous_event_days": None,
        "email_body_days": 90,
        "inactive_contact_months": None,
    }
    saved = client.put("/api/v1/privacy/retention", body, "application/json", headers=headers)
    assert saved.status_code == 200
    assert {k: saved.json()[k] for k in body} == body
    bad = client.put(
        "/api/v1/privacy/retention", {**body, "email_body_days": 0}, "application/json", headers=headers
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"loc": ["email_body_days"], "msg": "must be a whole number from 1 to 36500, or blank for no limit"}
    ]
