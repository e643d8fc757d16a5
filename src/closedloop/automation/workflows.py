"""Workflow definitions: the JSON a marketer writes, checked into a Flow the executor runs.

Every error names where it is (`loc`, e.g. ["steps", 2, "duration"]) and which step, so the
builder and the API can point at the line to fix. Nothing here touches the database."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from closedloop.crm.lifecycle import STAGE_ORDER
from closedloop.rules import RuleError, parse
from closedloop.tracking.models import EventType

STEP_TYPES = (
    "send_email",
    "wait",
    "branch",
    "update_stage",
    "update_field",
    "add_to_segment",
    "remove_from_segment",
    "notify",
    "webhook",
    "end",
)
TRIGGER_TYPES = ("stage", "event", "segment", "date", "manual")
REENTRY = ("never", "after_exit")
CONDITION_KINDS = ("opened", "clicked", "downloaded", "visited", "rule", "not", "all", "any")
# Fields a workflow may set on a contact (the CRM's own fields), or any "properties.<key>".
CONTACT_FIELDS = ("first_name", "last_name", "title", "phone", "persona")
STEP_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
SEGMENT_KEY = re.compile(r"^[-a-z0-9_]{1,80}$")
DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_STEPS = 200


@dataclass(frozen=True)
class DefinitionError:
    loc: tuple[str | int, ...]
    msg: str

    def as_dict(self) -> dict[str, Any]:
        return {"loc": ["definition", *self.loc], "msg": self.msg}


class InvalidDefinition(Exception):
    def __init__(self, errors: list[DefinitionError]) -> None:
        super().__init__("; ".join(e.msg for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Step:
    id: str
    type: str
    spec: dict[str, Any]
    next: str | None = None  # None: the workflow ends after this step
    branches: tuple[str | None, str | None] = (None, None)  # branch: then, else


@dataclass(frozen=True)
class Flow:
    trigger: dict[str, Any]
    reentry: str
    goal: dict[str, Any] | None
    start: str
    steps: dict[str, Step] = field(default_factory=dict)


def parse_duration(value: object) -> timedelta | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return timedelta(seconds=value)
    if isinstance(value, str) and (m := DURATION.match(value)):
        return timedelta(seconds=int(m.group(1)) * UNITS[m.group(2)])
    return None


def parse_until(value: object) -> datetime | time | None:
    """An absolute ISO date-time (with offset) or a time of day "HH:MM"."""
    if not isinstance(value, str):
        return None
    if re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        try:
            return time.fromisoformat(value.strip().zfill(5))
        except ValueError:
            return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def flow_parse(definition: object) -> Flow:
    """The checked Flow, or InvalidDefinition listing every problem found."""
    checker = _Checker()
    flow = checker.run(definition)
    if checker.errors or flow is None:
        raise InvalidDefinition(checker.errors or [DefinitionError((), "the definition is empty")])
    return flow


def definition_errors(definition: object) -> list[DefinitionError]:
    try:
        flow_parse(definition)
    except InvalidDefinition as exc:
        return exc.errors
    return []


class _Checker:
    def __init__(self) -> None:
        self.errors: list[DefinitionError] = []

    def err(self, loc: tuple[str | int, ...], msg: str) -> None:
        self.errors.append(DefinitionError(loc, msg))

    def run(self, definition: object) -> Flow | None:
        if not isinstance(definition, dict):
            self.err((), "the definition must be a JSON object with trigger and steps")
            return None
        unknown = set(definition) - {"trigger", "steps", "goal", "reentry", "start"}
        for key in sorted(unknown):
            self.err((key,), f'unknown key "{key}"; allowed: trigger, steps, goal, reentry, start')
        trigger = self.trigger(definition.get("trigger"))
        reentry = definition.get("reentry", "never")
        if reentry not in REENTRY:
            self.err(("reentry",), f'reentry must be "never" or "after_exit", not {reentry!r}')
        raw_steps = definition.get("steps")
        if not isinstance(raw_steps, list) or not raw_steps:
            self.err(("steps",), "steps must be a non-empty list")
            return None
        if len(raw_steps) > MAX_STEPS:
            self.err(("steps",), f"at most {MAX_STEPS} steps")
            return None
        ids = self.step_ids(raw_steps)
        email_steps = {
            s["id"] for s in raw_steps if isinstance(s, dict) and s.get("type") == "send_email" and "id" in s
        }
        steps: dict[str, Step] = {}
        for index, raw in enumerate(raw_steps):
            following = ids[index + 1] if index + 1 < len(ids) else None
            step = self.step(index, raw, ids, following, email_steps)
            if step is not None:
                steps[step.id] = step
        goal = definition.get("goal")
        if goal is not None:
            self.condition(("goal",), goal, email_steps, "the goal")
        start = definition.get("start", ids[0] if ids else None)
        if start not in steps and not self.errors:
            self.err(("start",), f'start names no step: "{start}"')
        if not self.errors:
            self.cycles(steps, start)
        if self.errors or trigger is None or not isinstance(start, str):
            return None
        return Flow(trigger=trigger, reentry=reentry, goal=goal, start=start, steps=steps)

    def trigger(self, raw: object) -> dict[str, Any] | None:
        loc: tuple[str | int, ...] = ("trigger",)
        if not isinstance(raw, dict):
            self.err(loc, "trigger must be an object with a type")
            return None
        kind = raw.get("type")
        if kind not in TRIGGER_TYPES:
            self.err((*loc, "type"), f"trigger type must be one of {', '.join(TRIGGER_TYPES)}, not {kind!r}")
            return None
        if kind == "stage" and raw.get("stage") not in STAGE_ORDER:
            self.err((*loc, "stage"), f"trigger stage must be one of {', '.join(STAGE_ORDER)}")
        if kind == "event" and raw.get("event") not in EventType.values:
            self.err((*loc, "event"), f"trigger event must be one of {', '.join(EventType.values)}")
        if kind == "segment" and not _is_segment_key(raw.get("segment")):
            self.err(
                (*loc, "segment"), "trigger segment must be a segment key (lower-case letters, digits, -)"
            )
        if kind == "date":
            if not isinstance(parse_until(raw.get("at")), datetime):
                self.err((*loc, "at"), "date trigger needs at: an ISO date-time with offset")
            has_stage, has_segment = "stage" in raw, "segment" in raw
            if has_stage == has_segment:
                self.err(loc, "date trigger needs exactly one audience: stage or segment")
            elif has_stage and raw["stage"] not in STAGE_ORDER:
                self.err((*loc, "stage"), f"stage must be one of {', '.join(STAGE_ORDER)}")
            elif has_segment and not _is_segment_key(raw["segment"]):
                self.err((*loc, "segment"), "segment must be a segment key")
        return raw

    def step_ids(self, raw_steps: list[Any]) -> list[str]:
        ids: list[str] = []
        seen: set[str] = set()
        for index, raw in enumerate(raw_steps):
            sid = raw.get("id") if isinstance(raw, dict) else None
            if not isinstance(sid, str) or not STEP_ID.match(sid):
                self.err(
                    ("steps", index, "id"), f"step {index + 1}: id must be lower-case letters, digits, _ or -"
                )
                sid = f"#{index}"
            elif sid in seen or sid == "end":
                self.err(("steps", index, "id"), f'step "{sid}": id is used twice or reserved')
            seen.add(sid)
            ids.append(sid)
        return ids

    def step(
        self, index: int, raw: object, ids: list[str], following: str | None, email_steps: set[str]
    ) -> Step | None:
        if not isinstance(raw, dict):
            self.err(("steps", index), f"step {index + 1} must be an object")
            return None
        sid = ids[index]
        name = f'step "{sid}"'
        kind = raw.get("type")
        loc: tuple[str | int, ...] = ("steps", index)
        if kind not in STEP_TYPES:
            self.err((*loc, "type"), f"{name}: type must be one of {', '.join(STEP_TYPES)}, not {kind!r}")
            return None

        def need_text(key: str, max_len: int = 10_000) -> None:
            value = raw.get(key)
            if not isinstance(value, str) or not value.strip():
                self.err((*loc, key), f"{name}: {key} is required")
            elif len(value) > max_len:
                self.err((*loc, key), f"{name}: {key} is longer than {max_len} characters")

        def target(key: str) -> str | None:
            value = raw.get(key)
            if value is None or value == "end":
                return None
            if value not in ids:
                self.err((*loc, key), f'{name}: {key} names no step: "{value}"')
            return value if isinstance(value, str) else None

        if kind == "send_email":
            need_text("subject", 300)
            need_text("text")
            if "html" in raw and not isinstance(raw["html"], str):
                self.err((*loc, "html"), f"{name}: html must be text")
            if not _is_segment_key(raw.get("topic", "marketing")):
                self.err((*loc, "topic"), f"{name}: topic must be a topic key")
            for key in ("subject", "text", "html"):
                if isinstance(raw.get(key), str):
                    self.template(loc, name, key, raw[key])
        elif kind == "wait":
            has_duration, has_until = "duration" in raw, "until" in raw
            if has_duration == has_until:
                self.err(loc, f"{name}: a wait needs exactly one of duration (e.g. 3d) or until (a time)")
            elif has_duration and parse_duration(raw["duration"]) is None:
                self.err(
                    (*loc, "duration"), f"{name}: duration {raw['duration']!r} is not like 30m, 4h, 3d or 2w"
                )
            elif has_until and parse_until(raw["until"]) is None:
                self.err((*loc, "until"), f'{name}: until must be an ISO date-time with offset or "HH:MM"')
            if "or_until" in raw:
                self.condition((*loc, "or_until"), raw["or_until"], email_steps, name)
        elif kind == "branch":
            self.condition((*loc, "condition"), raw.get("condition"), email_steps, name)
            if "then" not in raw or "else" not in raw:
                self.err(loc, f'{name}: a branch needs both then and else (a step id or "end")')
            return Step(sid, kind, raw, None, (target("then"), target("else")))
        elif kind == "update_stage":
            if raw.get("stage") not in STAGE_ORDER:
                self.err((*loc, "stage"), f"{name}: stage must be one of {', '.join(STAGE_ORDER)}")
        elif kind == "update_field":
            fld = raw.get("field")
            ok = fld in CONTACT_FIELDS or (
                isinstance(fld, str) and fld.startswith("properties.") and len(fld) > len("properties.")
            )
            if not ok:
                self.err(
                    (*loc, "field"),
                    f"{name}: field must be one of {', '.join(CONTACT_FIELDS)} or properties.<key>",
                )
            value = raw.get("value")
            if not isinstance(value, str | int | float | bool) or value == "":
                self.err((*loc, "value"), f"{name}: value must be a non-empty text, number or yes/no")
        elif kind in ("add_to_segment", "remove_from_segment"):
            if not _is_segment_key(raw.get("segment")):
                self.err((*loc, "segment"), f"{name}: segment must be a segment key")
        elif kind == "notify":
            need_text("title", 200)
            to = raw.get("to")
            targets = [to] if isinstance(to, str) else to
            if not isinstance(targets, list) or not targets:
                self.err((*loc, "to"), f'{name}: to must name who to tell, e.g. "owner" or "team:Sales"')
            else:
                for i, who in enumerate(targets):
                    if not (
                        who == "owner" or (isinstance(who, str) and re.match(r"^(team|role|user):.+", who))
                    ):
                        self.err(
                            (*loc, "to", i),
                            f'{name}: {who!r} is not "owner", "team:<name>", "role:<role>" or "user:<username>"',
                        )
        elif kind == "webhook":
            url = raw.get("url")
            if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url):
                self.err((*loc, "url"), f"{name}: url must be an http or https address")
        if kind == "end":
            return Step(sid, kind, raw, None)
        nxt = target("next") if "next" in raw else following
        return Step(sid, kind, raw, nxt)

    def template(self, loc: tuple[str | int, ...], name: str, key: str, source: str) -> None:
        from closedloop.automation.templating import template_error

        problem = template_error(source)
        if problem:
            self.err((*loc, key), f"{name}: {key} template: {problem}")

    def condition(self, loc: tuple[str | int, ...], raw: object, email_steps: set[str], name: str) -> None:
        if not isinstance(raw, dict) or len(set(raw) - {"days"}) != 1:
            self.err(loc, f"{name}: a condition is an object with one of {', '.join(CONDITION_KINDS)}")
            return
        kind = next(k for k in raw if k != "days")
        value = raw[kind]
        if kind not in CONDITION_KINDS:
            self.err(loc, f"{name}: unknown condition {kind!r}; one of {', '.join(CONDITION_KINDS)}")
        elif kind in ("opened", "clicked"):
            refs = [value] if isinstance(value, str) else value
            if not isinstance(refs, list) or not refs or any(r not in email_steps for r in refs):
                self.err((*loc, kind), f"{name}: {kind} must name send_email steps of this workflow")
        elif kind == "downloaded":
            if not isinstance(value, str) or not value.strip():
                self.err((*loc, kind), f"{name}: downloaded must name a content asset key")
        elif kind == "visited":
            days = raw.get("days", 30)
            if not isinstance(value, str) or not isinstance(days, int) or not 1 <= days <= 365:
                self.err((*loc, kind), f"{name}: visited needs a URL part and days between 1 and 365")
        elif kind == "rule":
            try:
                parse(value)
            except RuleError as exc:
                self.err((*loc, "rule"), f"{name}: rule: {exc}")
        elif kind == "not":
            self.condition((*loc, "not"), value, email_steps, name)
        elif not isinstance(value, list) or not value:
            self.err((*loc, kind), f"{name}: {kind} must be a non-empty list of conditions")
        else:
            for i, part in enumerate(value):
                self.condition((*loc, kind, i), part, email_steps, name)

    def cycles(self, steps: dict[str, Step], start: object) -> None:
        # A loop would enroll a contact forever; nurture flows are finite by design.
        state: dict[str, int] = {}

        def visit(sid: str, path: list[str]) -> None:
            if state.get(sid) == 2:
                return
            if state.get(sid) == 1:
                self.err(("steps",), f'step "{sid}": the flow loops back ({" → ".join([*path, sid])})')
                return
            state[sid] = 1
            step = steps[sid]
            for nxt in (step.next, *step.branches):
                if nxt is not None and nxt in steps:
                    visit(nxt, [*path, sid])
            state[sid] = 2

        for sid in steps:
            visit(sid, [])


def _is_segment_key(value: object) -> bool:
    return isinstance(value, str) and bool(SEGMENT_KEY.match(value))


def step_order(flow: Flow) -> list[str]:
    """Steps in reading order from the start: the diagram's top-to-bottom."""
    seen: list[str] = []
    queue = [flow.start]
    while queue:
        sid = queue.pop(0)
        if sid in seen or sid not in flow.steps:
            continue
        seen.append(sid)
        step = flow.steps[sid]
        queue.extend(n for n in (step.next, *step.branches) if n)
    return seen + [s for s in flow.steps if s not in seen]
