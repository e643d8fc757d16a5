"""The sender: delivers queued outbox rows (emails, webhook calls) at most once each.

A worker leases a batch, checks consent and the suppression list again (an unsubscribe may have
arrived after the workflow queued the message), takes a slot from the domain's rate limit and
hands the message over with the commit point described in mail.py. Rows whose sender died while
handing over are marked unconfirmed and never resent."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from closedloop.automation import links
from closedloop.automation.consent import email_block_reason, suppression_add
from closedloop.automation.leases import claim_due
from closedloop.automation.mail import (
    ABORTED,
    ACCEPTED,
    HARD_BOUNCE,
    RETRY,
    UNCERTAIN,
    UNREACHABLE,
    Outcome,
    SmtpSession,
    build_message,
)
from closedloop.automation.models import OutboundEmail, OutboundWebhook, OutboxStatus, Suppression
from closedloop.automation.ratelimit import domain_limits, next_window, rate_reserve
from closedloop.automation.webhooks import webhook_post

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 8
UNREACHABLE_PAUSE = timedelta(seconds=30)


@dataclass
class SendReport:
    claimed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str) -> None:
        self.outcomes[kind] = self.outcomes.get(kind, 0) + 1


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def _mark_handing_over(model: type, pk: int, token: str, send_last: Callable[[], None]) -> bool:
    """Commit "handing over" (only while holding the lease), then let the last byte go.

    On PostgreSQL the COMMIT is written to the database's socket and the last byte follows at
    once, before waiting for the database's answer: a worker killed while that answer travels
    back (milliseconds on a busy machine) has already sent both, so the server and the outbox
    agree. Elsewhere (SQLite commits inside this process) the commit returns first."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        # (Inside a caller's transaction — tests — a second connection could not see the row.)
        marked = (
            _mark_query(model, pk, token).update(status=OutboxStatus.HANDING_OVER, sent_at=timezone.now())
            == 1
        )
        if marked:
            send_last()
        return marked
    raw = _handover_connection()
    with raw.cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} SET status = %s, sent_at = %s "  # noqa: S608 - our own table
            "WHERE id = %s AND lease_token = %s AND status = %s",
            [OutboxStatus.HANDING_OVER, timezone.now(), pk, token, OutboxStatus.QUEUED],
        )
        marked = cursor.rowcount == 1
    if not marked:
        raw.rollback()
        return False
    raw.pgconn.send_query(b"COMMIT")  # blocking libpq: returns once the bytes are in the socket
    try:
        send_last()
    finally:
        _commit_result(raw)
    return True


def _mark_query(model: type, pk: int, token: str):  # type: ignore[no-untyped-def]
    return model.objects.filter(pk=pk, lease_token=token, status=OutboxStatus.QUEUED)


_raw_connection = None


def _handover_connection():  # type: ignore[no-untyped-def]
    """A connection of our own for the commit point, so Django's transaction state is untouched."""
    global _raw_connection
    if _raw_connection is None or _raw_connection.closed:
        _raw_connection = connection.get_new_connection(connection.get_connection_params())
        _raw_connection.autocommit = False
    return _raw_connection


def _commit_result(raw) -> None:  # type: ignore[no-untyped-def]
    from psycopg import pq

    error = ""
    while (result := raw.pgconn.get_result()) is not None:
        if result.status != pq.ExecStatus.COMMAND_OK:
            error = (result.error_message or b"").decode(errors="replace")
    if error:
        log.error("commit of a handover failed after the message left: %s", error)


def _record(model: type, row, token: str, outcome: Outcome, now: datetime, response_field: str) -> None:
    mine = model.objects.filter(pk=row.pk, lease_token=token)
    values = {response_field: outcome.response}
    if outcome.kind == ACCEPTED:
        mine.update(status=OutboxStatus.SENT, lease_until=None, **values)
    elif outcome.kind in (RETRY, UNREACHABLE):
        if row.attempts >= MAX_ATTEMPTS:
            mine.update(status=OutboxStatus.FAILED, lease_until=None, **values)
        else:
            mine.update(
                status=OutboxStatus.QUEUED,
                due_at=now + retry_delay(row.attempts),
                lease_until=None,
                sent_at=None,
                **values,
            )
    elif outcome.kind == UNCERTAIN:
        mine.update(status=OutboxStatus.UNCONFIRMED, **values)
    elif outcome.kind == HARD_BOUNCE:
        mine.update(status=OutboxStatus.BOUNCED, lease_until=None, sent_at=None, **values)
    elif outcome.kind != ABORTED:
        mine.update(status=OutboxStatus.FAILED, lease_until=None, sent_at=None, **values)


