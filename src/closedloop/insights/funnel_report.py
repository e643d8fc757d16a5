"""The funnel page's report: an ordered funnel over stage entries and touchpoint events, with a
breakdown, run by the engine (closedloop.engine.funnel, semantics in docs/funnels.md).

A step is either a funnel stage (the contact's entry into it, from the stage history) or an event
type (a touchpoint). Journeys start at a first-step event inside the period; later steps count up
to the end of the period (or now, for a period still running), and people whose window is still
open then are "in progress", not dropped. The breakdown is a property of the contact: its
first-touch channel or campaign, or its persona.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pyarrow as pa
import pyarrow.compute as pc

from closedloop.agreement.selectors import agreement_terms_get
from closedloop.crm.lifecycle import FUNNEL_STAGES, Stage
from closedloop.engine.funnel import FunnelQuery, FunnelResult, funnel_run
from closedloop.insights import datasets
from closedloop.insights.report_scope import ReportScope, only_contacts
from closedloop.tracking.models import Channel, EventType

BREAKDOWNS: dict[str, str] = {
    "channel": "First-touch channel",
    "campaign": "First-touch campaign",
    "persona": "Persona",
}
NONE_LABEL = "(none)"
MAX_STEPS = 20
MAX_WINDOW_DAYS = 365


class FunnelInputError(ValueError):
    """A funnel definition the page or API cannot run; `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def stage_steps() -> tuple[str, ...]:
    """The funnel stages in the active agreement's order (the default order before one is active)."""
    terms = agreement_terms_get()
    order = terms.stage_order if terms is not None else FUNNEL_STAGES
    return tuple(s for s in order if s != Stage.CHURNED)


def step_choices() -> list[tuple[str, str]]:
    """(value, label) for every step a funnel may use: stages first, then event types."""
    labels = dict(Stage.choices)
    stages = [(s, f"Stage: {labels.get(s, s)}") for s in stage_steps()]
    return stages + [(value, f"Event: {label}") for value, label in EventType.choices]


DEFAULT_STEPS: tuple[str, ...] = ("mql", "sql", "opportunity", "customer")


def funnel_steps_validate(steps: list[str], stages: tuple[str, ...]) -> tuple[str, ...]:
    allowed = set(stages) | set(EventType.values)
    if len(steps) < 2:
        raise FunnelInputError("steps", "choose at least two steps")
    if len(steps) > MAX_STEPS:
        raise FunnelInputError("steps", f"a funnel has at most {MAX_STEPS} steps, got {len(steps)}")
    unknown = [s for s in steps if s not in allowed]
    if unknown:
        raise FunnelInputError("steps", f"unknown step(s): {', '.join(unknown)}")
    if len(set(steps)) != len(steps):
        raise FunnelInputError("steps", "a step may appear only once")
    return tuple(steps)


@dataclass(frozen=True)
class FunnelReport:
    result: FunnelResult
    steps: tuple[str, ...]
    labels: dict[str, str]
    window_days: int
    breakdown: str | None

    def label(self, step: str) -> str:
        return self.labels.get(step, step)

    @property
    def title(self) -> str:
        return " → ".join(self.label(s) for s in self.steps)

    def chart(self, top: int = 6) -> dict[str, object]:
        """Reached per step (total, split into in progress and the rest) and per breakdown value."""
        steps = self.result.steps
        data: dict[str, object] = {
            "labels": [self.label(s.name) for s in steps],
            "reached": [s.reached for s in steps],
            "in_progress": [s.in_progress for s in steps],
            "series": [
                {"label": str(b.value), "reached": [s.reached for s in b.steps]}
                for b in self.result.breakdowns[:top]
            ],
        }
        return data

    def rows(self) -> list[list[object]]:
        """The table and the CSV: scope, step, reached, conversions, in progress, dropped."""
        out: list[list[object]] = []
        scopes = [("All", self.result.steps)] + [(str(b.value), b.steps) for b in self.result.breakdowns]
        for name, steps in scopes:
            for s in steps:
                out.append(
                    [
                        name,
                        s.index,
                        self.label(s.name),
                        s.reached,
                        _pct(s.conversion_from_previous),
                        _pct(s.conversion_from_first),
                        s.in_progress,
                        s.dropped,
                    ]
                )
        return out


HEADER = [
    "breakdown",
    "step",
    "name",
    "reached",
    "conversion_from_previous_pct",
    "conversion_from_first_pct",
    "in_progress",
    "dropped",
]


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _labels() -> dict[str, str]:
    stage_labels = dict(Stage.choices)
    return {**dict(EventType.choices), **stage_labels}


def funnel_events(
    *, scope: ReportScope, steps: tuple[str, ...], breakdown: str | None, stage_names: tuple[str, ...]
) -> pa.Table:
    """person_id, event, ts [, breakdown] of the steps' stage entries and events in scope, from the
    start of the period to its end (or now)."""
    stages = [s for s in steps if s in set(stage_names)]
    events = [s for s in steps if s not in set(stages)]
    parts = []
    if stages:
        t = datasets.transitions_table()
        t = t.filter(pc.is_in(t.column("to_stage"), value_set=pa.array(stages, pa.string())))
        parts.append(pa.table({"person_id": t["contact_id"], "event": t["to_stage"], "ts": t["at"]}))
    if events:
        e = datasets.events_table()
        e = e.filter(pc.is_in(e.column("event"), value_set=pa.array(events, pa.string())))
        parts.append(pa.table({"person_id": e["contact_id"], "event": e["event"], "ts": e["ts"]}))
    table = pa.concat_tables(parts)
    period = scope.engine_period()
    start = pa.scalar(period.start, pa.timestamp("us", tz="UTC"))
    table = table.filter(pc.greater_equal(table.column("ts"), start))
    contacts = datasets.contacts_table()
    table = only_contacts(table, scope.contact_ids(contacts), column="person_id")
    if breakdown is None:
        return table
    values = contacts.column(breakdown)
    if breakdown == "channel":
        names = dict(Channel.choices)
        values = pa.array([names.get(v, v) if v else None for v in values.to_pylist()], pa.string())
    lookup = pa.table({"person_id": contacts.column("contact_id"), "breakdown": values})
    joined = table.join(lookup, "person_id", join_type="left outer")
    filled = pc.fill_null(
        pc.if_else(pc.equal(joined["breakdown"], ""), None, joined["breakdown"]), NONE_LABEL
    )
    return joined.set_column(joined.schema.get_field_index("breakdown"), "breakdown", filled)


def funnel_report(
    *,
    scope: ReportScope,
    steps: tuple[str, ...] = DEFAULT_STEPS,
    window_days: int = 30,
    breakdown: str | None = None,
) -> FunnelReport:
    """Run the funnel for `scope`. Raises FunnelInputError naming the bad input."""
    stage_names = stage_steps()
    steps = funnel_steps_validate(list(steps), stage_names)
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise FunnelInputError("window_days", f"the window must be 1 to {MAX_WINDOW_DAYS} days")
    if breakdown is not None and breakdown not in BREAKDOWNS:
        raise FunnelInputError("breakdown", f"breakdown must be one of {', '.join(BREAKDOWNS)}")
    events = funnel_events(scope=scope, steps=steps, breakdown=breakdown, stage_names=stage_names)
    query = FunnelQuery(
        steps=steps,
        window=timedelta(days=window_days),
        breakdown="breakdown" if breakdown else None,
        as_of=scope.as_of(),
    )
    return FunnelReport(
        result=funnel_run(events, query),
        steps=steps,
        labels=_labels(),
        window_days=window_days,
        breakdown=breakdown,
    )
