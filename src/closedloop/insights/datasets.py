"""The operational data the insights read, as Arrow tables, extracted in bulk (see extract.py),
and a short-lived cache of those tables and of finished reports.

Contacts, stage transitions and touchpoint events are the large tables: they are kept in a small
in-process cache for a minute, keyed by a fingerprint of the data (row counts, highest ids, the
last contact update and the last identity stitch), so a new event, transition, contact, merge or
erasure is seen on the next request. Deals, costs and campaigns are small and read every time.
Finished reports are cached the same way, under a fingerprint that also covers deals, costs,
campaigns, rejected handoffs and the active agreement. Nothing is cached while a transaction is
open: its rows may not be committed (or may roll back).
"""

from __future__ import annotations

# Fingerprint SQL interpolates only table names from model metadata, quoted by the backend.
# ruff: noqa: S608
import threading
import time
from collections.abc import Callable

import pyarrow as pa
from django.db import connection
from django.db.models import Model

from closedloop.agreement.models import AgreementVersion
from closedloop.crm.models import Contact, Deal, StageTransition
from closedloop.handoff.models import Handoff
from closedloop.insights.extract import Col, arrow_select, q
from closedloop.tracking.models import Campaign, CampaignCost, Event, VisitorIdentity

CACHE_SECONDS = 60.0
_cache: dict[tuple, tuple[float, object]] = {}
_lock = threading.Lock()


def _t(model: type[Model]) -> str:
    return q(model._meta.db_table)


def data_fingerprint() -> tuple:
    """Changes whenever a contact, transition, event or identity is added, removed or a contact
    is edited. Each part reads an index or a small table: a few milliseconds on 20,000 contacts."""
    sql = (
        f"SELECT (SELECT max(id) FROM {_t(Event)}), "
        f"(SELECT count(*) FROM {_t(StageTransition)}), (SELECT max(id) FROM {_t(StageTransition)}), "
        f"(SELECT count(*) FROM {_t(Contact)}), (SELECT max(id) FROM {_t(Contact)}), "
        f"(SELECT max(updated_at) FROM {_t(Contact)}), "
        f"(SELECT count(*) FROM {_t(VisitorIdentity)}), (SELECT max(id) FROM {_t(VisitorIdentity)})"
    )
    return _row(sql)


def report_fingerprint() -> tuple:
    """data_fingerprint() plus the small tables: a won deal, a new cost day, a renamed campaign,
    a rejected handoff or a newly active agreement all change it."""
    deal, cost, campaign = _t(Deal), _t(CampaignCost), _t(Campaign)
    sql = (
        f"SELECT (SELECT count(*) FROM {deal}), (SELECT max(id) FROM {deal}), "
        f"(SELECT sum(amount) FROM {deal}), (SELECT max(closed_at) FROM {deal}), "
        f"(SELECT count(closed_at) FROM {deal}), (SELECT sum(length(stage)) FROM {deal}), "
        f"(SELECT count(*) FROM {cost}), (SELECT max(id) FROM {cost}), (SELECT sum(amount) FROM {cost}), "
        f"(SELECT count(*) FROM {campaign}), (SELECT max(id) FROM {campaign}), "
        f"(SELECT sum(length(name) + length(channel)) FROM {campaign}), "
        f"(SELECT count(decided_at) FROM {_t(Handoff)}), (SELECT max(decided_at) FROM {_t(Handoff)}), "
        # A version's content is frozen once active; a new active version has a new id.
        f"(SELECT max(id) FROM {_t(AgreementVersion)} WHERE status = 'active')"
    )
    return (*data_fingerprint(), *_row(sql))


def _row(sql: str) -> tuple:
    with connection.cursor() as cur:
        cur.execute(sql)
        row = cur.fetchone()
    return tuple(str(v) for v in row)


def cache_usable() -> bool:
    # Inside a transaction the rows read may be uncommitted, or rolled back later.
    return not connection.in_atomic_block


