"""Reads of the audit log."""

from datetime import date

from django.db import models
from django.db.models import QuerySet

from closedloop.audit.models import AuditEntry


def audit_entry_list(
    *,
    obj: models.Model | None = None,
    object_type: str = "",
    action_prefix: str = "",
    actor_id: int | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEntry]:
    """Newest first; narrowed to one object, one kind of object, one family of actions, one actor,
    or the days from `since` to `until` (both included, in the server's time zone)."""
    entries = AuditEntry.objects.select_related("actor")
    if obj is not None:
        entries = entries.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    if object_type:
        entries = entries.filter(object_type=object_type)
    if action_prefix:
        entries = entries.filter(action__startswith=action_prefix)
    if actor_id is not None:
        entries = entries.filter(actor_id=actor_id)
    if since is not None:
        entries = entries.filter(at__date__gte=since)
    if until is not None:
        entries = entries.filter(at__date__lte=until)
    return entries.order_by("-at", "-id")


def audit_action_prefixes() -> list[str]:
    """The apps that have written entries ("agreement", …), for the log page's filter."""
    actions = AuditEntry.objects.values_list("action", flat=True).distinct()
    return sorted({a.split(".", 1)[0] for a in actions})
