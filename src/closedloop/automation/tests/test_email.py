"""Email through a real SMTP server: content, headers, bounces, rate limits, the commit point."""

import socket
from datetime import timedelta

import pytest
from django.utils import timezone
from jinja2.exceptions import SecurityError

from closedloop.automation import services
from closedloop.automation.consent import subscription_set
from closedloop.automation.mail import SmtpSession
from closedloop.automation.models import (
    ConsentRecord,
    DomainRateLimit,
    OutboundEmail,
    OutboxStatus,
    Subscription,
    Suppression,
)
from closedloop.automation.outbox import emails_send_due, handovers_expire
from closedloop.automation.templating import render_email
from closedloop.automation.tests.builders import contact_in_stage, run_all, workflow

pytestmark = pytest.mark.django_db

ONE_EMAIL = {
    "trigger": {"type": "manual"},
    "steps": [
        {
            "id": "ebook",
            "type": "send_email",
            "topic": "nurture",
            "subject": "{{ first_name }}, your ops ebook",
            "text": "Hi {{ first_name }} from {{ company or 'your team' }},\nDownload: {{ download('ops-ebook', 'https://acme.test/ebook.pdf') }}\n.leading dot line\nUnsubscribe: {{ unsubscribe_url }}",
            "html": "<p>Hi {{ first_name }}</p><a href=\"{{ link('https://acme.test/pricing') }}\">Pricing</a><script>alert(1)</script>",
        }
    ],
}


def _queue(*contacts, definition=ONE_EMAIL):
    wf = workflow(definition)
    services.workflow_enroll(workflow=wf, contact_ids=[c.pk for c in contacts], by=None)
    run_all(timezone.now())
    return wf


def _send():
    session = SmtpSession()
    try:
        return emails_send_due(session=session)
    finally:
        session.close()


def test_email_reaches_the_server_with_text_html_and_unsubscribe_headers(smtp):
    contact = contact_in_stage("iql", first_name="Grace", email="grace@navy.test")
    _queue(contact)
    report = _send()
    assert report.outcomes == {"accepted": 1}
    [received] = smtp.received
    assert received.recipients == ["grace@navy.test"]
    msg = received.message
    assert msg["Subject"] == "Grace, your ops ebook"
    assert msg["From"] == "Acme Marketing <marketing@acme.test>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["List-Unsubscribe"].startswith("<http://testserver/api/v1/automation/t/u/")
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Hi Grace from your team," in text
    assert "\n.leading dot line" in text  # dot-stuffing undone by the server
    assert "http://testserver/api/v1/automation/t/d/" in text
    assert "/api/v1/automation/t/c/" in html and "/api/v1/automation/t/o/" in html
    assert "<script>" not in html
    stored = OutboundEmail.objects.get()
    assert stored.status == OutboxStatus.SENT and stored.message_id == msg["Message-ID"]
    assert stored.smtp_response.startswith("250")


def test_hard_bounce_suppresses_the_address_for_every_workflow(smtp):
    contact = contact_in_stage("iql", email="gone@bounce.test")
    smtp.reject["gone@bounce.test"] = "550 5.1.1 No such user"
    _queue(contact)
    assert _send().outcomes == {"hard_bounce": 1}
    stored = OutboundEmail.objects.get()
    assert stored.status == OutboxStatus.BOUNCED and stored.smtp_response.startswith("550")
    assert Suppression.objects.get().reason == Suppression.Reason.HARD_BOUNCE
    # Another workflow cannot mail the address again: the message is kept, marked, never sent.
    other = {**ONE_EMAIL, "steps": [{**ONE_EMAIL["steps"][0], "id": "again"}]}
    _queue(contact, definition=other)
    assert OutboundEmail.objects.get(step_id="again").status == OutboxStatus.SUPPRESSED
    assert _send().claimed == 0
    assert smtp.received == []


