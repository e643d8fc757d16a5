"""Bulk points rescoring: every contact (or the ones given) in a fixed number of queries — the
facts the rules read in two (the agreement's stage facts), the events the decay rules read in
one — then one pass in memory and bulk writes of the scores that changed."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from closedloop.agreement.stage_facts import ID_CHUNK, contact_facts
from closedloop.audit.services import audit_record
from closedloop.bulk_insert import rows_insert
from closedloop.crm.models import Contact
from closedloop.rules import parse
from closedloop.scoring.models import ContactScore, PointsRule, RescoreRun
from closedloop.scoring.points import ConditionRule, DecayRule, points_for
from closedloop.tracking.models import Event

_INSERT_FIELDS = ("contact_id", "points", "fit_points", "engagement_points", "breakdown", "points_scored_at",
                  "reasons", "probability", "model_id", "predicted_at")  # fmt: skip


@dataclass
class RescoreResult:
    scored: int
    changed: int
    seconds: float
    now: datetime

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "now": self.now.isoformat()}


def active_rules() -> tuple[list[ConditionRule], list[DecayRule]]:
    conditions: list[ConditionRule] = []
    decays: list[DecayRule] = []
    for r in PointsRule.objects.filter(is_active=True).order_by("kind", "position", "id"):
        if r.event_type:
            decays.append(
                DecayRule(r.pk, r.name, r.kind, r.points, r.event_type, r.url_contains, r.window_days,
                          r.half_life_days, r.max_points)
            )  # fmt: skip
        elif r.condition.strip():
            rule = parse(r.condition)
            conditions.append(ConditionRule(r.pk, r.name, r.kind, r.points, rule, rule.describe()))
    return conditions, decays


def _event_ages(
    decays: list[DecayRule], now: datetime, contact_ids: Sequence[int] | None
) -> dict[int, dict[int, np.ndarray]]:
    """contact id → decay rule id → ages in days of the events the rule counts."""
    if not decays:
        return {}
    oldest = now - timedelta(days=max(d.window_days for d in decays))
    events = Event.objects.order_by().filter(
        contact_id__isnull=False, ts__gte=oldest, ts__lte=now, type__in={d.event_type for d in decays}
    )
    if contact_ids is not None:
        events = events.filter(contact_id__in=list(contact_ids))
    ages: dict[int, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    needs_url = any(d.url_contains for d in decays)
    columns = ("contact_id", "type", "ts", "url") if needs_url else ("contact_id", "type", "ts")
    for row in events.values_list(*columns).iterator(chunk_size=10000):
        contact_id, kind, ts = row[0], row[1], row[2]
        url = row[3] if needs_url else ""
        age = (now - ts).total_seconds() / 86400
        for d in decays:
            if d.matches(kind, url or ""):
                ages[contact_id][d.id].append(age)
    return {c: {r: np.asarray(v) for r, v in per.items()} for c, per in ages.items()}


def contacts_rescore(
    *, contact_ids: Sequence[int] | None = None, now: datetime | None = None, by: Any = None
) -> RescoreResult:
    """Recompute points for every contact (or `contact_ids`) and write `Contact.lead_score` and the
    breakdown. Only changed scores are written, so a rerun with nothing new is cheap."""
    started = time.perf_counter()
    now = now or timezone.now()
    conditions, decays = active_rules()
    variables: set[str] = set()
    for c in conditions:
        variables |= set(c.rule.variables)
    facts = contact_facts(variables=variables, now=now, contact_ids=contact_ids)
    ages = _event_ages(decays, now, contact_ids)
    empty: dict[int, np.ndarray] = {}
    results = {
        cid: points_for(facts=f, conditions=conditions, decays=decays, event_ages=ages.get(cid, empty))
        for cid, f in facts.items()
    }
    with transaction.atomic():
        changed = _write(results, now)
        run = RescoreRun.objects.create(
            at=now, by=by if getattr(by, "pk", None) else None, scored=len(results), changed=changed,
            seconds=round(time.perf_counter() - started, 3),
        )  # fmt: skip
        if by is not None:
            audit_record(
                actor=by, action="scoring.rescore", obj=run,
                summary=f"Rescored {len(results)} contacts by points ({changed} changed)",
                changes={"scored": len(results), "changed": changed}, at=now,
            )  # fmt: skip
    return RescoreResult(
        scored=len(results), changed=changed, seconds=round(time.perf_counter() - started, 3), now=now
    )


def _write(results: dict[int, Any], now: datetime) -> int:
    """Write only what changed: `lead_score` with one UPDATE per distinct score (a handful of
    set-based statements instead of Django's per-row CASE), breakdowns with one executemany."""
    ids = list(results)
    current: dict[int, int] = {}
    stored: dict[int, tuple[int, Any]] = {}
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        current.update(Contact.objects.filter(pk__in=chunk).values_list("pk", "lead_score"))
        for cid, points, breakdown in ContactScore.objects.filter(contact_id__in=chunk).values_list(
            "contact_id", "points", "breakdown"
        ):
            stored[cid] = (points, breakdown)
    by_score: dict[int, list[int]] = defaultdict(list)
    for cid, r in results.items():
        if current.get(cid) != r.total:
            by_score[r.total].append(cid)
    for score, members in by_score.items():
        for start in range(0, len(members), ID_CHUNK):
            Contact.objects.filter(pk__in=members[start : start + ID_CHUNK]).update(lead_score=score)
    new = [(cid, r.total, r.fit, r.engagement, r.breakdown, now, [], None, None, None)
           for cid, r in results.items() if cid not in stored]  # fmt: skip
    rows_insert(ContactScore, _INSERT_FIELDS, new, skip_conflicts_on="contact_id")
    changed = [
        (cid, r) for cid, r in results.items() if cid in stored and stored[cid] != (r.total, r.breakdown)
    ]
    if changed:
        meta = ContactScore._meta
        json_field, time_field = meta.get_field("breakdown"), meta.get_field("points_scored_at")
        when = time_field.get_db_prep_value(now, connection)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {meta.db_table} SET points = %s, fit_points = %s, engagement_points = %s, "  # noqa: S608
                "breakdown = %s, points_scored_at = %s WHERE contact_id = %s",
                [(r.total, r.fit, r.engagement, json_field.get_db_prep_value(r.breakdown, connection), when, cid)
                 for cid, r in changed],
            )  # fmt: skip
    return sum(len(m) for m in by_score.values())
