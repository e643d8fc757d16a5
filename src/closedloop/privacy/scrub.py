"""Removing one person's identifiers (email, full name, phone) from free text and JSON columns.

Rows are found in the database with a case-insensitive LIKE on the column cast to text, then
rewritten in Python, so only rows that mention the person are read and saved."""

import json
import re
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast

from closedloop.privacy.inventory import ERASED

# Shorter strings (a first name alone, a 4-digit extension) would scrub unrelated text.
MIN_NEEDLE = 5


def needles_for(*, email: str | None, first_name: str, last_name: str, phone: str) -> list[str]:
    """The strings that identify the person in free text, longest first."""
    candidates = [email or "", f"{first_name} {last_name}".strip(), f"{last_name}, {first_name}", phone]
    found = {c.strip() for c in candidates if len(c.strip()) >= MIN_NEEDLE and c.strip() != ","}
    return sorted(found, key=len, reverse=True)


def scrub_text(value: str, needles: list[str]) -> str:
    for needle in needles:
        value = re.sub(re.escape(needle), ERASED, value, flags=re.IGNORECASE)
    return value


def scrub_json(value: Any, needles: list[str]) -> Any:
    if isinstance(value, str):
        return scrub_text(value, needles)
    if isinstance(value, list):
        return [scrub_json(v, needles) for v in value]
    if isinstance(value, dict):
        return {scrub_text(str(k), needles): scrub_json(v, needles) for k, v in value.items()}
    return value


def _json_forms(needle: str) -> set[str]:
    # SQLite stores JSON with non-ASCII escaped ("Zo\u00eb"); PostgreSQL's jsonb text does not.
    return {needle, json.dumps(needle)[1:-1]}


def scrub_fields(
    model: type[models.Model], fields: tuple[str, ...], needles: list[str], queryset: Any = None
) -> int:
    """Scrub the needles out of `fields` on every row of `model` (or of `queryset`) that mentions
    them; returns the number of rows changed."""
    if not needles or not fields:
        return 0
    qs = queryset if queryset is not None else model._default_manager.all()
    condition = Q()
    annotations = {}
    for name in fields:
        field = model._meta.get_field(name)
        alias = f"privacy_scan_{name}"
        annotations[alias] = Cast(name, models.TextField())
        forms = (
            set().union(*(_json_forms(n) for n in needles))
            if isinstance(field, models.JSONField)
            else needles
        )
        for needle in forms:
            condition |= Q(**{f"{alias}__icontains": needle})
    changed = 0
    for row in qs.annotate(**annotations).filter(condition).iterator(chunk_size=500):
        for name in fields:
            value = getattr(row, name)
            if isinstance(model._meta.get_field(name), models.JSONField):
                setattr(row, name, scrub_json(value, needles))
            elif isinstance(value, str):
                setattr(row, name, scrub_text(value, needles))
        # update() skips save() side effects (auto_now, signals): erasure must not look like an edit.
        model._default_manager.filter(pk=row.pk).update(**{name: getattr(row, name) for name in fields})
        changed += 1
    return changed


def scrub_everywhere(needles: list[str], holders: Any) -> dict[str, int]:
    """Scrub every listed free-text column of every listed model; counts per model with changes."""
    counts: dict[str, int] = {}
    for holder in holders:
        if not holder.text_fields:
            continue
        model = apps.get_model(holder.model)
        changed = scrub_fields(model, holder.text_fields, needles)
        if changed:
            counts[model._meta.label_lower] = counts.get(model._meta.label_lower, 0) + changed
    return counts
