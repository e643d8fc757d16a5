"""The audit log page (admins): who changed what, when; filtered by area and days, and exported
as CSV (the export is itself recorded, as "audit.export")."""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Max, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from closedloop.accounts.access import requires
from closedloop.accounts.roles import Permission
from closedloop.audit import selectors
from closedloop.audit.models import AuditEntry
from closedloop.web.csv_export import csv_response

PER_PAGE = 100
EXPORT_HEADER = ["at", "actor", "action", "object_type", "object_id", "object", "summary", "changes"]


@dataclass(frozen=True)
class LogFilters:
    area: str = ""
    start: date | None = None
    end: date | None = None

    def query(self) -> str:
        pairs = {"area": self.area, "start": self.start or "", "end": self.end or ""}
        return urlencode({k: v for k, v in pairs.items() if v})

    def as_dict(self) -> dict[str, str]:
        return {"area": self.area, "start": str(self.start or ""), "end": str(self.end or "")}


def _filters(request: HttpRequest) -> LogFilters:
    days: dict[str, date | None] = {"start": None, "end": None}
    for key in days:
        raw = request.GET.get(key, "").strip()
        if not raw:
            continue
        try:
            days[key] = date.fromisoformat(raw)
        except ValueError:
            messages.error(request, f"{key}: {raw!r} is not a date (YYYY-MM-DD); ignored.")
    return LogFilters(area=request.GET.get("area", "").strip(), start=days["start"], end=days["end"])


def _entries(filters: LogFilters) -> QuerySet[AuditEntry]:
    return selectors.audit_entry_list(
        action_prefix=f"{filters.area}." if filters.area else "", since=filters.start, until=filters.end
    )


def _show(value: Any) -> str:
    return "—" if value in (None, "") else str(value)


def change_lines(changes: dict[str, Any]) -> list[tuple[str, str]]:
    """A change set as (field, text) lines: [old, new] pairs read "old → new"."""
    lines = []
    for key, value in changes.items():
        if isinstance(value, list) and len(value) == 2 and not isinstance(value[0], list):
            lines.append((key, f"{_show(value[0])} → {_show(value[1])}"))
        elif isinstance(value, list):
            lines.append((key, ", ".join(_show(v) for v in value)))
        else:
            lines.append((key, _show(value)))
    return lines


@requires(Permission.VIEW_AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    page = Paginator(_entries(filters), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [(e, change_lines(e.changes)) for e in page.object_list],
        "filters": filters,
        "query": filters.query(),
        "area": filters.area,
        "areas": selectors.audit_action_prefixes(),
    }
    return render(request, "audit/log.html", context)


def _rows(entries: QuerySet[AuditEntry]) -> Iterator[list[Any]]:
    for e in entries.iterator(chunk_size=2000):
        yield [
            e.at,
            e.actor_name or "system",
            e.action,
            e.object_type,
            e.object_id,
            e.object_repr,
            e.summary,
            json.dumps(e.changes, ensure_ascii=False, sort_keys=True),
        ]


@requires(Permission.VIEW_AUDIT)
def audit_export(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    entries = _entries(filters)
    # The file holds what was recorded before this export; its own entry goes to the next one.
    last_id = entries.aggregate(last=Max("id"))["last"] or 0
    name = f"audit-{filters.area or 'all'}-{filters.start or 'start'}-{filters.end or 'now'}.csv"
    # A streamed response: `requires` is typed for plain responses but passes any through.
    return csv_response(  # type: ignore[return-value]
        filename=name,
        header=EXPORT_HEADER,
        rows=_rows(entries.filter(id__lte=last_id)),
        audit_actor=request.user,
        audit_what="the audit log",
        audit_filters=filters.as_dict(),
        audit_action="audit.export",
    )
