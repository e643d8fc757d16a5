"""The stage engine: moves contacts through the funnel by the active agreement's stage-entry rules.

Semantics (also in docs/agreement.md, "The stage engine"):

- Rules are stage-*entry* rules. A contact moves **forward** to the furthest stage, in the
  agreement's stage order, whose rule holds and that lies beyond its current stage.
- Rules never move a contact backward. Going back (a rejected hand-off, recycling) is a decision
  somebody records, not something a rule infers from facts that faded (a download leaving the
  30-day window does not demote an MQL).
- Stages without a rule (opportunity, customer, churned …) are entered only by recorded events
  such as deals; contacts already at or beyond the last stage that has a rule are not evaluated.
- A jump over several stages records **one** transition, to the furthest stage; its detail names
  the stages passed over. Funnel metrics count a contact as having reached every stage before the
  one it is in (crm.lifecycle.stages_reached), so nothing is lost.
- Each transition has cause "rule", the rule in plain language as detail, the rule source in
  `rule` and the active version in `agreement_version`: the answer to "why is this lead an MQL?".
- No active agreement: nothing happens. Contacts in a stage the agreement does not list are left alone.

Event ingest and contact upserts call `stages_reevaluate(contact_ids=…)` for the contacts they
touched, inside their transaction; `closedloop stages reevaluate --all` re-evaluates everyone,
e.g. after a new version becomes active.
"""

import functools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from closedloop.agreement.selectors import AgreementTerms, agreement_terms_active
from closedloop.agreement.stage_facts import ID_CHUNK, contact_facts
from closedloop.bulk_insert import rows_insert
from closedloop.crm.models import Contact, StageTransition
from closedloop.crm.signals import contacts_entered_stage
from closedloop.rules import Rule, parse

_DETAIL_MAX = StageTransition._meta.get_field("detail").max_length or 500
_RULE_MAX = StageTransition._meta.get_field("rule").max_length or 2000
_TRANSITION_FIELDS = (
    "contact_id", "from_stage", "to_stage", "at", "cause", "detail", "agreement_version_id", "rule",
)  # fmt: skip


@dataclass(frozen=True)
class StageMove:
    contact_id: int
    from_stage: str
    to_stage: str
    skipped: tuple[str, ...]


@dataclass(frozen=True)
class ReevaluationResult:
    version_number: int | None  # None: no active agreement, nothing was evaluated
    evaluated: int = 0
    moves: tuple[StageMove, ...] = ()
    moved_to: dict[str, int] = field(default_factory=dict)  # stage → contacts that entered it

    @property
    def moved(self) -> int:
        return len(self.moves)


@dataclass(frozen=True)
class _StageRule:
    rank: int
    stage: str
    rule: Rule


def _active_terms() -> AgreementTerms | None:
    return agreement_terms_active()


def _stage_rules(terms: AgreementTerms) -> list[_StageRule]:
    """Stages that have a rule, furthest first (the order the engine tries them in)."""
    rules = [
        _StageRule(rank, stage, parse(source))
        for rank, stage in enumerate(terms.stage_order)
        if (source := terms.rule_for(stage).strip())
    ]
    return sorted(rules, key=lambda r: r.rank, reverse=True)


def stage_target(
    *, facts: dict, current: str, stage_order: tuple[str, ...], rules: list[_StageRule]
) -> _StageRule | None:
    """The furthest rule stage beyond `current` whose rule holds for `facts`; None to stay."""
    if current not in stage_order:
        return None
    rank = stage_order.index(current)
    for stage_rule in rules:  # furthest first
        if stage_rule.rank <= rank:
            return None
        if stage_rule.rule.evaluate(facts):
            return stage_rule
    return None


@functools.lru_cache(maxsize=256)
def _described(rule: Rule) -> str:
    return rule.describe()  # once per rule, not once per contact that moves


