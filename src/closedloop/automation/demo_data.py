"""Demo automation: seed 003's ebook nurture, active, with the demo's IQLs enrolled and a sample of
them already through it — emails sent ten days ago, some opened and downloaded, reminders and
thank-yous, a few new SQLs with a notification to sales — all by the real executor. The rest
wait for `closedloop worker`. The demo has no mail server, so the sample's emails are marked
sent instead of being delivered."""

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from django.test import override_settings
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.automation.executor import timers_run_due
from closedloop.automation.models import Enrollment, OutboundEmail, OutboxStatus, Timer, Topic
from closedloop.automation.services import workflow_activate, workflow_create
from closedloop.automation.templates_library import SEED_003_EBOOK_NURTURE
from closedloop.tracking.ingest import EventInput, events_ingest

SAMPLE = 300  # contacts taken through the flow while seeding (~2 s); the rest wait for the worker
SEED = 3003
_NO_MAIL = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}


def seed(log: Callable[[str], object]) -> None:
    rng = random.Random(SEED)
    now = timezone.now()
    t0 = now - timedelta(days=10)
    Topic.objects.get_or_create(key="nurture", defaults={"name": "Nurture emails"})
    Topic.objects.get_or_create(
        key="newsletter", defaults={"name": "Monthly newsletter", "requires_opt_in": True}
    )
    author = User.objects.filter(username="maya").first()
    workflow = workflow_create(
        name="Ebook nurture (seed 003)",
        description="Seed 003: ebook to every IQL, reminders, extra content, SQL and a call from sales.",
        definition=SEED_003_EBOOK_NURTURE,
        by=author,
    )
    enrolled = workflow_activate(workflow=workflow, by=author)
    sample = list(
        Enrollment.objects.filter(workflow=workflow).order_by("?").values_list("pk", "contact_id")[:SAMPLE]
    )
    contact_of = dict(sample)
    Timer.objects.filter(enrollment_id__in=contact_of).update(due_at=t0)
    with override_settings(MAILERS=_NO_MAIL):
        _run(t0)
        _deliver(t0 + timedelta(minutes=5))
        ebook = _emails(workflow.pk, "send_ebook")
        openers = [m for m in ebook if rng.random() < 0.45]
        _engage(openers, "open", t0 + timedelta(hours=20))
        _engage([m for m in openers if rng.random() < 0.55], "ops-ebook", t0 + timedelta(hours=22))
        _run(t0 + timedelta(days=1))
        _run(t0 + timedelta(days=3, minutes=1))
        _deliver(t0 + timedelta(days=3, minutes=5))
        thanked = _emails(workflow.pk, "thank")
        _engage([m for m in thanked if rng.random() < 0.4], "ops-toolkit", t0 + timedelta(days=4))
        for day in (4, 6, 8, 9):
            _run(t0 + timedelta(days=day, hours=1))
            _deliver(t0 + timedelta(days=day, hours=1, minutes=5))
    sent = OutboundEmail.objects.filter(workflow=workflow, status=OutboxStatus.SENT).count()
    sqls = Enrollment.objects.filter(workflow=workflow, current_step="done").count()
    log(
        f"  seed 003 nurture: {enrolled} IQLs enrolled, {len(sample)} taken through it ({sent} emails, {sqls} SQLs)"
    )


def _run(now: datetime) -> None:
    for _ in range(10):
        if timers_run_due(now=now, limit=500).timers == 0:
            return


def _deliver(at: datetime) -> None:
    OutboundEmail.objects.filter(status=OutboxStatus.QUEUED, due_at__lte=at).update(
        status=OutboxStatus.SENT, sent_at=at, smtp_response="250 demo: not delivered (no mail server)"
    )


def _emails(workflow_id: int, step: str) -> list[OutboundEmail]:
    return list(
        OutboundEmail.objects.filter(
            workflow_id=workflow_id, step_id=step, status=OutboxStatus.SENT
        ).select_related("contact")
    )


def _engage(messages: list[OutboundEmail], what: str, at: datetime) -> None:
    """Opens ("open") or downloads of an asset, as the tracking links would record them."""
    events = []
    for msg in messages:
        if not msg.contact.email:
            continue
        key = f"demo:{what}:{msg.idempotency_key}"
        kind = "email_open" if what == "open" else "content_download"
        props = (
            {"message": msg.idempotency_key}
            if what == "open"
            else {"message": msg.idempotency_key, "asset": what}
        )
        events.append(
            EventInput(idempotency_key=key, type=kind, ts=at, email=msg.contact.email, properties=props)
        )
    if events:
        events_ingest(events=events)
    ids = [m.pk for m in messages]
    OutboundEmail.objects.filter(pk__in=ids, opened_at__isnull=True).update(opened_at=at)
    if what != "open":
        OutboundEmail.objects.filter(pk__in=ids, downloaded_at__isnull=True).update(downloaded_at=at)
