"""Event ingest API: happy path, idempotency, identity stitching and every kind of bad input."""

import json
from datetime import UTC, datetime

import pytest

from closedloop.accounts.roles import Role
from closedloop.accounts.services import api_token_create
from closedloop.crm.models import Contact, StageTransition
from closedloop.tracking.models import Event, VisitorIdentity
from tests.factories import CampaignFactory, UserFactory

URL = "/api/v1/events/batch"
pytestmark = pytest.mark.django_db


@pytest.fixture
def token():
    user = UserFactory(role=Role.MARKETER)
    _, raw = api_token_create(user=user, name="test")
    return raw


def post(client, token, body, **extra):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(
        URL, data=data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}", **extra
    )


def event(key="k1", **overrides):
    e = {
        "idempotency_key": key,
        "type": "page_view",
        "ts": "2026-06-01T10:00:00+02:00",
        "contact": {"email": "Ann@Example.com", "first_name": "Ann"},
        "utm": {"source": "google", "medium": "cpc", "campaign": "spring-ppc"},
        "url": "https://example.com/pricing",
        "properties": {"plan": "pro"},
    }
    e.update(overrides)
    return e


def test_batch_is_stored_with_contact_campaign_and_utc_timestamp(client, token):
    campaign = CampaignFactory(utm_campaign="spring-ppc")
    resp = post(client, token, {"events": [event("a"), event("b", type="form_submit")]})
    assert resp.status_code == 200, resp.content
    assert resp.json() == {"accepted": 2, "duplicates": 0, "contacts_created": 1, "visitors_identified": 0}
    contact = Contact.objects.get()
    assert contact.email == "ann@example.com"
    assert contact.first_name == "Ann"
    assert contact.source_campaign == campaign
    stored = Event.objects.get(idempotency_key="a")
    assert stored.ts == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert stored.campaign == campaign and stored.contact == contact
    assert stored.properties == {"plan": "pro"}
    assert StageTransition.objects.filter(contact=contact, to_stage="visitor").count() == 1


def test_sending_the_same_batch_twice_stores_nothing_twice(client, token):
    body = {"events": [event("a"), event("b"), event("a")]}
    first = post(client, token, body).json()
    second = post(client, token, body).json()
    assert (first["accepted"], first["duplicates"]) == (2, 1)
    assert (second["accepted"], second["duplicates"]) == (0, 3)
    assert Event.objects.count() == 2
    assert Contact.objects.count() == 1


def test_anonymous_history_joins_the_contact_once_identified(client, token):
    anon = [
        event(f"anon-{i}", contact=None, visitor_id="cookie-42", ts=f"2026-06-01T0{i}:00:00Z")
        for i in range(3)
    ]
    assert post(client, token, {"events": anon}).status_code == 200
    assert Event.objects.filter(contact__isnull=True).count() == 3
    identify = event("signup", type="form_submit", visitor_id="cookie-42", ts="2026-06-01T09:00:00Z")
    body = post(client, token, {"events": [identify]}).json()
    assert body["visitors_identified"] == 1
    contact = Contact.objects.get(email="ann@example.com")
    assert Event.objects.filter(contact=contact).count() == 4
    assert VisitorIdentity.objects.get().contact == contact
    # Later anonymous events from the same cookie land on the contact directly.
    post(
        client,
        token,
        {"events": [event("later", contact=None, visitor_id="cookie-42", ts="2026-06-02T09:00:00Z")]},
    )
    assert Event.objects.get(idempotency_key="later").contact == contact


def test_first_touch_campaign_comes_from_anonymous_ad_click(client, token):
    campaign = CampaignFactory(utm_campaign="ads")
    click = event(
        "click",
        type="ad_click",
        contact=None,
        visitor_id="v1",
        utm={"campaign": "ads"},
        ts="2026-06-01T08:00:00Z",
    )
    signup = event("form", type="form_submit", visitor_id="v1", utm={}, ts="2026-06-01T08:05:00Z")
    post(client, token, {"events": [click]})
    post(client, token, {"events": [signup]})
    assert Contact.objects.get().source_campaign == campaign


