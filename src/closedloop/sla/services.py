"""SLA clock writes: start a handoff's clocks, stop them when the work is done, and the periodic
check that stops clocks from recorded activities, opens missing ones and raises breaches.

Which event starts and stops each kind of clock (docs/sla.md):

    first_contact_within     routed → first call, email or meeting logged on the contact
                             (a rejection also stops it: the lead needs no contact any more)
    accept_within            routed → accepted or rejected
    follow_up_within         accepted → first call, email or meeting after the acceptance
    rejection_reason_within  rejected → a reason is recorded (closedloop asks for it on rejection)

A clock whose handoff is recycled (the lead left the sales-ready stage) is cancelled. Terms for
other stages than the handed-off one, and monthly volumes, are not clocks: the SLA report
measures volumes.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, Min, OuterRef
from django.utils import timezone

from closedloop.agreement.selectors import AgreementTerms, agreement_terms_active, agreement_terms_get
from closedloop.crm.models import Activity
from closedloop.handoff.models import Handoff, HandoffStatus
from closedloop.notifications.services import notify
from closedloop.sla.business_time import Calendar, business_duration, deadline_for
from closedloop.sla.calendar import calendar_get
from closedloop.sla.models import ClockStatus, SlaClock

STARTS_ON_ROUTE = ("first_contact_within", "accept_within")
CONTACT_KINDS = (Activity.Kind.CALL, Activity.Kind.EMAIL, Activity.Kind.MEETING)
# Owners hear about a clock this long (business time) before it runs out.
WARN_BEFORE = timedelta(hours=1)


def _terms(handoff: Handoff) -> AgreementTerms | None:
    """The terms the lead was handed off under (usually the active ones, cached)."""
    active = agreement_terms_active()
    if handoff.agreement_version_id is None or (active and active.version_id == handoff.agreement_version_id):
        return active
    from closedloop.agreement.models import AgreementVersion

    version = AgreementVersion.objects.filter(pk=handoff.agreement_version_id).first()
    return agreement_terms_get(version=version) if version is not None else active


def _start(handoff: Handoff, kinds: tuple[str, ...], at: datetime, calendar: Calendar) -> list[SlaClock]:
    terms = _terms(handoff)
    if terms is None:
        return []
    started = []
    for term in terms.sla_terms_for(stage=handoff.stage):
        if term.kind not in kinds:
            continue
        try:
            with transaction.atomic():
                clock = SlaClock.objects.create(
                    contact_id=handoff.contact_id,
                    handoff=handoff,
                    agreement_version_id=terms.version_id,
                    kind=term.kind,
                    amount=term.amount,
                    unit=term.unit,
                    description=term.description,
                    owner_id=handoff.routed_to_id,
                    owner_team=term.owner_team,
                    started_at=at,
                    due_at=deadline_for(at, term.amount, term.unit, calendar),
                )
        except IntegrityError:
            continue  # started already (a retried call)
        started.append(clock)
    return started


def sla_clocks_start(*, handoff: Handoff) -> list[SlaClock]:
    """Start the clocks that run from routing (first contact, accept). Idempotent."""
    return _start(handoff, STARTS_ON_ROUTE, handoff.routed_at, calendar_get())


def _stop(clock: SlaClock, at: datetime, reason: str, calendar: Calendar) -> None:
    clock.stopped_at = max(at, clock.started_at)
    clock.stop_reason = reason[:200]
    clock.elapsed_business_seconds = int(
        business_duration(clock.started_at, clock.stopped_at, calendar).total_seconds()
    )
    if clock.stopped_at > clock.due_at:
        clock.status = ClockStatus.BREACHED
        clock.breached_at = clock.breached_at or clock.due_at
    else:
        clock.status = ClockStatus.MET
    clock.save(
        update_fields=["stopped_at", "stop_reason", "elapsed_business_seconds", "status", "breached_at"]
    )


def _cancel(clock: SlaClock, at: datetime, reason: str) -> None:
    clock.stopped_at = max(at, clock.started_at)
    clock.stop_reason = reason[:200]
    if clock.status == ClockStatus.RUNNING:
        clock.status = ClockStatus.CANCELLED
    clock.save(update_fields=["stopped_at", "stop_reason", "status"])


def sla_clocks_on_decision(*, handoff: Handoff) -> None:
    """Called by handoff accept/reject in their transaction: stop what the decision settles and
    start what it begins."""
    calendar = calendar_get()
    at = handoff.decided_at or timezone.now()
    running = SlaClock.objects.select_for_update(of=("self",)).filter(
        handoff=handoff, stopped_at__isnull=True
    )
    if handoff.status == HandoffStatus.ACCEPTED:
        for clock in running.filter(kind="accept_within"):
            _stop(clock, at, "accepted", calendar)
        _start(handoff, ("follow_up_within",), at, calendar)
    elif handoff.status == HandoffStatus.REJECTED:
        for clock in running.filter(kind__in=("accept_within", "first_contact_within")):
            _stop(clock, at, f"rejected: {handoff.reason_code}", calendar)
        for clock in _start(handoff, ("rejection_reason_within",), at, calendar):
            if handoff.reason_code:
                _stop(clock, at, f"reason given: {handoff.reason_code}", calendar)


@dataclass
class CheckResult:
    started: int = 0
    stopped: int = 0
    cancelled: int = 0
    breached: list[SlaClock] = field(default_factory=list)
    warned: int = 0


@transaction.atomic
def sla_clocks_check(*, now: datetime | None = None) -> CheckResult:
    """The periodic pass (`closedloop sla check`, run every few minutes): stop clocks whose work was
    logged as an activity, cancel clocks of recycled handoffs, start missing clocks of open handoffs,
    then mark and announce breaches and clocks about to run out. Safe to run as often as wanted."""
    now = now or timezone.now()
    calendar = calendar_get()
    result = CheckResult()

    first_activity = (
        Activity.objects.filter(
            contact=OuterRef("contact"), kind__in=CONTACT_KINDS, at__gte=OuterRef("started_at")
        )
        .values("contact")
        .annotate(first=Min("at"))
        .values("first")
    )
    waiting_for_contact = SlaClock.objects.select_for_update(of=("self",)).filter(
        stopped_at__isnull=True, kind__in=("first_contact_within", "follow_up_within")
    )
    for clock in waiting_for_contact.annotate(contacted_at=first_activity).filter(
        contacted_at__isnull=False, contacted_at__lte=now
    ):
        _stop(clock, clock.contacted_at, "first contact logged", calendar)  # type: ignore[attr-defined]
        result.stopped += 1

    for clock in SlaClock.objects.select_for_update(of=("self",)).filter(
        stopped_at__isnull=True, handoff__status=HandoffStatus.RECYCLED
    ):
        _cancel(clock, clock.handoff.decided_at or now, "lead recycled before sales decided")  # type: ignore[union-attr]
        result.cancelled += 1

    # "No lead is left without a running clock": open handoffs missing theirs get them now.
    has_clock = SlaClock.objects.filter(handoff=OuterRef("pk"), kind__in=STARTS_ON_ROUTE)
    for handoff in Handoff.objects.filter(status=HandoffStatus.PENDING).exclude(Exists(has_clock)):
        result.started += len(_start(handoff, STARTS_ON_ROUTE, handoff.routed_at, calendar))

    overdue = SlaClock.objects.select_for_update(of=("self",)).filter(
        stopped_at__isnull=True, status=ClockStatus.RUNNING, due_at__lte=now
    )
    for clock in overdue.select_related("owner", "owner__manager", "contact"):
        clock.status = ClockStatus.BREACHED
        clock.breached_at = clock.due_at
        clock.save(update_fields=["status", "breached_at"])
        result.breached.append(clock)
        _announce_breach(clock)

    soon = SlaClock.objects.filter(
        stopped_at__isnull=True, status=ClockStatus.RUNNING, due_at__gt=now
    ).select_related("owner", "contact")
    for clock in soon:
        if business_duration(now, clock.due_at, calendar) <= WARN_BEFORE:
            result.warned += len(
                notify(
                    [clock.owner],
                    kind="sla_due_soon",
                    title=f"Due soon: {_what(clock)} for {clock.contact}",
                    body=f"{clock.description or _what(clock)} Due {timezone.localtime(clock.due_at):%a %d %b %H:%M}.",
                    link=f"/contacts/{clock.contact_id}/",
                    dedupe_key=f"sla-due-soon:{clock.pk}",
                )
            )
    return result


def _what(clock: SlaClock) -> str:
    from closedloop.agreement.models import SlaKind, SlaUnit

    kind = dict(SlaKind.choices).get(clock.kind, clock.kind)
    unit = dict(SlaUnit.choices).get(clock.unit, clock.unit)
    return f"{kind.lower()} {clock.amount} {unit}"


def _announce_breach(clock: SlaClock) -> None:
    owner = clock.owner
    manager = owner.manager if owner is not None else None
    who = owner.display_name if owner is not None else "nobody"
    notify(
        [owner, manager],
        kind="sla_breach",
        title=f"SLA breached: {_what(clock)} for {clock.contact}",
        body=(
            f"{clock.description or 'The agreement sets this clock.'} The lead was routed to {who} on "
            f"{timezone.localtime(clock.started_at):%a %d %b %H:%M}; it was due "
            f"{timezone.localtime(clock.due_at):%a %d %b %H:%M}."
        ),
        link=f"/contacts/{clock.contact_id}/",
        dedupe_key=f"sla-breach:{clock.pk}",
    )
