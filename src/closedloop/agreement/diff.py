"""What changed between two versions of the agreement, item by item: the answer to "what am I
signing?" for the two heads, and the change set stored in the audit log for every edit."""

import difflib
from dataclasses import asdict, dataclass
from dataclasses import field as dc_field
from typing import Any

SCALAR_LABELS = {
    "title": "Title",
    "purpose": "Purpose",
    "sales_ready_stage": "Sales-ready stage",
    "marketing_responsibilities": "Marketing's responsibilities",
    "sales_responsibilities": "Sales' responsibilities",
}
STAGE_FIELDS = ("rule", "explanation", "owner_team")
TERM_FIELDS = ("kind", "amount", "unit", "stage", "owner_team", "description")


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Line diff as (op, line) with op "-", "+" or " " (unchanged context)."""
    out = []
    for line in difflib.ndiff((old or "").splitlines(), (new or "").splitlines()):
        op, text = line[:1], line[2:]
        if op in ("-", "+", " "):
            out.append((op, text))
    return out


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: Any
    new: Any
    lines: list[tuple[str, str]] = dc_field(default_factory=list)


@dataclass(frozen=True)
class StageChange:
    stage: str
    change: str  # "added", "removed" or "changed"
    fields: dict[str, tuple[Any, Any]]  # field → (old, new); only fields that differ
    rule_lines: list[tuple[str, str]] = dc_field(default_factory=list)
    explanation_lines: list[tuple[str, str]] = dc_field(default_factory=list)


@dataclass(frozen=True)
class TermChange:
    change: str  # "added", "removed" or "changed"
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    fields: tuple[str, ...] = ()  # which fields differ, for "changed"


@dataclass(frozen=True)
class PersonaChange:
    key: str
    change: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None


@dataclass(frozen=True)
class AgreementDiff:
    old_number: int | None
    new_number: int | None
    fields: list[FieldChange]
    stage_order: tuple[list[str], list[str]] | None
    stages: list[StageChange]
    sla_terms: list[TermChange]
    personas: list[PersonaChange]
    qualifiers_added: list[str]
    qualifiers_removed: list[str]

    @property
    def is_empty(self) -> bool:
        return not (
            self.fields
            or self.stage_order
            or self.stages
            or self.sla_terms
            or self.personas
            or self.qualifiers_added
            or self.qualifiers_removed
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["is_empty"] = self.is_empty
        return data

    def headline(self) -> str:
        """ "stage order; MQL rule; 1 SLA term" — a short list of what changed, for summaries."""
        parts = [c.label.lower() for c in self.fields]
        if self.stage_order:
            parts.append("stage order")
        for s in self.stages:
            what = "/".join(f for f in s.fields) if s.change == "changed" else s.change
            parts.append(f"{s.stage} {what}")
        if self.sla_terms:
            parts.append(f"{len(self.sla_terms)} SLA term{'s' if len(self.sla_terms) != 1 else ''}")
        if self.personas:
            parts.append(f"{len(self.personas)} persona{'s' if len(self.personas) != 1 else ''}")
        if self.qualifiers_added or self.qualifiers_removed:
            parts.append("lead qualifiers")
        return "; ".join(parts) or "no changes"


def _term_key(term: dict[str, Any]) -> tuple[str, str]:
    return (term["kind"], term["stage"])


def _terms_diff(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[TermChange]:
    # Terms have no identity of their own; the same kind on the same stage is "the same term".
    # Pair them up in order, then report what is left over as added or removed.
    out: list[TermChange] = []
    remaining = list(new)
    unmatched_old = []
    for term in old:
        match = next((t for t in remaining if t == term), None)
        if match is not None:
            remaining.remove(match)
        else:
            unmatched_old.append(term)
    for term in unmatched_old:
        match = next((t for t in remaining if _term_key(t) == _term_key(term)), None)
        if match is None:
            out.append(TermChange("removed", term, None))
        else:
            remaining.remove(match)
            changed = tuple(f for f in TERM_FIELDS if term.get(f) != match.get(f))
            out.append(TermChange("changed", term, match, changed))
    out.extend(TermChange("added", None, t) for t in remaining)
    return out


def content_diff(
    old: dict[str, Any],
    new: dict[str, Any],
    *,
    names: dict[int, str] | None = None,
    old_number: int | None = None,
    new_number: int | None = None,
) -> AgreementDiff:
    """Compare two content dicts (see content.py). `names` maps qualifier ids to display names."""
    names = names or {}
    fields = []
    for name, label in SCALAR_LABELS.items():
        if old.get(name, "") != new.get(name, ""):
            lines = text_diff(old.get(name, ""), new.get(name, "")) if name != "sales_ready_stage" else []
            fields.append(FieldChange(name, label, old.get(name, ""), new.get(name, ""), lines))

    stage_order = None
    if list(old["stage_order"]) != list(new["stage_order"]):
        stage_order = (list(old["stage_order"]), list(new["stage_order"]))

    old_defs = {d["stage"]: d for d in old["stage_definitions"]}
    new_defs = {d["stage"]: d for d in new["stage_definitions"]}
    stages = []
    for stage in dict.fromkeys([*new_defs, *old_defs]):
        before, after = old_defs.get(stage), new_defs.get(stage)
        if before is None and after is not None:
            stages.append(
                StageChange(
                    stage,
                    "added",
                    {f: (None, after[f]) for f in STAGE_FIELDS},
                    text_diff("", after["rule"]),
                    text_diff("", after["explanation"]),
                )
            )
        elif after is None and before is not None:
            stages.append(
                StageChange(
                    stage,
                    "removed",
                    {f: (before[f], None) for f in STAGE_FIELDS},
                    text_diff(before["rule"], ""),
                    text_diff(before["explanation"], ""),
                )
            )
        elif before is not None and after is not None:
            changed = {f: (before[f], after[f]) for f in STAGE_FIELDS if before[f] != after[f]}
            if changed:
                stages.append(
                    StageChange(
                        stage,
                        "changed",
                        changed,
                        text_diff(before["rule"], after["rule"]) if "rule" in changed else [],
                        text_diff(before["explanation"], after["explanation"])
                        if "explanation" in changed
                        else [],
                    )
                )

    old_personas = {p["key"]: p for p in old["personas"]}
    new_personas = {p["key"]: p for p in new["personas"]}
    personas = []
    for key in dict.fromkeys([*new_personas, *old_personas]):
        before, after = old_personas.get(key), new_personas.get(key)
        if before != after:
            change = "added" if before is None else "removed" if after is None else "changed"
            personas.append(PersonaChange(key, change, before, after))

    old_q, new_q = set(old["qualifiers"]), set(new["qualifiers"])
    return AgreementDiff(
        old_number=old_number,
        new_number=new_number,
        fields=fields,
        stage_order=stage_order,
        stages=stages,
        sla_terms=_terms_diff(old["sla_terms"], new["sla_terms"]),
        personas=personas,
        qualifiers_added=sorted(names.get(i, f"user {i}") for i in new_q - old_q),
        qualifiers_removed=sorted(names.get(i, f"user {i}") for i in old_q - new_q),
    )
