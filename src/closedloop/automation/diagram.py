"""The builder's picture of a flow: steps in layers (a step sits one row below the furthest step
that leads to it), each with a one-line summary, where it goes next and how many contacts are
there. Rendered as HTML boxes by the template; no drawing library."""

from dataclasses import dataclass, field
from typing import Any

from closedloop.automation.workflows import Flow, Step, step_order

TYPE_LABELS = {
    "send_email": "Send email",
    "wait": "Wait",
    "branch": "Branch",
    "update_stage": "Update stage",
    "update_field": "Update field",
    "add_to_segment": "Add to segment",
    "remove_from_segment": "Remove from segment",
    "notify": "Notify",
    "webhook": "Webhook",
    "end": "End",
}


@dataclass
class Box:
    id: str
    type: str
    label: str
    summary: str
    exits: list[tuple[str, str]]  # (label, target id or "end")
    waiting: int = 0
    finished: int = 0
    email: dict[str, int] = field(default_factory=dict)


def condition_text(condition: dict[str, Any]) -> str:
    kind = next(k for k in condition if k != "days")
    value = condition[kind]
    if kind in ("opened", "clicked"):
        names = value if isinstance(value, list) else [value]
        return f"{kind} {' or '.join(names)}"
    if kind == "downloaded":
        return f"downloaded {value}"
    if kind == "visited":
        return f"visited a page with {value!r} in the last {condition.get('days', 30)} days"
    if kind == "rule":
        return str(value)
    if kind == "not":
        return f"not ({condition_text(value)})"
    joiner = " and " if kind == "all" else " or "
    return joiner.join(f"({condition_text(c)})" for c in value)


def _summary(step: Step) -> str:
    spec = step.spec
    if step.type == "send_email":
        return f"“{spec['subject']}” · topic {spec.get('topic', 'marketing')}"
    if step.type == "wait":
        text = f"for {spec['duration']}" if "duration" in spec else f"until {spec['until']}"
        return text + (f", or until {condition_text(spec['or_until'])}" if "or_until" in spec else "")
    if step.type == "branch":
        return f"if {condition_text(spec['condition'])}"
    if step.type == "update_stage":
        return f"move to {spec['stage'].upper()}"
    if step.type == "update_field":
        return f"set {spec['field']} = {spec['value']!r}"
    if step.type in ("add_to_segment", "remove_from_segment"):
        return spec["segment"]
    if step.type == "notify":
        to = spec["to"] if isinstance(spec["to"], list) else [spec["to"]]
        return f"{', '.join(to)}: {spec['title']}"
    if step.type == "webhook":
        return spec["url"]
    return ""


def _exits(step: Step) -> list[tuple[str, str]]:
    if step.type == "branch":
        then, otherwise = step.branches
        return [("yes", then or "end"), ("no", otherwise or "end")]
    if step.type == "end":
        return []
    return [("then", step.next or "end")]


def flow_layers(
    flow: Flow,
    *,
    counts: dict[str, dict[str, int]] | None = None,
    emails: dict[str, dict[str, int]] | None = None,
) -> list[list[Box]]:
    counts, emails = counts or {}, emails or {}
    order = step_order(flow)
    depth = {flow.start: 0}
    # Steps are acyclic (checked on save), so relaxing in reading order settles in a few passes.
    for _ in range(len(order)):
        changed = False
        for sid in order:
            if sid not in depth:
                continue
            step = flow.steps[sid]
            for target in (step.next, *step.branches):
                if target and depth.get(target, -1) < depth[sid] + 1:
                    depth[target] = depth[sid] + 1
                    changed = True
        if not changed:
            break
    for sid in order:
        depth.setdefault(sid, max(depth.values(), default=0) + 1)  # unreachable steps go last
    layers: list[list[Box]] = [[] for _ in range(max(depth.values()) + 1)]
    for sid in order:
        step = flow.steps[sid]
        here = counts.get(sid, {})
        layers[depth[sid]].append(
            Box(
                id=sid,
                type=step.type,
                label=TYPE_LABELS[step.type],
                summary=_summary(step),
                exits=_exits(step),
                waiting=here.get("active", 0),
                finished=sum(n for status, n in here.items() if status != "active"),
                email=emails.get(sid, {}),
            )
        )
    return layers
