"""Agenda-pack sources owned by other capabilities: SLA breaches (sla app) and content reps
looked for and did not find (content app)."""

from datetime import datetime
from typing import Any

from django.utils import timezone


def sla_breaches_for_pack(*, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """SLA breaches in [start, end): [{"title": ..., "owner": ..., "at": iso}]."""
    from closedloop.sla.selectors import KIND_LABELS, breaches_between

    return [
        {
            "title": (
                f"{KIND_LABELS.get(c.kind, c.kind)} {c.amount} {c.unit.replace('_', ' ')}: {c.contact}"
                f" — due {timezone.localtime(c.due_at):%a %d %b %H:%M}"
            ),
            "owner": c.owner.display_name if c.owner else "",
            "at": c.breached_at.isoformat() if c.breached_at else "",
        }
        for c in breaches_between(start=start, end=end)
    ]


def content_gaps_for_pack(*, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """What reps searched the content library for without a good result in the period."""
    from closedloop.content.selectors.usage import search_gaps

    days = max(1, round((end - start).total_seconds() / 86400))
    return [
        {
            "title": f"Reps searched for “{g['text']}” {g['count']}× without a good result",
            "detail": ", ".join(g["users"]),
        }
        for g in search_gaps(days=days, now=end, limit=10)
    ]
