"""Handoff writes: route a sales-ready lead to an owner, accept it, reject it back to nurture.
Every function is keyword-only, runs in one transaction and records an audit entry."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.accounts.roles import Permission, Role
from closedloop.agreement.selectors import agreement_terms_active
from closedloop.audit.services import audit_record
from closedloop.crm.lifecycle import STAGE_ORDER, Stage
from closedloop.crm.models import Contact, StageTransition
from closedloop.crm.services import contact_change_stage
from closedloop.handoff.models import Handoff, HandoffStatus, RejectionReason, RepAvailability, RoutingRule
from closedloop.handoff.routing import route_decide
from closedloop.notifications.services import notify
from closedloop.rules import validate
from closedloop.sla.services import sla_clocks_on_decision, sla_clocks_start


def handoff_stages() -> tuple[str, str, int | None]:
    """(sales-ready stage, nurture stage, active agreement version id). Nurture is the stage just
    before sales-ready in the agreement's order: MQL by default."""
    terms = agreement_terms_active()
    if terms is None:
        return Stage.SQL, Stage.MQL, None
    order = list(terms.stage_order) or list(STAGE_ORDER)
    ready = terms.sales_ready_stage
    index = order.index(ready) if ready in order else 0
    nurture = order[index - 1] if index > 0 else Stage.MQL
    return ready, nurture, terms.version_id


@transaction.atomic
def handoff_route(*, contact: Contact, now: datetime | None = None) -> Handoff:
    """Route `contact` to an owner and open a pending handoff. A contact that already has a pending
    handoff keeps it (routing twice is harmless)."""
    now = now or timezone.now()
    contact = (
        Contact.objects.select_for_update(of=("self",))
        .select_related("account", "source_campaign")
        .get(pk=contact.pk)
    )
    open_handoff = Handoff.objects.filter(contact=contact, status=HandoffStatus.PENDING).first()
    if open_handoff is not None:
        return open_handoff
    decision = route_decide(contact, now=now)
    if decision is None:
        # "No lead is left without an owner": refuse loudly rather than open an ownerless handoff.
        raise ValidationError(
            {"routed_to": "no sales rep is available and there is no active head of sales to fall back to"}
        )
    _, _, version_id = handoff_stages()
    handoff = Handoff.objects.create(
        contact=contact,
        stage=contact.lifecycle_stage,
        routed_to=decision.rep,
        routed_at=now,
        routing_rule=decision.rule,
        routing_reason=decision.reason,
        agreement_version_id=version_id,
    )
    previous_owner = contact.owner_id
    contact.owner = decision.rep
    contact.save(update_fields=["owner", "updated_at"])
    clocks = sla_clocks_start(handoff=handoff)
    due = min((c.due_at for c in clocks), default=None)
    notify(
        [decision.rep],
        kind="lead_routed",
        title=f"New lead for you: {contact}",
        body=decision.reason + (f" First clock due {timezone.localtime(due):%a %d %b %H:%M}." if due else ""),
        link=f"/contacts/{contact.pk}/",
        dedupe_key=f"handoff-routed:{handoff.pk}",
    )
    audit_record(
        actor=None,
        action="handoff.route",
        obj=handoff,
        summary=f"Routed {contact} to {decision.rep.display_name}: {decision.reason}",
        changes={"owner": [previous_owner, decision.rep.pk], "routing_reason": decision.reason},
        at=now,
    )
    return handoff


def _check_may_decide(handoff: Handoff, by: User) -> None:
    if not by.has_role(Permission.DECIDE_HANDOFFS):
        raise PermissionDenied(
            f"Only sales may accept or reject leads; {by.display_name} is a {by.get_role_display()}."
        )
    if handoff.routed_to_id != by.pk and by.role != Role.HEAD_OF_SALES:
        raise PermissionDenied("Only the rep the lead was routed to, or the head of sales, may decide on it.")
    if handoff.status != HandoffStatus.PENDING:
        raise ValidationError({"status": f"this handoff is already {handoff.get_status_display().lower()}"})


@transaction.atomic
def handoff_accept(*, handoff: Handoff, by: User, now: datetime | None = None) -> Handoff:
    now = now or timezone.now()
    handoff = Handoff.objects.select_for_update().select_related("contact").get(pk=handoff.pk)
    _check_may_decide(handoff, by)
    handoff.status = HandoffStatus.ACCEPTED
    handoff.decided_at = now
    handoff.decided_by = by
    handoff.save(update_fields=["status", "decided_at", "decided_by"])
    sla_clocks_on_decision(handoff=handoff)
    audit_record(
        actor=by, action="handoff.accept", obj=handoff, summary=f"Accepted {handoff.contact}", at=now
    )
    return handoff