def emails_send_due(
    *, session: SmtpSession, now: datetime | None = None, limit: int = 50, lease: timedelta = LEASE
) -> SendReport:
    now = now or timezone.now()
    report = SendReport()
    token, ids = claim_due(
        OutboundEmail.objects.filter(status=OutboxStatus.QUEUED), now=now, limit=limit, lease=lease
    )
    if not ids:
        return report
    report.claimed = len(ids)
    limits = domain_limits()
    messages = OutboundEmail.objects.filter(pk__in=ids, lease_token=token).order_by("due_at", "pk")
    for msg in messages:
        moment = timezone.now()
        reason = email_block_reason(contact_id=msg.contact_id, email=msg.to_email, topic=msg.topic)
        if reason:
            OutboundEmail.objects.filter(pk=msg.pk, lease_token=token).update(
                status=OutboxStatus.SUPPRESSED, smtp_response=reason, lease_until=None
            )
            report.add("suppressed")
            continue
        if not rate_reserve(domain=msg.domain, now=moment, limits=limits):
            OutboundEmail.objects.filter(pk=msg.pk, lease_token=token).update(
                due_at=next_window(moment), lease_until=None, attempts=msg.attempts - 1
            )
            report.add("rate_limited")
            continue
        data = build_message(
            to=msg.to_email,
            subject=msg.subject,
            text=msg.text_body,
            html=msg.html_body,
            message_id=msg.message_id,
            unsubscribe_url=links.unsubscribe_url(msg.idempotency_key, msg.contact_id, msg.topic),
            open_pixel_url=links.open_url(msg.idempotency_key),
        )
        outcome = session.deliver(
            recipient=msg.to_email,
            data=data,
            commit_point=lambda send_last, pk=msg.pk: _mark_handing_over(OutboundEmail, pk, token, send_last),
        )
        if outcome.kind == UNREACHABLE:
            # The relay is down: hand the whole batch back for later instead of trying each row.
            OutboundEmail.objects.filter(pk__in=ids, lease_token=token, status=OutboxStatus.QUEUED).update(
                lease_until=None, due_at=moment + UNREACHABLE_PAUSE, smtp_response=outcome.response
            )
            report.add(outcome.kind)
            break
        _record(OutboundEmail, msg, token, outcome, moment, "smtp_response")
        if outcome.kind == HARD_BOUNCE:
            suppression_add(
                email=msg.to_email, reason=Suppression.Reason.HARD_BOUNCE, detail=outcome.response
            )
        report.add(outcome.kind)
    return report


def webhooks_send_due(
    *, now: datetime | None = None, limit: int = 20, lease: timedelta = LEASE
) -> SendReport:
    now = now or timezone.now()
    report = SendReport()
    token, ids = claim_due(
        OutboundWebhook.objects.filter(status=OutboxStatus.QUEUED), now=now, limit=limit, lease=lease
    )
    report.claimed = len(ids)
    for call in OutboundWebhook.objects.filter(pk__in=ids, lease_token=token).order_by("due_at", "pk"):
        outcome = webhook_post(
            url=call.url,
            payload=call.payload,
            idempotency_key=call.idempotency_key,
            commit_point=lambda send_last, pk=call.pk: _mark_handing_over(
                OutboundWebhook, pk, token, send_last
            ),
        )
        _record(OutboundWebhook, call, token, outcome, timezone.now(), "response")
        report.add(outcome.kind)
    return report


def handovers_expire(*, now: datetime | None = None) -> int:
    """Rows left "handing over" by a sender that died: the server may have them. Never resend."""
    now = now or timezone.now()
    count = 0
    for model in (OutboundEmail, OutboundWebhook):
        count += model.objects.filter(status=OutboxStatus.HANDING_OVER, lease_until__lt=now).update(
            status=OutboxStatus.UNCONFIRMED
        )
    if count:
        log.warning("%s outbox rows were being handed over when their sender stopped", count)
    return count
