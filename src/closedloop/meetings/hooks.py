"""Agenda-pack sources owned by capabilities that are still being built. Each returns [] until it
is wired to its app's selector; the pack shows an empty section meanwhile."""

from datetime import datetime
from typing import Any


def sla_breaches_for_pack(*, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """SLA breaches in [start, end): [{"title": ..., "owner": ..., "at": iso}]. To be wired to the
    SLA app's selector."""
    return []


def content_gaps_for_pack(*, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Content gaps (stages or personas without assets sales uses): [{"title": ..., "detail": ...}].
    To be wired to the content app's selector."""
    return []
