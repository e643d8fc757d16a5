"""Outgoing Slack-compatible webhooks against a real local HTTP server: signed bodies, retries with
back-off after a failure, the delivery log, and the SSRF guard at save and at send time.

The local server listens on loopback, which the guard refuses by default; tests that deliver to it
turn on CLOSEDLOOP_WEBHOOK_ALLOW_PRIVATE, as an installation with an internal receiver would."""

import hashlib
import hmac
import json
import socket
import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from closedloop.meetings.models import DeliveryStatus, WebhookDelivery, WebhookTarget
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
def slack(settings):
    settings.CLOSEDLOOP_WEBHOOK_ALLOW_PRIVATE = True  # the stand-in listens on 127.0.0.1
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
        webhook_target_create(name="x", url="https://93.184.215.14/x", events="win,gossip", by=maya)
    assert "gossip" in err.value.message_dict["events"][0]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://10.20.30.40/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/hook",
        "http://localhost/hook",  # a name that resolves to loopback
    ],
)
@pytest.mark.django_db
def test_a_target_on_a_non_public_address_is_refused_at_save(url, maya, settings):
    settings.CLOSEDLOOP_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError) as err:
        webhook_target_create(name="internal", url=url, by=maya)
    (message,) = err.value.message_dict["url"]
    assert "not a public address" in message
    assert not WebhookTarget.objects.exists()


@pytest.mark.django_db
def test_a_public_ip_literal_over_http_is_accepted_without_a_lookup(maya, settings):
    settings.CLOSEDLOOP_WEBHOOK_ALLOW_PRIVATE = False
    target = webhook_target_create(name="#wins", url="http://93.184.215.14:8080/in", by=maya)
    assert WebhookTarget.objects.get().url == target.url == "http://93.184.215.14:8080/in"


@pytest.mark.django_db
def test_an_unresolvable_host_is_refused_at_save(maya, settings):
    settings.CLOSEDLOOP_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError) as err:
        webhook_target_create(name="x", url="https://no-such-host.invalid/hook", by=maya)
    assert "cannot resolve no-such-host.invalid" in err.value.message_dict["url"][0]


@pytest.mark.django_db(transaction=True)
def test_a_target_is_checked_again_at_send_time(slack, maya, alex, settings):
    # Saved while internal receivers were allowed; the setting is later turned off.
    webhook_target_create(name="#sync", url=slack.url, events="action_item", by=maya)
    settings.CLOSEDLOOP_WEBHOOK_ALLOW_PRIVATE = False
    action_item_create(title="Call back Acme", owner=alex, due_on=date(2026, 6, 20), by=maya)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert delivery.last_error == "refused: 127.0.0.1 resolves to 127.0.0.1, which is not a public address"
    assert slack.requests == []


@pytest.mark.django_db(transaction=True)
def test_the_request_goes_to_the_address_that_was_checked(slack, maya, alex, monkeypatch):
    """DNS rebinding: the name answers 127.0.0.1 when checked, then an address nobody listens on.
    The request still reaches the checked address, because the connection is pinned to it."""
    port = slack.server.server_port
    answers = ["127.0.0.1"]
    real_getaddrinfo = socket.getaddrinfo

    def rebinding_dns(host, *args, **kwargs):
        if host != "hooks.rebind.test":
            return real_getaddrinfo(host, *args, **kwargs)
        address = answers.pop(0) if answers else "127.0.0.99"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    url = f"http://hooks.rebind.test:{port}/services/T/B/X"
    webhook_target_create(name="#sync", url=url, events="action_item", by=maya)  # first answer
    answers.append("127.0.0.1")  # the send-time check; any later lookup gets 127.0.0.99
    action_item_create(title="Call back Acme", owner=alex, due_on=date(2026, 6, 20), by=maya)
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED
    ((headers, _),) = slack.requests
    assert headers["Host"] == f"hooks.rebind.test:{port}"
