"""Webhook steps: the SSRF guard and delivery to a real local HTTP server."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from closedloop.automation import services
from closedloop.automation.models import OutboundWebhook, OutboxStatus
from closedloop.automation.outbox import webhooks_send_due
from closedloop.automation.tests.builders import contact_in_stage, run_all, workflow
from closedloop.automation.webhooks import WebhookRefused, webhook_target


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_guard_refuses_non_public_addresses(url, settings):
    settings.CLOSEDLOOP_WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(WebhookRefused):
        webhook_target(url)


def test_guard_allows_public_addresses_and_pins_the_checked_one(settings):
    settings.CLOSEDLOOP_WEBHOOK_ALLOW_PRIVATE = False
    target = webhook_target("https://93.184.215.14:8443/in?x=1")
    assert (target.address, target.port, target.path) == ("93.184.215.14", 8443, "/in?x=1")


class _Receiver(BaseHTTPRequestHandler):
    calls: list = []
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls.append((dict(self.headers), json.loads(body)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(settings):
    settings.CLOSEDLOOP_WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on loopback
    _Receiver.calls = []
    _Receiver.status = 200
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield _Receiver, f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


@pytest.mark.django_db
def test_webhook_step_posts_once_with_an_idempotency_key(receiver):
    handler, url = receiver
    contact = contact_in_stage("iql", email="dana@example.com")
    wf = workflow({"trigger": {"type": "manual"}, "steps": [{"id": "crm", "type": "webhook", "url": url}]})
    services.workflow_enroll(workflow=wf, contact_ids=[contact.pk], by=None)
    run_all(timezone.now())
    assert webhooks_send_due().outcomes == {"accepted": 1}
    assert webhooks_send_due().claimed == 0
    [(headers, payload)] = handler.calls
    call = OutboundWebhook.objects.get()
    assert headers["Idempotency-Key"] == call.idempotency_key
    assert payload["contact"]["email"] == "dana@example.com" and payload["step"] == "crm"
    assert call.status == OutboxStatus.SENT and call.response == "HTTP 200"


@pytest.mark.django_db
def test_server_error_is_retried_and_private_address_is_refused_without_the_setting(receiver, settings):
    handler, url = receiver
    handler.status = 503
    contact = contact_in_stage("iql")
    wf = workflow({"trigger": {"type": "manual"}, "steps": [{"id": "crm", "type": "webhook", "url": url}]})
    services.workflow_enroll(workflow=wf, contact_ids=[contact.pk], by=None)
    run_all(timezone.now())
    assert webhooks_send_due().outcomes == {"retry": 1}
    call = OutboundWebhook.objects.get()
    assert call.status == OutboxStatus.QUEUED and call.due_at > timezone.now()
    settings.CLOSEDLOOP_WEBHOOK_ALLOW_PRIVATE = False
    assert webhooks_send_due(now=call.due_at).outcomes == {"rejected": 1}
    call.refresh_from_db()
    assert call.status == OutboxStatus.FAILED and "not a public address" in call.response
    assert len(handler.calls) == 1
