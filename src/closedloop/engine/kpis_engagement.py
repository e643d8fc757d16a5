"""Content and social engagement per asset or channel: who engaged, how much, and out of how many.

Engagement events (opens, clicks, downloads, likes, shares, comments …) come as one row per
event; reach (who was sent or shown the asset) either as one row per reached contact or, for
social posts whose audience is anonymous, as a count per key. Definitions: docs/kpis.md.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from closedloop.engine.kpis import amounts, group_codes, in_period
from closedloop.engine.periods import Period, column_datetimes, require_columns

__all__ = ["engagement"]


def _filter(table: pa.Table, period: Period | None, what: str) -> pa.Table:
    if period is None or "at" not in table.column_names:
        return table
    return table.filter(pa.array(in_period(column_datetimes(table, "at", what), period)))


def engagement(
    events: pa.Table,
    *,
    key: str,
    reach: pa.Table | None = None,
    period: Period | None = None,
    event_types: Collection[str] | None = None,
) -> pa.Table:
    """Engagement per value of ``key`` (e.g. ``asset_id`` or ``channel``).

    ``events``: ``contact_id``, ``key``, and optionally ``at`` (filtered to ``period``) and
    ``event`` (filtered to ``event_types`` when given). ``reach``, optional: ``key`` plus either
    ``contact_id`` (one row per reached contact; ``at`` filtered to ``period`` if present) or
    ``reached`` (an audience count per key).

    Returns ``key, engaged_contacts, events, events_per_contact, reached, engagement_rate``:

    - ``engaged_contacts``: distinct contacts with at least one event;
    - ``events_per_contact`` = events / engaged contacts;
    - ``engagement_rate`` with per-contact reach = reached contacts who engaged / reached contacts
      (a contact who engaged with a forwarded copy is engaged but not in the rate, so the rate
      stays within 0..1); with a reach count = engaged contacts / reached. Null without reach.

    Keys that were reached but saw no engagement get a row with zeros: an asset nobody opened is
    exactly what the "unused content" view needs to show.
    """
    require_columns(events, ("contact_id", key), "events")
    events = _filter(events, period, "events")
    if event_types is not None:
        require_columns(events, ("event",), "events")
        wanted = pa.array(sorted(event_types), _plain(events.column("event")).type)
        events = events.filter(
            pc.fill_null(pc.is_in(_plain(events.column("event")), value_set=wanted), False)
        )
    ev = pa.table({"label": _plain(events.column(key)), "contact": _plain(events.column("contact_id"))})
    parts = [ev]
    rc: pa.Table | None = None
    by_count = False
    if reach is not None:
        require_columns(reach, (key,), "reach")
        reach = _filter(reach, period, "reach")
        by_count = "contact_id" not in reach.column_names
        if by_count:
            require_columns(reach, ("reached",), "reach")
            rc = pa.table({"label": _plain(reach.column(key)), "reached": amounts(reach, "reached", "reach")})
        else:
            rc = pa.table({"label": _plain(reach.column(key)), "contact": _plain(reach.column("contact_id"))})
        parts.append(rc.select(["label"]))
    # One label list over both sides, so reached-but-untouched assets get their row of zeros.
    labels, _, kind = group_codes(
        pa.concat_tables([p.select(["label"]) for p in parts], promote_options="permissive"),
        "label",
        "events",
    )
    engaged_pairs = ev.group_by(["label", "contact"]).aggregate([("contact", "count")])
    per_label = engaged_pairs.group_by("label").aggregate([("contact_count", "sum"), ("contact", "count")])
    n_events = _lookup(per_label, "contact_count_sum", labels)
    n_engaged = _lookup(per_label, "contact_count", labels)
    reached: np.ndarray | None = None
    engaged_and_reached = n_engaged
    if rc is not None and by_count:
        reached = _lookup(rc.group_by("label").aggregate([("reached", "sum")]), "reached_sum", labels)
    elif rc is not None:
        reached_pairs = rc.group_by(["label", "contact"]).aggregate([])
        reached = _lookup(
            reached_pairs.group_by("label").aggregate([("contact", "count")]), "contact_count", labels
        )
        both = engaged_pairs.join(reached_pairs, ["label", "contact"], join_type="inner")
        engaged_and_reached = _lookup(
            both.group_by("label").aggregate([("contact", "count")]), "contact_count", labels
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        per_contact = pa.array(n_events / n_engaged, pa.float64(), mask=n_engaged == 0)
        if reached is None:
            rate = pa.nulls(len(labels), pa.float64())
            reached_col = pa.nulls(len(labels), pa.float64())
        else:
            rate = pa.array(engaged_and_reached / reached, pa.float64(), mask=reached == 0)
            reached_col = pa.array(reached, pa.float64())
    return pa.table(
        {
            key: pa.array(labels, kind),
            "engaged_contacts": pa.array(n_engaged, pa.int64()),
            "events": pa.array(n_events, pa.int64()),
            "events_per_contact": per_contact,
            "reached": reached_col,
            "engagement_rate": rate,
        }
    )


def _lookup(grouped: pa.Table, column: str, labels: list[Any]) -> np.ndarray:
    """``grouped[column]`` lined up with ``labels`` (0 where a label has no row)."""
    values = dict(zip(grouped.column("label").to_pylist(), grouped.column(column).to_pylist(), strict=True))
    return np.array([values.get(label) or 0 for label in labels], dtype=np.float64)


def _plain(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        return pc.cast(column, column.type.value_type)
    return column
