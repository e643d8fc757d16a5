"""Outgoing Slack-compatible webhooks against a real local HTTP server: signed bodies, retries with
back-off after a failure, and the delivery log."""

import hashlib
import hmac
import json
import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from closedloop.meetings.models import DeliveryStatus, WebhookDelivery
from closedloop.meetings.services.feed import feed_win_record
from closedloop.meetings.services.meetings import action_item_create
from closedloop.meetings.services.webhooks import retry_delay, webhook_target_create, webhooks_deliver_due
from tests.factories import CampaignFactory, ContactFactory, DealFactory, EventFactory


class Slack:
    """A stand-in for Slack's incoming webhook: records requests, answers with the next status."""

    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        self.statuses: list[int] = []
        slack = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                slack.requests.append((dict(self.headers), body))
                self.send_response(slack.statuses.pop(0) if slack.statuses else 200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T000/B000/XXXX"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def slack():
    s = Slack()
    yield s
    s.server.shutdown()


@pytest.mark.django_db(transaction=True)
def test_a_win_is_posted_signed_with_the_touchpoints_that_helped(slack, maya, alex):
    webhook_target_create(name="#wins", url=slack.url, events="win", secret="s3cret", by=maya)
    buyer = ContactFactory()
    EventFactory(
        contact=buyer, campaign=CampaignFactory(name="Ops webinar"), ts=datetime(2026, 6, 2, tzinfo=UTC)
    )
    deal = DealFactory(
        name="Acme",
        contact=buyer,
        owner=alex,
        stage="won",
        amount=12000,
        closed_at=datetime(2026, 6, 9, tzinfo=UTC),
    )
    feed_win_record(deal=deal)
    feed_win_record(deal=deal)  # once per deal
    ((headers, body),) = slack.requests
    payload = json.loads(body)
    assert payload["event"] == "win"
    assert payload["text"] == "🎉 Alex won Acme (12,000). Marketing touchpoints that helped: Ops webinar."
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Closedloop-Signature"] == expected
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


@pytest.mark.django_db(transaction=True)
def test_a_failed_delivery_is_retried_with_back_off_and_logged(slack, maya, alex):
    webhook_target_create(name="#sync", url=slack.url, events="action_item", by=maya)
    slack.statuses = [500]
    action_item_create(title="Call back Acme", owner=alex, due_on=date(2026, 6, 20), by=maya)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert webhooks_deliver_due(now=timezone.now()) == 0  # not due yet: waits 30 s
    assert webhooks_deliver_due(now=timezone.now() + timedelta(seconds=31)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 2, "")
    assert [json.loads(b)["text"] for _, b in slack.requests] == [
        "New action item for Alex: Call back Acme (due 2026-06-20)"
    ] * 2


def test_back_off_doubles():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 240, 480]


@pytest.mark.django_db
def test_webhook_targets_are_validated(maya, alex):
    with pytest.raises(ValidationError) as err:
        webhook_target_create(name="x", url="ftp://example.com/hook", by=maya)
    assert "url" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        webhook_target_create(name="x", url="https://hooks.example/x", events="win,gossip", by=maya)
    assert "gossip" in err.value.message_dict["events"][0]
