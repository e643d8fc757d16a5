"""Writes to the audit log. Other apps' services call `audit_record` inside their own transaction,
so the entry is stored exactly when the change is."""

import json
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from closedloop.audit.models import AuditEntry


def _jsonable(value: Any) -> Any:
    # Dates, decimals and UUIDs in a change set are stored as the strings Django's encoder makes.
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None,
    summary: str,
    changes: dict[str, Any] | None = None,
    at: datetime | None = None,
    object_type: str = "",
    object_repr: str = "",
) -> AuditEntry:
    """Record that `actor` (a user, or None for the system) did `action` to `obj`. An action on no
    stored object (a CSV export) passes obj=None and names what it acted on in `object_type` and
    `object_repr`."""
    is_user = actor is not None and getattr(actor, "pk", None) is not None
    name = ""
    if is_user:
        name = getattr(actor, "display_name", "") or str(actor)
    return AuditEntry.objects.create(
        actor=actor if is_user else None,
        actor_name=name[:150],
        action=action[:80],
        object_type=obj._meta.label_lower if obj is not None else object_type[:80],
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=(object_repr or (str(obj) if obj is not None else ""))[:200],
        summary=summary[:500],
        changes=_jsonable(changes or {}),
        at=at or timezone.now(),
    )