@transaction.atomic
def handoff_reject(
    *, handoff: Handoff, reason_code: str, comment: str = "", by: User, now: datetime | None = None
) -> Handoff:
    """Reject a lead with a reason code and send it back to nurture; the reason lands in the
    contact's stage history, where marketing reads it."""
    now = now or timezone.now()
    handoff = Handoff.objects.select_for_update().select_related("contact").get(pk=handoff.pk)
    _check_may_decide(handoff, by)
    reason_code = (reason_code or "").strip()
    comment = (comment or "").strip()
    if not reason_code:
        raise ValidationError({"reason_code": "give a reason for rejecting the lead"})
    reason = RejectionReason.objects.filter(code=reason_code, active=True).first()
    if reason is None:
        codes = ", ".join(RejectionReason.objects.filter(active=True).values_list("code", flat=True))
        raise ValidationError({"reason_code": f"unknown reason {reason_code!r}; one of {codes}"})
    handoff.status = HandoffStatus.REJECTED
    handoff.decided_at = now
    handoff.decided_by = by
    handoff.reason_code = reason.code
    handoff.comment = comment
    handoff.save(update_fields=["status", "decided_at", "decided_by", "reason_code", "comment"])
    sla_clocks_on_decision(handoff=handoff)
    _, nurture, _ = handoff_stages()
    detail = f"Rejected by sales: {reason.label}" + (f" — {comment}" if comment else "")
    contact_change_stage(
        contact=handoff.contact,
        to_stage=nurture,
        cause=StageTransition.Cause.MANUAL,
        at=now,
        detail=detail[:500],
        by=by,
    )
    audit_record(
        actor=by,
        action="handoff.reject",
        obj=handoff,
        summary=f"Rejected {handoff.contact}: {reason.label}",
        changes={"reason_code": reason.code, "comment": comment, "stage": [handoff.stage, nurture]},
        at=now,
    )
    return handoff


def handoffs_route_pending(*, now: datetime | None = None) -> list[Handoff]:
    """Route every contact at the sales-ready stage that has no open handoff. Pending handoffs whose
    contact fell back before the sales-ready stage are closed as recycled first. Each contact is
    its own transaction, so one failure does not undo the others."""
    now = now or timezone.now()
    ready, _, _ = handoff_stages()
    with transaction.atomic():
        recycled = Handoff.objects.filter(status=HandoffStatus.PENDING).exclude(
            contact__lifecycle_stage=ready
        )
        recycled = recycled.filter(contact__lifecycle_stage__in=_stages_before(ready))
        for handoff in recycled.select_for_update():
            handoff.status = HandoffStatus.RECYCLED
            handoff.decided_at = now
            handoff.save(update_fields=["status", "decided_at"])
            audit_record(
                actor=None,
                action="handoff.recycle",
                obj=handoff,
                summary="Closed: the contact left the sales-ready stage before sales decided",
                at=now,
            )
    # An accepted handoff counts as open until the contact enters the sales-ready stage again.
    entered_again = StageTransition.objects.filter(
        contact=OuterRef("contact"), to_stage=ready, at__gt=OuterRef("routed_at")
    )
    open_handoffs = Handoff.objects.filter(contact=OuterRef("pk")).filter(
        Q(status=HandoffStatus.PENDING)
        | Q(status=HandoffStatus.ACCEPTED, stage=ready) & ~Exists(entered_again)
    )
    contacts = Contact.objects.filter(lifecycle_stage=ready).exclude(Exists(open_handoffs)).order_by("id")
    return [handoff_route(contact=c, now=now) for c in contacts]


def _stages_before(ready: str) -> list[str]:
    terms = agreement_terms_active()
    order = list(terms.stage_order) if terms else list(STAGE_ORDER)
    return order[: order.index(ready)] if ready in order else []


@transaction.atomic
def routing_rule_save(
    *,
    name: str,
    condition: str,
    priority: int = 100,
    target_user: User | None = None,
    target_team_id: int | None = None,
    active: bool = True,
    by: User | None = None,
    rule: RoutingRule | None = None,
) -> RoutingRule:
    """Create or update a routing rule; the condition must be valid in the rule language."""
    errors = validate(condition)
    if errors:
        raise ValidationError({"condition": str(errors[0])})
    if target_user is None and target_team_id is None:
        raise ValidationError({"target_user": "route the rule to a rep or a team"})
    rule = rule or RoutingRule()
    rule.name, rule.condition, rule.priority, rule.active = name, condition, priority, active
    rule.target_user, rule.target_team_id = target_user, target_team_id
    rule.save()
    audit_record(actor=by, action="handoff.routing_rule_save", obj=rule, summary=f"Saved routing rule {name}")
    return rule


@transaction.atomic
def rep_availability_set(
    *,
    user: User,
    max_open_handoffs: int | None = None,
    out_of_office_until: datetime | None = None,
    by: User | None = None,
) -> RepAvailability:
    availability, _ = RepAvailability.objects.update_or_create(
        user=user,
        defaults={"max_open_handoffs": max_open_handoffs, "out_of_office_until": out_of_office_until},
    )
    audit_record(
        actor=by,
        action="handoff.availability_set",
        obj=availability,
        summary=f"Capacity {max_open_handoffs}, out of office until {out_of_office_until}",
    )
    return availability
