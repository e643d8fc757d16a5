"""Signed tracking links and unsubscribing, reached without signing in."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from closedloop.automation import links, services
from closedloop.automation.models import ConsentRecord, OutboundEmail, Subscription
from closedloop.automation.tests.builders import contact_in_stage, run_all, workflow
from closedloop.tracking.models import Event

pytestmark = pytest.mark.django_db

FLOW = {
    "trigger": {"type": "manual"},
    "steps": [
        {
            "id": "ebook",
            "type": "send_email",
            "topic": "nurture",
            "subject": "Your ebook",
            "text": "{{ download('ops-ebook', 'https://acme.example.com/ebook.pdf') }} {{ link('https://acme.example.com/pricing') }}",
        }
    ],
}


@pytest.fixture
def message(settings):
    settings.CLOSEDLOOP_BASE_URL = "http://testserver"
    contact = contact_in_stage("iql", email="ann@acme-customer.com")
    wf = workflow(FLOW)
    services.workflow_enroll(workflow=wf, contact_ids=[contact.pk], by=None)
    run_all(timezone.now())
    return OutboundEmail.objects.get()


def _path(url: str) -> str:
    return url.removeprefix("http://testserver")


def _links(message):
    return re.findall(r"http://testserver\S+", message.text_body)


def test_open_pixel_records_one_open_event(client, message):
    url = _path(links.open_url(message.idempotency_key))
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/gif"
        assert "no-store" in response["Cache-Control"]
    message.refresh_from_db()
    assert message.opened_at is not None
    events = Event.objects.filter(contact=message.contact, type="email_open")
    assert events.count() == 1  # reloading the image is not another open
    assert events.get().properties["message"] == message.idempotency_key


def test_click_redirects_to_the_signed_url_and_records_click_and_open(client, message):
    _download, pricing = _links(message)
    response = client.get(_path(pricing))
    assert response.status_code == 302 and response["Location"] == "https://acme.example.com/pricing"
    message.refresh_from_db()
    assert message.clicked_at is not None and message.opened_at is not None
    click = Event.objects.get(contact=message.contact, type="email_click")
    assert click.url == "https://acme.example.com/pricing"
    assert click.utm_medium == "email"


def test_download_link_records_a_content_download_with_its_asset(client, message):
    download, _ = _links(message)
    response = client.get(_path(download))
    assert response["Location"] == "https://acme.example.com/ebook.pdf"
    event = Event.objects.get(contact=message.contact, type="content_download")
    assert event.properties["asset"] == "ops-ebook"
    message.refresh_from_db()
    assert message.downloaded_at is not None


def test_tampered_links_are_refused_and_record_nothing(client, message):
    _download, pricing = _links(message)
    token = pricing.rsplit("/", 1)[1]
    value, _, signature = token.rpartition(":")
    assert client.get(f"/api/v1/automation/t/c/{value}:{'A' * len(signature)}").status_code == 404
    # A click token is not a download token, and a forged destination cannot be signed.
    assert client.get(f"/api/v1/automation/t/d/{token}").status_code == 404
    assert client.get("/api/v1/automation/t/c/https://evil.example").status_code == 404
    assert not Event.objects.filter(type__in=["email_click", "content_download"]).exists()


def test_open_redirect_is_impossible_even_with_a_valid_signature_on_a_bad_scheme(client, message):
    with pytest.raises(ValueError):
        links.click_url(message.idempotency_key, "javascript:alert(1)")


def test_one_click_unsubscribe_per_rfc_8058(message):
    url = _path(links.unsubscribe_url(message.idempotency_key, message.contact_id, "nurture"))
    # A mail client's POST carries no CSRF token and no session: it must still work.
    response = Client(enforce_csrf_checks=True).post(
        url, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    sub = Subscription.objects.get(contact=message.contact)
    assert (sub.topic, sub.status) == ("nurture", "unsubscribed")
    record = ConsentRecord.objects.get(contact=message.contact)
    assert record.source == "one_click" and message.idempotency_key in record.detail


def test_unsubscribe_page_unsubscribes_from_all_and_can_undo(client, message):
    url = _path(links.unsubscribe_url(message.idempotency_key, message.contact_id, "nurture"))
    page = client.get(url)
    assert page.status_code == 200 and b"ann@acme-customer.com" in page.content
    done = client.post(url, {"scope": "all"})
    assert b"no more marketing email" in done.content
    assert Subscription.objects.get(contact=message.contact, topic="*").status == "unsubscribed"
    client.post(url, {"scope": "resubscribe"})
    assert Subscription.objects.get(contact=message.contact).topic == "nurture"
    assert list(ConsentRecord.objects.filter(contact=message.contact).values_list("status", flat=True)) == [
        "subscribed",
        "unsubscribed",
    ]


def test_edited_unsubscribe_token_is_refused(client, message):
    url = _path(links.unsubscribe_url(message.idempotency_key, message.contact_id, "nurture"))
    base, token = url.rsplit("/", 1)
    flipped = token[:6] + ("A" if token[6] != "A" else "B") + token[7:]
    assert client.post(f"{base}/{flipped}", {"scope": "all"}).status_code == 404
    assert client.get(f"{base}/{flipped}").status_code == 404
    assert not Subscription.objects.exists()