def report_cached(name: str, key: tuple, compute: Callable[[], object]) -> object:
    """`compute()`, or its result from the last minute if no data it reads has changed since."""
    if not cache_usable():
        return compute()
    return _remember((connection.settings_dict["NAME"], "report", name, *key, report_fingerprint()), compute)


def _cached(key: tuple, load: Callable[[], pa.Table]) -> pa.Table:
    if not cache_usable():
        return load()
    full_key = (connection.settings_dict["NAME"], *key, data_fingerprint())
    return _remember(full_key, load)  # type: ignore[return-value]


def _remember(full_key: tuple, load: Callable[[], object]) -> object:
    now = time.monotonic()
    with _lock:
        hit = _cache.get(full_key)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    table = load()
    with _lock:
        # Old fingerprints are dead weight: keep the newest few entries only.
        for stale in [k for k, (at, _) in _cache.items() if now - at >= CACHE_SECONDS]:
            del _cache[stale]
        while len(_cache) >= 64:
            del _cache[next(iter(_cache))]
        _cache[full_key] = (now, table)
    return table


def cache_clear() -> None:
    with _lock:
        _cache.clear()


def contacts_table() -> pa.Table:
    """contact_id, created_at, persona, lifecycle_stage, campaign_id (first-touch source
    campaign), channel and campaign (its channel and name)."""
    cols = [
        Col("contact_id", "int", "c.id"),
        Col("created_at", "timestamp", "c.created_at"),
        Col("persona", "text", "c.persona"),
        Col("lifecycle_stage", "text", "c.lifecycle_stage"),
        Col("campaign_id", "int", "c.source_campaign_id"),
        Col("channel", "text", "k.channel"),
        Col("campaign", "text", "k.name"),
    ]
    source = f"{_t(Contact)} c LEFT JOIN {_t(Campaign)} k ON k.id = c.source_campaign_id"
    return _cached(("contacts",), lambda: arrow_select(cols, source))


def transitions_table() -> pa.Table:
    """contact_id, from_stage, to_stage, at: the whole stage history, in recorded order."""
    cols = [
        Col("contact_id", "int", "contact_id"),
        Col("from_stage", "text", "from_stage"),
        Col("to_stage", "text", "to_stage"),
        Col("at", "timestamp", "at"),
    ]
    source = f"{_t(StageTransition)} ORDER BY at, id"
    return _cached(("transitions",), lambda: arrow_select(cols, source))


def events_table() -> pa.Table:
    """contact_id, event (its type), ts, campaign_id of every event stitched to a contact."""
    cols = [
        Col("contact_id", "int", "contact_id"),
        Col("event", "text", "type"),
        Col("ts", "timestamp", "ts"),
        Col("campaign_id", "int", "campaign_id"),
    ]
    source = f"{_t(Event)} WHERE contact_id IS NOT NULL"
    return _cached(("events",), lambda: arrow_select(cols, source))


def deals_table() -> pa.Table:
    """deal_id, contact_id, stage, amount, created_at, closed_at, campaign_id."""
    cols = [
        Col("deal_id", "int", "id"),
        Col("contact_id", "int", "contact_id"),
        Col("stage", "text", "stage"),
        Col("amount", "float", "amount"),
        Col("created_at", "timestamp", "created_at"),
        Col("closed_at", "timestamp", "closed_at"),
        Col("campaign_id", "int", "source_campaign_id"),
    ]
    return arrow_select(cols, _t(Deal))


def costs_table() -> pa.Table:
    """campaign_id, date (midnight UTC of the cost day), amount."""
    cols = [
        Col("campaign_id", "int", "campaign_id"),
        Col("date", "text", "date"),
        Col("amount", "float", "amount"),
    ]
    table = arrow_select(cols, _t(CampaignCost))
    days = table.column("date").cast(pa.date32()).cast(pa.timestamp("s")).cast(pa.timestamp("us", tz="UTC"))
    return table.set_column(1, "date", days)


def campaigns_table() -> pa.Table:
    """campaign_id, name, channel."""
    cols = [
        Col("campaign_id", "int", "id"),
        Col("name", "text", "name"),
        Col("channel", "text", "channel"),
    ]
    return arrow_select(cols, _t(Campaign))