def _detail(stage_rule: _StageRule, skipped: tuple[str, ...]) -> str:
    detail = _described(stage_rule.rule)
    if skipped:
        detail += f" (passed over: {', '.join(skipped)})"
    return detail if len(detail) <= _DETAIL_MAX else detail[: _DETAIL_MAX - 1] + "…"


@transaction.atomic
def stages_reevaluate(
    *,
    contact_ids: Iterable[int] | None = None,
    now: datetime | None = None,
    terms: AgreementTerms | None = None,
) -> ReevaluationResult:
    """Evaluate the agreement's rules for these contacts (None: all) and move them forward.

    `terms` defaults to the active agreement; `now` (default: the current time) is both the
    moment the event windows end and the time recorded on each transition.
    """
    if terms is None:
        terms = _active_terms()
    if terms is None:
        return ReevaluationResult(version_number=None)
    ids = None if contact_ids is None else [i for i in set(contact_ids) if i is not None]
    if ids == []:
        return ReevaluationResult(version_number=terms.number)
    now = now or timezone.now()
    rules = _stage_rules(terms)
    if not rules:
        return ReevaluationResult(version_number=terms.number)
    order = terms.stage_order
    # Only contacts before the last rule stage can move; everyone further on is skipped in SQL.
    movable = order[: rules[0].rank]
    variables = set().union(*(r.rule.variables for r in rules))
    facts = contact_facts(variables=variables, now=now, contact_ids=ids, stages=movable)

    moves: list[StageMove] = []
    rows = []
    for contact_id, values in facts.items():
        current = values["lifecycle_stage"]
        target = stage_target(facts=values, current=current, stage_order=order, rules=rules)
        if target is None:
            continue
        skipped = order[order.index(current) + 1 : target.rank]
        moves.append(StageMove(contact_id, current, target.stage, skipped))
        rows.append(
            (
                contact_id,
                current,
                target.stage,
                now,
                StageTransition.Cause.RULE,
                _detail(target, skipped),
                terms.version_id,
                target.rule.source[:_RULE_MAX],
            )
        )
    moves, rows = _still_where_read(moves, rows)
    rows_insert(StageTransition, _TRANSITION_FIELDS, rows)
    _stages_update(moves)
    for stage, ids in _ids_by_target(moves).items():
        contacts_entered_stage.send(sender=Contact, stage=stage, contact_ids=ids)
    return ReevaluationResult(
        version_number=terms.number,
        evaluated=len(facts),
        moves=tuple(moves),
        moved_to=dict(Counter(m.to_stage for m in moves)),
    )


def _still_where_read(moves: list[StageMove], rows: list[tuple]) -> tuple[list[StageMove], list[tuple]]:
    """Lock the contacts about to move and drop those another transaction moved since their facts
    were read (a rep rejecting the lead, a concurrent ingest). On SQLite the write lock taken at
    BEGIN already serialises writers; on PostgreSQL this closes the read-then-write gap."""
    if not moves or transaction.get_connection().vendor == "sqlite":
        return moves, rows
    ids = [m.contact_id for m in moves]
    current: dict[int, str] = {}
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        locked = Contact.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
        current.update(locked.values_list("pk", "lifecycle_stage"))
    keep = [i for i, m in enumerate(moves) if current.get(m.contact_id) == m.from_stage]
    if len(keep) == len(moves):
        return moves, rows
    return [moves[i] for i in keep], [rows[i] for i in keep]


def _ids_by_target(moves: list[StageMove]) -> dict[str, list[int]]:
    by_target: dict[str, list[int]] = {}
    for move in moves:
        by_target.setdefault(move.to_stage, []).append(move.contact_id)
    return by_target


def _stages_update(moves: list[StageMove]) -> None:
    updated_at = timezone.now()
    for stage, ids in _ids_by_target(moves).items():
        for start in range(0, len(ids), ID_CHUNK):
            # update() skips auto_now, so updated_at is set here.
            Contact.objects.filter(pk__in=ids[start : start + ID_CHUNK]).update(
                lifecycle_stage=stage, updated_at=updated_at
            )
