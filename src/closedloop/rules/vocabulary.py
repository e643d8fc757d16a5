"""The vocabulary of the rule language: every field a rule may name, with its type and meaning.

The list is deliberately short. A field belongs here only if the stage engine can compute it for
every contact, so that a definition both teams sign means the same thing for everyone. Event counts
are a family of fields, `<event>_<N>d` (events in the last N days) and `<event>_total` (all time).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

type FieldType = Literal["int", "float", "string", "bool", "list"]

MAX_WINDOW_DAYS = 365


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of the vocabulary.

    `name` is the canonical name: the key in the facts a rule is evaluated on and the SQL column
    name. `event` and `window_days` are set for event counts (`window_days` 0 means all time).
    `default` is the value a missing fact takes; only event counts have one (no events is 0 events).
    """

    name: str
    type: FieldType
    description: str
    label: str = ""
    group: str = ""
    event: str | None = None
    window_days: int | None = None
    default: int | float | str | bool | None = None


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    singular: str
    plural: str
    description: str


def _field(name: str, type_: FieldType, group: str, description: str) -> tuple[str, FieldSpec]:
    return name, FieldSpec(name, type_, description, label=name.replace("_", " "), group=group)


FIELDS: dict[str, FieldSpec] = dict(
    [
        _field(
            "persona", "string", "contact", "Key of the buyer persona the contact matches, e.g. ops_manager."
        ),
        _field("title", "string", "contact", "Job title as entered, e.g. Head of Operations."),
        _field("country", "string", "contact", "Country of the contact as an ISO 3166 code, e.g. DE."),
        _field(
            "lifecycle_stage",
            "string",
            "contact",
            "The contact's current funnel stage: visitor, iql, mql, sql, opportunity, customer or churned.",
        ),
        _field("lead_score", "float", "contact", "Points from the agreement's lead-scoring model."),
        _field(
            "email_domain", "string", "contact", "Domain of the contact's email address, e.g. example.com."
        ),
        _field("created_days_ago", "int", "contact", "Whole days since the contact was created."),
        _field("company_size", "int", "account", "Number of employees of the contact's account."),
        _field("industry", "string", "account", "Industry of the contact's account, e.g. logistics."),
        _field(
            "annual_revenue", "float", "account", "Annual revenue of the account, in the workspace currency."
        ),
        _field("campaign", "string", "first touch", "The campaign of the contact's first touch."),
        _field(
            "channel",
            "string",
            "first touch",
            "The channel of the contact's first touch, e.g. paid_search, organic, email, referral.",
        ),
    ]
)

# Other spellings people reach for; a rule may use either, the canonical name is what it means.
ALIASES: dict[str, str] = {"score": "lead_score"}

EVENT_TYPES: dict[str, EventType] = {
    e.name: e
    for e in (
        EventType("ad_click", "ad click", "ad clicks", "Clicks on a paid ad."),
        EventType("page_view", "page view", "page views", "Views of a tracked page."),
        EventType("call", "call", "calls", "Phone calls, e.g. to a call-tracking number."),
        EventType("form_submit", "form submission", "form submissions", "Submitted forms."),
        EventType("email_open", "email open", "email opens", "Opened marketing emails."),
        EventType("email_click", "email click", "email clicks", "Clicked links in marketing emails."),
        EventType(
            "content_download",
            "content download",
            "content downloads",
            "Downloaded content (ebook, whitepaper).",
        ),
        EventType("webinar_attended", "webinar attended", "webinars attended", "Webinars attended."),
        EventType("meeting_booked", "meeting booked", "meetings booked", "Meetings booked with sales."),
    )
}

EVENT_ALIASES: dict[str, str] = {"downloads": "content_download"}

_EVENT_FIELD = re.compile(r"^(?P<event>[a-z][a-z_]*?)_(?:(?P<days>\d+)d|(?P<total>total))$")


def event_field_name(event: str, window_days: int) -> str:
    """The canonical field name counting `event` over `window_days` (0: all time)."""
    return f"{event}_total" if window_days == 0 else f"{event}_{window_days}d"


def _event_parts(name: str) -> tuple[str, int] | None:
    """(canonical event, window days) for a name shaped like an event count, in range or not."""
    match = _EVENT_FIELD.match(name)
    if match is None:
        return None
    event = EVENT_ALIASES.get(match["event"], match["event"])
    if event not in EVENT_TYPES:
        return None
    if match["total"]:
        return event, 0
    days = match["days"]
    if days.startswith("0") and days != "0":
        return None  # "downloads_030d" is not a spelling we want to store in signed agreements
    return event, int(days)


def field_spec(name: str) -> FieldSpec | None:
    """The FieldSpec a name refers to, resolving aliases and event-count patterns; None if unknown."""
    spec = FIELDS.get(name) or FIELDS.get(ALIASES.get(name, ""))
    if spec is not None:
        return spec
    parts = _event_parts(name)
    if parts is None:
        return None
    event, days = parts
    if days > MAX_WINDOW_DAYS or (days == 0 and not name.endswith("_total")):
        return None
    kind = EVENT_TYPES[event]
    when = "ever" if days == 0 else ("in the last day" if days == 1 else f"in the last {days} days")
    canonical = event_field_name(event, days)
    return FieldSpec(
        canonical,
        "int",
        f"Number of {kind.plural} {when}.",
        label=canonical.replace("_", " "),
        group="events",
        event=event,
        window_days=days,
        default=0,
    )


def window_problem(name: str) -> str | None:
    """Why an event-count name is out of range (e.g. downloads_0d, downloads_999d), else None."""
    parts = _event_parts(name)
    if parts is None or name.endswith("_total"):
        return None
    _, days = parts
    if 1 <= days <= MAX_WINDOW_DAYS:
        return None
    return f"the window of {name} is {days} days; it must be between 1 and {MAX_WINDOW_DAYS}"


def field_suggestions(name: str, limit: int = 3) -> list[str]:
    """Known names close to a misspelt one, best first (for "did you mean")."""
    candidates = [*FIELDS, *ALIASES]
    match = re.search(r"_(\d+)d?$|_total$|_tota?l?$", name)
    suffixes = ["total"]
    if match and match.group(1) and 1 <= int(match.group(1)) <= MAX_WINDOW_DAYS:
        suffixes.append(f"{int(match.group(1))}d")
    for event in [*EVENT_TYPES, *EVENT_ALIASES]:
        candidates += [f"{event}_{suffix}" for suffix in suffixes]
    return difflib.get_close_matches(name, candidates, n=limit, cutoff=0.6)


def vocabulary_rows() -> list[FieldSpec]:
    """Every static field plus one example event count per event type, for documentation pages."""
    rows = list(FIELDS.values())
    for event in EVENT_TYPES:
        spec = field_spec(f"{event}_30d")
        assert spec is not None
        rows.append(spec)
    return rows
