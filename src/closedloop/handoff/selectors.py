"""Handoff reads: a rep's lead queue with the context sales needs, and marketing's view of rejections."""

from datetime import datetime

from django.db.models import Count, Prefetch, QuerySet

from closedloop.accounts.models import User
from closedloop.accounts.roles import Role
from closedloop.agreement.selectors import agreement_terms_active
from closedloop.crm.lifecycle import Stage
from closedloop.crm.models import StageTransition
from closedloop.handoff.models import Handoff, HandoffStatus, RejectionReason
from closedloop.sla.models import SlaClock
from closedloop.tracking.models import Event

TOUCHPOINTS_SHOWN = 5


def lead_queue_for(
    *, rep: User | None, status: str = HandoffStatus.PENDING, ready_stage: str | None = None
) -> QuerySet[Handoff]:
    """Handoffs routed to `rep` (everyone's when None), oldest first so the longest-waiting lead is on
    top, with contact, company, first-touch campaign and landing page, the last five touchpoints and
    the stage change that made the lead sales-ready — a fixed number of queries for any length."""
    if ready_stage is None:
        terms = agreement_terms_active()
        ready_stage = terms.sales_ready_stage if terms else Stage.SQL
    handoffs = Handoff.objects.select_related(
        "contact__account",
        "contact__source_campaign__landing_page",
        "routed_to",
        "decided_by",
        "routing_rule",
    ).prefetch_related(
        # Sliced prefetches run as one windowed query, not one per lead.
        Prefetch(
            "contact__events",
            queryset=Event.objects.select_related("campaign").order_by("-ts", "-id")[:TOUCHPOINTS_SHOWN],
            to_attr="recent_touchpoints",
        ),
        Prefetch(
            "contact__stage_transitions",
            queryset=StageTransition.objects.filter(to_stage=ready_stage).order_by("-at", "-id")[:1],
            to_attr="ready_transitions",
        ),
        Prefetch("sla_clocks", queryset=SlaClock.objects.select_related("owner").order_by("due_at")),
    )
    if rep is not None:
        handoffs = handoffs.filter(routed_to=rep)
    if status:
        handoffs = handoffs.filter(status=status)
    return handoffs.order_by("routed_at", "id")


def handoff_get(*, handoff_id: int) -> Handoff | None:
    return Handoff.objects.select_related("contact", "routed_to").filter(pk=handoff_id).first()


def sales_reps_list() -> QuerySet[User]:
    return User.objects.filter(role__in=[Role.SALES_REP, Role.HEAD_OF_SALES], is_active=True).order_by(
        "first_name", "last_name", "username"
    )


def rejection_reasons_active() -> QuerySet[RejectionReason]:
    return RejectionReason.objects.filter(active=True)


def handoff_rejected_list(*, start: datetime, end: datetime) -> QuerySet[Handoff]:
    """Rejected handoffs decided in [start, end), newest first."""
    return (
        Handoff.objects.filter(status=HandoffStatus.REJECTED, decided_at__gte=start, decided_at__lt=end)
        .select_related("contact__account", "contact__source_campaign", "routed_to", "decided_by")
        .order_by("-decided_at", "-id")
    )


def handoff_rejections_summary(*, start: datetime, end: datetime) -> list[dict[str, object]]:
    """How many leads sales rejected in [start, end), per reason code, most frequent first."""
    labels = dict(RejectionReason.objects.values_list("code", "label"))
    rows = (
        Handoff.objects.filter(status=HandoffStatus.REJECTED, decided_at__gte=start, decided_at__lt=end)
        .values("reason_code")
        .annotate(count=Count("id"))
        .order_by("-count", "reason_code")
    )
    return [
        {
            "reason_code": r["reason_code"],
            "label": labels.get(r["reason_code"], r["reason_code"]),
            "count": r["count"],
        }
        for r in rows
    ]