def test_temporary_refusal_is_retried_later(smtp):
    contact = contact_in_stage("iql", email="busy@greylist.test")
    smtp.reject["busy@greylist.test"] = "451 4.7.1 Try again later"
    _queue(contact)
    assert _send().outcomes == {"retry": 1}
    stored = OutboundEmail.objects.get()
    assert stored.status == OutboxStatus.QUEUED and stored.due_at > timezone.now() + timedelta(seconds=20)
    del smtp.reject["busy@greylist.test"]
    session = SmtpSession()
    assert emails_send_due(session=session, now=stored.due_at).outcomes == {"accepted": 1}
    session.close()
    assert len(smtp.received) == 1


def test_unsubscribe_after_queueing_still_stops_the_email(smtp):
    contact = contact_in_stage("iql")
    _queue(contact)
    subscription_set(
        contact=contact, topic="nurture", status="unsubscribed", source=ConsentRecord.Source.USER
    )
    assert _send().outcomes == {"suppressed": 1}
    assert smtp.received == []
    assert OutboundEmail.objects.get().smtp_response == "unsubscribed from nurture"


def test_unsubscribed_from_all_blocks_every_topic(smtp):
    contact = contact_in_stage("iql")
    subscription_set(contact=contact, topic="*", status="unsubscribed", source=ConsentRecord.Source.FORM)
    _queue(contact)
    assert OutboundEmail.objects.get().status == OutboxStatus.SUPPRESSED
    assert Subscription.objects.get().topic == "*"


def test_per_domain_rate_limit_defers_the_rest_to_the_next_minute(smtp):
    DomainRateLimit.objects.create(domain="bigmail.test", per_minute=2)
    contacts = [contact_in_stage("iql", email=f"p{i}@bigmail.test") for i in range(4)]
    other = contact_in_stage("iql", email="solo@small.test")
    _queue(*contacts, other)
    report = _send()
    assert report.outcomes == {"accepted": 3, "rate_limited": 2}
    assert sorted(r.recipients[0] for r in smtp.received)[-1] == "solo@small.test"
    deferred = OutboundEmail.objects.filter(status=OutboxStatus.QUEUED)
    assert deferred.count() == 2
    assert all(m.due_at.second == 0 and m.due_at > timezone.now() for m in deferred)


def test_abort_at_the_commit_point_leaves_nothing_at_the_server(smtp):
    session = SmtpSession()
    outcome = session.deliver(
        recipient="x@example.test", data=b"Subject: x\r\n\r\nbody\r\n", commit_point=lambda send_last: False
    )
    assert outcome.kind == "aborted"
    ok = session.deliver(
        recipient="y@example.test",
        data=b"Subject: y\r\n\r\nbody\r\n",
        commit_point=lambda send_last: send_last() or True,
    )
    session.close()
    assert ok.kind == "accepted"
    assert [r.recipients for r in smtp.received] == [["y@example.test"]]


def test_sender_dying_after_the_commit_point_is_never_resent(smtp):
    contact = contact_in_stage("iql")
    _queue(contact)
    session = SmtpSession()
    real_deliver = session.deliver

    def dies_after_commit(*, recipient, data, commit_point):
        def commit_then_die(send_last):
            def dead():  # the process is gone before the last byte leaves
                session._smtp.sock.shutdown(socket.SHUT_RDWR)
                send_last()

            return commit_point(dead)

        return real_deliver(recipient=recipient, data=data, commit_point=commit_then_die)

    session.deliver = dies_after_commit
    assert emails_send_due(session=session).outcomes == {"uncertain": 1}
    assert OutboundEmail.objects.get().status == OutboxStatus.UNCONFIRMED
    assert _send().claimed == 0
    assert smtp.received == []  # the server threw the unfinished message away


def test_rows_left_handing_over_by_a_dead_sender_become_unconfirmed():
    contact = contact_in_stage("iql")
    _queue(contact)
    OutboundEmail.objects.update(
        status=OutboxStatus.HANDING_OVER, lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert handovers_expire() == 1
    assert OutboundEmail.objects.get().status == OutboxStatus.UNCONFIRMED


def test_templates_cannot_reach_python_internals():
    with pytest.raises(SecurityError):
        render_email(
            subject="x",
            text="{{ link.__globals__['os'] }}",
            html="",
            context={},
            link=lambda u: u,
            download=lambda a, u: u,
            unsubscribe_url="",
        )
