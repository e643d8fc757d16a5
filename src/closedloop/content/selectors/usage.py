"""Usage and influence: what reps share, what prospects open, and how the deals an asset touched
did against those it did not; plus the unused-content and searched-but-not-found reports."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone

from closedloop.content.models import AssetStatus, ContentAsset, SearchQuery, SharedLink
from closedloop.content.selectors.search import WEAK_COVERAGE, WEAK_SCORE
from closedloop.crm.models import Deal

WON, LOST = Deal.DealStage.WON, Deal.DealStage.LOST


@dataclass(frozen=True)
class DealGroup:
    closed: int
    won: int
    revenue: Decimal

    @property
    def win_rate(self) -> float | None:
        return self.won / self.closed if self.closed else None


@dataclass(frozen=True)
class AssetUsage:
    shares: int
    opened_shares: int
    opens: int
    seconds: int
    stages: dict[str, int]
    deal_ids: list[int]
    touched: DealGroup
    untouched: DealGroup


def _touched_deal_ids(asset_ids: list[int]) -> set[int]:
    """Deals a share reached: the share's own deal, or any deal of the contact it was sent to."""
    links = SharedLink.objects.filter(asset_id__in=asset_ids).values_list("deal_id", "contact_id")
    deal_ids = {d for d, _ in links if d}
    contact_ids = {c for _, c in links if c}
    if contact_ids:
        deal_ids |= set(Deal.objects.filter(contact_id__in=contact_ids).values_list("id", flat=True))
    return deal_ids


def _group(deals: Any) -> DealGroup:
    row = deals.aggregate(
        closed=Count("id"), won=Count("id", filter=Q(stage=WON)), revenue=Sum("amount", filter=Q(stage=WON))
    )
    return DealGroup(closed=row["closed"], won=row["won"], revenue=row["revenue"] or Decimal(0))


def asset_usage(*, asset: ContentAsset) -> AssetUsage:
    links = SharedLink.objects.filter(asset=asset)
    totals = links.aggregate(
        shares=Count("id"), opened=Count("id", filter=Q(open_count__gt=0)), opens=Sum("open_count"),
        seconds=Sum("seconds_viewed"),
    )  # fmt: skip
    stages = Counter(links.exclude(contact_stage="").values_list("contact_stage", flat=True))
    deal_ids = _touched_deal_ids([asset.pk])
    closed = Deal.objects.filter(stage__in=[WON, LOST])
    return AssetUsage(
        shares=totals["shares"],
        opened_shares=totals["opened"],
        opens=totals["opens"] or 0,
        seconds=totals["seconds"] or 0,
        stages=dict(stages),
        deal_ids=sorted(deal_ids),
        touched=_group(closed.filter(id__in=deal_ids)),
        untouched=_group(closed.exclude(id__in=deal_ids)),
    )


def usage_by_asset(*, since: datetime | None = None) -> dict[int, dict[str, Any]]:
    """Asset id → shares, opens and last share time (optionally only shares since a date)."""
    links = SharedLink.objects.all()
    if since is not None:
        links = links.filter(created_at__gte=since)
    rows = links.values("asset_id").annotate(
        shares=Count("id"), opens=Sum("open_count"), seconds=Sum("seconds_viewed"), last_shared=Max("created_at"),
        deals=Count("deal_id", distinct=True),
    )  # fmt: skip
    return {r["asset_id"]: r for r in rows}


def unused_content(*, days: int = 90, now: datetime | None = None) -> list[dict[str, Any]]:
    """Published assets nobody shared in the last `days` days, the longest-published first."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    recent = set(SharedLink.objects.filter(created_at__gte=since).values_list("asset_id", flat=True))
    ever = usage_by_asset()
    rows = []
    for asset in ContentAsset.objects.filter(status=AssetStatus.PUBLISHED).select_related("owner"):
        if asset.pk in recent:
            continue
        usage = ever.get(asset.pk, {})
        rows.append({
            "asset": asset,
            "published_days": (now - asset.published_at).days if asset.published_at else None,
            "shares_ever": usage.get("shares", 0),
            "last_shared": usage.get("last_shared"),
        })  # fmt: skip
    return sorted(
        rows,
        key=lambda r: (r["last_shared"] is not None, r["last_shared"] or now, -(r["published_days"] or 0)),
    )


def search_gaps(*, days: int = 30, now: datetime | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """What reps searched for without a good result, most asked first."""
    now = now or timezone.now()
    weak = SearchQuery.objects.filter(at__gte=now - timedelta(days=days)).filter(
        Q(best_score__lt=WEAK_SCORE) | Q(best_coverage__lt=WEAK_COVERAGE)
    )
    groups: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"count": 0, "users": set(), "last_at": None, "text": "", "best_score": 0.0}
    )
    for q in weak.select_related("user").order_by("at"):
        g = groups[q.normalized]
        g["count"] += 1
        g["text"] = q.text
        g["last_at"] = q.at
        g["best_score"] = max(g["best_score"], q.best_score)
        if q.user:
            g["users"].add(q.user.display_name)
    rows = [{"query": k, **v, "users": sorted(v["users"])} for k, v in groups.items()]
    return sorted(rows, key=lambda r: (-r["count"], r["query"]))[:limit]