@pytest.mark.parametrize(
    ("bad", "loc", "fragment"),
    [
        ({"type": "telepathy"}, ["events", 0, "type"], "Input should be"),
        ({"ts": "2026-06-01T10:00:00"}, ["events", 0, "ts"], "timezone"),
        ({"ts": "yesterday"}, ["events", 0, "ts"], "datetime"),
        ({"ts": "2026-13-45T10:00:00Z"}, ["events", 0, "ts"], "datetime"),
        ({"ts": "2099-01-01T00:00:00Z"}, ["events", 0, "ts"], "future"),
        ({"ts": "1999-12-31T23:00:00Z"}, ["events", 0, "ts"], "2000"),
        ({"idempotency_key": ""}, ["events", 0, "idempotency_key"], "at least 1"),
        ({"idempotency_key": 123}, ["events", 0, "idempotency_key"], "string"),
        ({"contact": {"email": "not-an-email"}}, ["events", 0, "contact", "email"], "email"),
        ({"contact": None}, ["events", 0, "contact"], "visitor_id"),
        ({"properties": ["not", "an", "object"]}, ["events", 0, "properties"], "dictionary"),
    ],
)
def test_bad_event_fields_are_named_and_nothing_is_stored(client, token, bad, loc, fragment):
    resp = post(client, token, {"events": [event("good"), event("bad", **bad)]})
    assert resp.status_code == 422, resp.content
    errors = resp.json()["errors"]
    bad_loc = [1, *loc[2:]]
    assert any(e["loc"][:2] == ["events", 1] and e["loc"][2:] == bad_loc[1:] for e in errors), errors
    assert any(fragment.lower() in e["msg"].lower() for e in errors), errors
    assert Event.objects.count() == 0
    assert Contact.objects.count() == 0


def test_missing_fields_are_each_reported(client, token):
    resp = post(client, token, {"events": [{"type": "page_view"}]})
    assert resp.status_code == 422
    locs = {tuple(e["loc"]) for e in resp.json()["errors"]}
    assert ("events", 0, "idempotency_key") in locs
    assert ("events", 0, "ts") in locs


def test_every_bad_item_in_a_batch_is_listed(client, token):
    events = [event(f"k{i}") for i in range(5)]
    events[1]["type"] = "nope"
    events[4]["ts"] = "not a date"
    errors = post(client, token, {"events": events}).json()["errors"]
    assert sorted(e["loc"][1] for e in errors) == [1, 4]


def test_malformed_json_is_a_400(client, token):
    resp = post(client, token, '{"events": [')
    assert resp.status_code == 400
    assert "JSON" in resp.json()["errors"][0]["msg"]


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("[]", "an array"),
        ('[{"events": []}]', "an array"),
        ('"x"', "a string"),
        ("7", "a number"),
        ("null", "null"),
    ],
)
def test_a_body_that_is_not_an_object_is_named_as_such(client, token, body, kind):
    resp = post(client, token, body)
    assert resp.status_code == 422
    assert resp.json()["errors"] == [{"loc": [], "msg": f"the body must be a JSON object, not {kind}"}]


def test_empty_and_oversized_batches_are_refused(client, token):
    assert post(client, token, {"events": []}).status_code == 422
    too_many = {"events": [event(f"k{i}") for i in range(1001)]}
    resp = post(client, token, too_many)
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["loc"] == ["events"]
    assert Event.objects.count() == 0


def test_oversize_payload_is_a_413(client, token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    big = {"events": [event("big", properties={"blob": "x" * 20_000})]}
    resp = post(client, token, big)
    assert resp.status_code == 413
    assert resp.json()["errors"][0]["msg"].startswith("request body is larger")


def test_unicode_survives(client, token):
    e = event("ü", contact={"email": "zoë@exämple.com", "first_name": "Zoë"}, properties={"note": "日本語 ✓"})
    resp = post(client, token, {"events": [e]})
    assert resp.status_code == 200, resp.content
    assert Event.objects.get().properties["note"] == "日本語 ✓"
    assert Contact.objects.get().first_name == "Zoë"


def test_ingest_requires_authentication_and_role(client):
    assert client.post(URL, data="{}", content_type="application/json").status_code == 401
    bad = client.post(URL, data="{}", content_type="application/json", HTTP_AUTHORIZATION="Bearer cl_wrong")
    assert bad.status_code == 401
    rep = UserFactory(role=Role.SALES_REP)
    _, raw = api_token_create(user=rep, name="rep")
    assert post(client, raw, {"events": [event()]}).status_code == 403
    assert Event.objects.count() == 0


def test_revoked_token_is_refused(client):
    from closedloop.accounts.services import api_token_revoke

    token, raw = api_token_create(user=UserFactory(role=Role.MARKETER), name="old")
    api_token_revoke(token=token)
    assert post(client, raw, {"events": [event()]}).status_code == 401
