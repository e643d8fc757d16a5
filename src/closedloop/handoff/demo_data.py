"""Demo handoffs: the last five weeks of leads that became sales-ready, routed by the real routing
rules at the moment they became SQL, decided the way the generated history says (later stages
mean accepted; a share of the rest rejected with seed 002's reasons), then the SLA check settles
every clock against the calls and emails the generator logged. The queue, the rejections page
and the SLA report open with history instead of empty tables."""

import random
from collections.abc import Callable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from closedloop.crm.lifecycle import STAGE_ORDER, Stage
from closedloop.crm.models import Activity, Contact, StageTransition
from closedloop.handoff.models import Handoff
from closedloop.handoff.services import handoff_accept, handoff_reject, handoff_route
from closedloop.notifications.models import Notification
from closedloop.sla.services import sla_clocks_check, sla_clocks_start

# Each handoff runs the real services (~40 ms); five weeks keep the demo quick and fill two months.
HISTORY_DAYS = 35
STILL_PENDING_DAYS = 4  # leads routed this recently are still waiting for a decision
# What reps said when sending leads back (seed 002: "61% forwarded, 27% qualified").
REJECTIONS = (
    ("not_a_fit", 0.35),
    ("no_budget", 0.25),
    ("wrong_timing", 0.2),
    ("no_response", 0.12),
    ("bad_data", 0.08),
)
REJECT_SHARE = 0.3
SEED = 2718
# Email is off while seeding: the demo runs without a mail server.
_NO_MAIL = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}


def seed(log: Callable[[str], object]) -> None:
    rng = random.Random(SEED)
    now = timezone.now()
    since = now - timedelta(days=HISTORY_DAYS)
    entries = (
        StageTransition.objects.filter(to_stage=Stage.SQL, at__gte=since, at__lt=now)
        .order_by("at", "id")
        .values_list("contact_id", "at")
    )
    beyond_sql = set(STAGE_ORDER[STAGE_ORDER.index(Stage.SQL) + 1 :])
    counts = {"accepted": 0, "rejected": 0, "pending": 0}
    with override_settings(MAILERS=_NO_MAIL):
        for contact_id, at in entries:
            with transaction.atomic():
                outcome = _hand_off(Contact.objects.get(pk=contact_id), at, now, beyond_sql, rng)
            if outcome:
                counts[outcome] += 1
        sla_clocks_check(now=now)
    # Historic notifications would bury today's: only the last two days stay unread.
    Notification.objects.filter(created_at__lt=now - timedelta(days=2), read_at__isnull=True).update(
        read_at=now
    )
    log(
        f"  {sum(counts.values())} handoffs ({counts['accepted']} accepted, {counts['rejected']} rejected, "
        f"{counts['pending']} waiting) with their SLA clocks"
    )


def _hand_off(contact: Contact, at, now, beyond_sql: set[str], rng: random.Random) -> str | None:  # type: ignore[no-untyped-def]
    try:
        handoff = handoff_route(contact=contact, now=at)
    except ValidationError:
        return None
    if handoff.routed_at != at or handoff.routed_to is None:
        return None  # an earlier entry's handoff is still open
    if handoff.stage != Stage.SQL:
        # The generator already moved this contact further; the handoff was of an SQL.
        Handoff.objects.filter(pk=handoff.pk).update(stage=Stage.SQL)
        handoff.stage = Stage.SQL
        sla_clocks_start(handoff=handoff)
    rep = handoff.routed_to
    first_touch = (
        Activity.objects.filter(contact=contact, at__gte=at, kind__in=("call", "email", "meeting"))
        .order_by("at")
        .values_list("at", flat=True)
        .first()
    )
    decided_at = first_touch or at + timedelta(hours=rng.uniform(2, 40))
    if contact.lifecycle_stage in beyond_sql:
        handoff_accept(handoff=handoff, by=rep, now=decided_at)
        return "accepted"
    if decided_at > now or now - at < timedelta(days=STILL_PENDING_DAYS):
        return "pending"
    if contact.lifecycle_stage == Stage.SQL and rng.random() < REJECT_SHARE:
        codes, weights = zip(*REJECTIONS, strict=True)
        handoff_reject(handoff=handoff, reason_code=rng.choices(codes, weights)[0], by=rep, now=decided_at)
        return "rejected"
    handoff_accept(handoff=handoff, by=rep, now=decided_at)
    return "accepted"
