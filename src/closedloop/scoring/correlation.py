"""The trait correlation report: which traits and behaviours separate the leads that moved on
from those that did not, per funnel stage (seed 003: "define the ideal lead from the traits of
those who converted and those who did not").

For each stage S, the population is every contact that reached S; converters reached a later
stage. Contacts still inside S count as not (yet) converted, so young leads pull odds ratios
towards 1: a conservative reading. Traits are read as of now.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np
from django.utils import timezone

from closedloop.crm.lifecycle import FUNNEL_STAGES, stage_rank
from closedloop.crm.models import Contact
from closedloop.scoring.odds import bh_q_values, odds_ratio
from closedloop.scoring.predictive_features import feature_columns

MIN_SUPPORT = 30  # contacts with the trait, and without it; fewer give intervals too wide to act on
SIGNIFICANCE = 0.05
SIZE_BANDS = ((1, 49), (50, 249), (250, 999), (1000, None))
BEHAVIOURS = {
    "webinar_attended_90d": "attended a webinar (90 d)",
    "content_download_90d": "downloaded content (90 d)",
    "pricing_view_30d": "visited pricing (30 d)",
    "email_click_90d": "clicked an email (90 d)",
    "form_submit_90d": "submitted a form (90 d)",
    "meeting_booked_90d": "booked a meeting (90 d)",
    "call_90d": "called (90 d)",
    "ad_click_90d": "clicked an ad (90 d)",
}
FIT_COLUMNS = ("persona", "industry", "seniority", "country", "channel", "email_kind")


@dataclass(frozen=True)
class Trait:
    key: str  # e.g. "persona=ops_manager", "company_size>=250", "webinar_attended_90d>=1"
    label: str
    group: str  # fit or behaviour
    field: str
    value: Any
    present: int
    converters_with: int
    rate_with: float
    rate_without: float
    odds_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    q_value: float
    corrected: bool

    @property
    def significant(self) -> bool:
        return self.p_value < SIGNIFICANCE


def trait_masks(columns: dict[str, Any], n: int) -> list[tuple[str, str, str, str, Any, np.ndarray]]:
    """(key, label, group, field, value, mask) for every candidate trait."""
    out = []
    for name in FIT_COLUMNS:
        labels = columns[name].labels
        for level in sorted({v for v in labels if v is not None}):
            mask = np.fromiter((v == level for v in labels), dtype=bool, count=n)
            out.append((f"{name}={level}", f"{name.replace('_', ' ')} is {level}", "fit", name, level, mask))
    size = columns["company_size"].numbers
    for low, high in SIZE_BANDS:
        mask = (size >= low) & ((size <= high) if high else True)
        label = f"company size {low}–{high}" if high else f"company size {low}+"
        out.append((f"company_size:{low}-{high or ''}", label, "fit", "company_size", [low, high], mask))
    for name, label in BEHAVIOURS.items():
        out.append((f"{name}>=1", label, "behaviour", name, 1, columns[name].numbers >= 1))
    return out


def correlation_report(*, now: datetime | None = None, min_support: int = MIN_SUPPORT) -> dict[str, Any]:
    """{"stages": [{"stage", "next", "population", "converters", "traits": [...], "positive", "negative"}]}"""
    now = now or timezone.now()
    ids, columns = feature_columns(contact_ids=None, at=now)
    stage_of = dict(Contact.objects.order_by().values_list("pk", "lifecycle_stage"))
    ranks = np.array([stage_rank(stage_of[i]) for i in ids]) if ids else np.array([], dtype=int)
    traits = trait_masks(columns, len(ids))
    stages = []
    for position, stage in enumerate(FUNNEL_STAGES[:-1]):
        reached = ranks >= position
        converted = ranks >= position + 1
        population, converters = int(reached.sum()), int((reached & converted).sum())
        rows: list[Trait] = []
        pending = []
        for key, label, group, field, value, mask in traits:
            with_trait = mask & reached
            present = int(with_trait.sum())
            if present < min_support or population - present < min_support:
                continue
            a = int((with_trait & converted).sum())
            b = present - a
            c = int((reached & ~mask & converted).sum())
            d = population - present - c
            pending.append((key, label, group, field, value, present, a, b, c, d, odds_ratio(a, b, c, d)))
        q = bh_q_values([p[-1].p_value for p in pending])
        for (key, label, group, field, value, present, a, _b, c, d, o), qv in zip(pending, q, strict=True):
            rows.append(Trait(key, label, group, field, value, present, a, a / present, c / (c + d) if c + d else 0.0,
                              round(o.odds_ratio, 4), round(o.ci_low, 4), round(o.ci_high, 4), o.p_value,
                              qv, o.corrected))  # fmt: skip
        positive = sorted(
            (t for t in rows if t.significant and t.odds_ratio > 1), key=lambda t: -t.odds_ratio
        )
        negative = sorted((t for t in rows if t.significant and t.odds_ratio < 1), key=lambda t: t.odds_ratio)
        stages.append({
            "stage": stage, "next": FUNNEL_STAGES[position + 1], "population": population, "converters": converters,
            "traits": [asdict(t) for t in sorted(rows, key=lambda t: -t.odds_ratio)],
            "positive": [asdict(t) for t in positive[:8]], "negative": [asdict(t) for t in negative[:8]],
        })  # fmt: skip
    return {"now": now.isoformat(), "contacts": len(ids), "min_support": min_support, "stages": stages}
