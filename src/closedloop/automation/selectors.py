"""Reads for marketing automation: workflow lists, where contacts are in a flow, outbox health."""

from django.db.models import Count, Q, QuerySet

from closedloop.automation.models import Enrollment, OutboundEmail, OutboxStatus, Suppression, Workflow


def workflow_list(*, include_archived: bool = False) -> QuerySet[Workflow]:
    qs = Workflow.objects.annotate(
        active_count=Count("enrollments", filter=Q(enrollments__status=Enrollment.Status.ACTIVE)),
        total_count=Count("enrollments"),
    ).order_by("-updated_at", "-pk")
    return qs if include_archived else qs.exclude(status=Workflow.Status.ARCHIVED)


def workflow_get(*, workflow_id: int) -> Workflow | None:
    return Workflow.objects.filter(pk=workflow_id).first()


def workflow_step_counts(*, workflow: Workflow) -> dict[str, dict[str, int]]:
    """Per step: contacts waiting there now ("active") and contacts who ended there, by status."""
    counts: dict[str, dict[str, int]] = {}
    rows = (
        Enrollment.objects.filter(workflow=workflow)
        .values("current_step", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        counts.setdefault(row["current_step"] or "", {})[row["status"]] = row["n"]
    return counts


def workflow_email_stats(*, workflow: Workflow) -> dict[str, dict[str, int]]:
    """Per send_email step: queued/sent/bounced/suppressed and opened/clicked/downloaded."""
    stats: dict[str, dict[str, int]] = {}
    rows = (
        OutboundEmail.objects.filter(workflow=workflow)
        .values("step_id")
        .annotate(
            total=Count("pk"),
            sent=Count("pk", filter=Q(status=OutboxStatus.SENT)),
            suppressed=Count("pk", filter=Q(status=OutboxStatus.SUPPRESSED)),
            bounced=Count("pk", filter=Q(status=OutboxStatus.BOUNCED)),
            opened=Count("opened_at"),
            clicked=Count("clicked_at"),
            downloaded=Count("downloaded_at"),
        )
        .order_by()
    )
    for row in rows:
        stats[row.pop("step_id")] = row
    return stats


def outbox_summary() -> dict[str, int]:
    return dict(OutboundEmail.objects.values_list("status").annotate(n=Count("pk")).order_by())


def outbox_recent(*, status: str = "", limit: int = 50) -> QuerySet[OutboundEmail]:
    qs = OutboundEmail.objects.order_by("-created_at", "-pk")
    if status:
        qs = qs.filter(status=status)
    return qs[:limit]


def suppression_list() -> QuerySet[Suppression]:
    return Suppression.objects.order_by("-created_at", "-pk")
