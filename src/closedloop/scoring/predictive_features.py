"""What the predictive model sees of a contact, as of a moment: fit (persona, title seniority,
industry, company size, revenue, country, first-touch channel, work or free-mail address) and
behaviour (each event type over 7, 30 and 90 days, pricing-page visits).

For training, that moment is when the contact's first deal was opened: what sales did after
first contact must not teach the model. Fields that sales fills in after first contact
(`SALES_FIELDS`) are left out unless asked for, and always flagged on the model card.
Three queries in all (contacts, events, activities), whatever the number of contacts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from closedloop.crm.models import Activity, Contact, Deal
from closedloop.scoring.tabular import Column
from closedloop.tracking.models import EventType

WINDOWS = (7, 30, 90)
FREE_MAIL = frozenset({"gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "gmx.de",
                       "web.de", "icloud.com", "aol.com", "proton.me", "protonmail.com", "live.com"})  # fmt: skip
SENIORITY = (
    ("c_level", ("chief", "ceo", "cfo", "coo", "cto", "cio", "cmo", "founder", "owner", "president")),
    ("vp", ("vp", "vice president")),
    ("head", ("head of", "head")),
    ("director", ("director",)),
    ("manager", ("manager", "lead")),
)
# Filled in by sales after first contact: the outcome shows through them (leakage).
SALES_FIELDS = {
    "lifecycle_stage": "funnel stage, moved by sales and by the deal outcome itself",
    "has_owner": "owner, assigned by sales once they work the lead",
    "sales_activities": "calls, emails and meetings logged by sales",
}
STATIC_FEATURES = (
    "persona",
    "seniority",
    "industry",
    "company_size",
    "annual_revenue",
    "country",
    "channel",
    "email_kind",
)


def seniority_of(title: str) -> str | None:
    lowered = f" {title.lower()} "
    if not title.strip():
        return None
    for level, words in SENIORITY:
        if any(f" {w} " in lowered or lowered.strip().startswith(w) for w in words):
            return level
    return "individual"


def event_feature_names() -> list[str]:
    names = [f"{t}_{w}d" for t in EventType.values for w in WINDOWS]
    return [*names, "pricing_view_7d", "pricing_view_30d"]


def labelled_contacts() -> tuple[list[int], np.ndarray, list[datetime]]:
    """Contacts with a closed deal: (ids, 1 won / 0 lost, first deal's opening time)."""
    won: dict[int, bool] = {}
    opened: dict[int, datetime] = {}
    for contact_id, stage, created in (
        Deal.objects.filter(contact_id__isnull=False, stage__in=[Deal.DealStage.WON, Deal.DealStage.LOST])
        .order_by()
        .values_list("contact_id", "stage", "created_at")
    ):
        won[contact_id] = won.get(contact_id, False) or stage == Deal.DealStage.WON
        opened[contact_id] = min(opened.get(contact_id, created), created)
    ids = sorted(won)
    return ids, np.array([int(won[i]) for i in ids], dtype=np.int64), [opened[i] for i in ids]


def _chunks(ids: Sequence[int], size: int = 900) -> list[Sequence[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def feature_columns(
    *,
    contact_ids: Sequence[int] | None,
    at: Sequence[datetime] | datetime,
    include_sales_fields: bool = False,
) -> tuple[list[int], dict[str, Column]]:
    """(contact ids in row order, feature columns). `at` is one moment for all, or one per id."""
    fields = ("pk", "persona", "title", "email", "account__industry", "account__employees",
              "account__annual_revenue", "account__country", "source_campaign__channel", "lifecycle_stage",
              "owner_id")  # fmt: skip
    query = Contact.objects.order_by("pk").values_list(*fields)
    if contact_ids is None:
        rows = list(query)
    else:
        rows = [r for chunk in _chunks(sorted(contact_ids)) for r in query.filter(pk__in=chunk)]
        rows.sort(key=lambda r: r[0])
    ids = [r[0] for r in rows]
    index = {cid: i for i, cid in enumerate(ids)}
    n = len(ids)
    if isinstance(at, datetime):
        moments = np.full(n, at.timestamp())
    else:
        by_id = dict(zip(contact_ids or [], at, strict=True))
        moments = np.array([by_id[cid].timestamp() for cid in ids])

    def category(values: list[str | None], name: str) -> Column:
        return Column(name=name, kind="category", labels=[v or None for v in values])

    def numeric(values: list[object], name: str) -> Column:
        return Column(
            name=name, kind="numeric", numbers=np.array([np.nan if v is None else float(v) for v in values])
        )  # type: ignore[arg-type]

    columns: dict[str, Column] = {
        "persona": category([r[1] for r in rows], "persona"),
        "seniority": category([seniority_of(r[2] or "") for r in rows], "seniority"),
        "industry": category([r[4] for r in rows], "industry"),
        "company_size": numeric([r[5] for r in rows], "company_size"),
        "annual_revenue": numeric([r[6] for r in rows], "annual_revenue"),
        "country": category([r[7] for r in rows], "country"),
        "channel": category([r[8] for r in rows], "channel"),
        "email_kind": category(
            [
                None
                if not r[3]
                else ("free_mail" if r[3].rpartition("@")[2].lower() in FREE_MAIL else "work")
                for r in rows
            ],
            "email_kind",
        ),
    }
    counts = _event_counts(ids, index, moments)
    for name, values in counts.items():
        columns[name] = Column(name=name, kind="numeric", numbers=values)
    if include_sales_fields:
        columns["lifecycle_stage"] = category([r[9] for r in rows], "lifecycle_stage")
        columns["has_owner"] = category(["yes" if r[10] else "no" for r in rows], "has_owner")
        columns["sales_activities"] = Column(
            name="sales_activities", kind="numeric", numbers=_activity_counts(ids, index)
        )
    return ids, columns


def _event_counts(ids: list[int], index: dict[int, int], moments: np.ndarray) -> dict[str, np.ndarray]:
    from closedloop.tracking.models import Event

    names = event_feature_names()
    out = {name: np.zeros(len(ids)) for name in names}
    if not ids:
        return out
    oldest = datetime.fromtimestamp(moments.min(), tz=UTC) - timedelta(days=max(WINDOWS))
    newest = datetime.fromtimestamp(moments.max(), tz=UTC)
    query = Event.objects.order_by().filter(contact_id__isnull=False, ts__gte=oldest, ts__lte=newest)
    chunks = [query] if len(ids) > 5000 else [query.filter(contact_id__in=c) for c in _chunks(ids)]
    day = 86400.0
    for events in chunks:
        for contact_id, kind, ts, url in events.values_list("contact_id", "type", "ts", "url").iterator(
            chunk_size=10000
        ):
            i = index.get(contact_id)
            if i is None:
                continue
            age = (moments[i] - ts.timestamp()) / day
            if age < 0:
                continue  # after the moment of prediction: the future must not leak in
            for w in WINDOWS:
                if age <= w:
                    out[f"{kind}_{w}d"][i] += 1
            if kind == EventType.PAGE_VIEW and url and "pricing" in url:
                for w in (7, 30):
                    if age <= w:
                        out[f"pricing_view_{w}d"][i] += 1
    return out


def _activity_counts(ids: list[int], index: dict[int, int]) -> np.ndarray:
    out = np.zeros(len(ids))
    counts: dict[int, int] = defaultdict(int)
    for contact_id in Activity.objects.filter(contact_id__isnull=False).values_list("contact_id", flat=True):
        counts[contact_id] += 1
    for cid, c in counts.items():
        if cid in index:
            out[index[cid]] = c
    return out
