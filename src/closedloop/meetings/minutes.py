"""Minutes of one occurrence as Markdown (to paste anywhere) and CSV (decisions and action items, one
row each, for a spreadsheet)."""

import csv
import io
from typing import Any

from django.utils import timezone

from closedloop.meetings.models import MeetingOccurrence
from closedloop.meetings.selectors.meetings import action_items_for

CSV_HEADER = ["type", "text", "owner", "due_on", "status", "raised_on"]


def _when(occurrence: MeetingOccurrence) -> str:
    return f"{timezone.localtime(occurrence.starts_at):%Y-%m-%d %H:%M}"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def minutes_markdown(occurrence: MeetingOccurrence) -> str:
    lines = [f"# {occurrence.series.name} — {_when(occurrence)}", ""]
    pack = occurrence.pack or {}
    if pack.get("kpis"):
        lines += [
            "## KPIs",
            "",
            "| metric | this period | previous | change | goal |",
            "|---|---:|---:|---:|---|",
        ]
        for k in pack["kpis"]:
            change = "—" if k["change_percent"] is None else f"{k['change_percent']:+.1f}%"
            goal = "; ".join(f"{g['team']}: {g['sentence']}" for g in k["goals"]) or "—"
            lines.append(
                f"| {k['label']} | {_fmt(k['current'])} | {_fmt(k['previous'])} | {change} | {goal} |"
            )
        lines.append("")
    for title, key in (("Friction", "friction"),):
        if pack.get(key):
            lines += [f"## {title}", "", *[f"- {s}" for s in pack[key]], ""]
    rejections = (pack.get("rejections") or {}).get("by_reason") or []
    if rejections:
        lines += [
            "## Rejected leads by reason",
            "",
            *[f"- {r['label']}: {r['count']}" for r in rejections],
            "",
        ]
    if pack.get("wins"):
        lines += ["## Wins", ""]
        for w in pack["wins"]:
            helped = f" (helped by {', '.join(w['touchpoints'])})" if w["touchpoints"] else ""
            lines.append(f"- {w['deal']}: {_fmt(w['amount'])} — {w['owner']}{helped}")
        lines.append("")
    items = list(occurrence.agenda_items.all())
    if items:
        lines += [
            "## Agenda items",
            "",
            *[f"- {i.title}" + (f": {i.body}" if i.body else "") for i in items],
            "",
        ]
    if occurrence.notes:
        lines += ["## Notes", "", occurrence.notes, ""]
    lines += ["## Decisions", ""]
    lines += [f"- {d.text}" for d in occurrence.decisions.all()] or ["- none"]
    lines += ["", "## Action items", ""]
    actions = list(action_items_for(occurrence=occurrence))
    for a in actions:
        box = "x" if a.done_at else " "
        carried = " (carried over)" if a.raised_in_id != occurrence.pk else ""
        lines.append(f"- [{box}] {a.title} — {a.owner.display_name}, due {a.due_on}{carried}")
    if not actions:
        lines.append("- none")
    return "\n".join(lines) + "\n"


def minutes_csv(occurrence: MeetingOccurrence) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for d in occurrence.decisions.all():
        writer.writerow(["decision", d.text, "", "", "", _when(occurrence)[:10]])
    for a in action_items_for(occurrence=occurrence):
        raised = a.raised_in.starts_at if a.raised_in else a.created_at
        writer.writerow(
            ["action_item", a.title, a.owner.username, a.due_on.isoformat(), "done" if a.done_at else "open",
             f"{timezone.localtime(raised):%Y-%m-%d}"]
        )  # fmt: skip
    return out.getvalue()
