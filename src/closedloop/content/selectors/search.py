"""Search over the library for pages and the API: the index is built once per library change
(any asset saved moves its signature) and kept in memory; every query is logged with its best
score so that weak results feed the "searched but not found" report."""

import re
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.content.access import sees_drafts
from closedloop.content.models import AssetStatus, AssetTag, ContentAsset, SearchQuery, TagKind
from closedloop.content.rich_text import html_to_text
from closedloop.content.search_index import Document, SearchIndex

# Below either bar the best result is not a real answer: the query goes to the gap report.
WEAK_SCORE = 0.3
WEAK_COVERAGE = 0.5

_lock = threading.Lock()
# Above this many assets a rebuild takes long enough to move to a background thread.
BACKGROUND_REBUILD_FROM = 2000
_cache: dict[str, Any] = {"signature": None, "index": None, "building": False}


def _signature() -> tuple[Any, ...]:
    # Every service that changes an asset or its tags moves updated_at; the sums catch deletions.
    row = ContentAsset.objects.aggregate(
        n=Count("id"), latest=Max("updated_at"), ids=Sum("id"), versions=Sum("version")
    )
    return row["n"], row["latest"], row["ids"], row["versions"], AssetTag.objects.count()


def _documents() -> list[Document]:
    tags: dict[int, list[str]] = {}
    for asset_id, kind, value in AssetTag.objects.values_list("asset_id", "kind", "value"):
        tags.setdefault(asset_id, []).append(value.replace("_", " ") if kind == TagKind.PERSONA else value)
    rows = ContentAsset.objects.values_list("id", "title", "summary", "body_html", "asset_type")
    return [
        Document(
            id=pk,
            title=title,
            summary=summary,
            body=html_to_text(body),
            tags=tuple(tags.get(pk, ())),
            kind=kind,
        )
        for pk, title, summary, body, kind in rows.iterator(chunk_size=2000)
    ]


def search_index_get() -> SearchIndex:
    """The index for the library as it is now. A small library is rebuilt on the spot; a large
    one (seconds to build) keeps answering from the previous index while a thread rebuilds it,
    so an edit never makes a rep wait."""
    signature = _signature()
    with _lock:
        index = _cache["index"]
        if index is not None and _cache["signature"] == signature:
            return index
        if index is None or index.size < BACKGROUND_REBUILD_FROM:
            index = SearchIndex(_documents())
            _cache.update(index=index, signature=signature)
            return index
        if not _cache["building"]:
            _cache["building"] = True
            threading.Thread(
                target=_rebuild, args=(signature,), name="content-search-index", daemon=True
            ).start()
        return index


def _rebuild(signature: tuple[Any, ...]) -> None:
    try:
        index = SearchIndex(_documents())
        with _lock:
            _cache.update(index=index, signature=signature)
    finally:
        with _lock:
            _cache["building"] = False
        connection.close()  # the thread's own database connection


def search_index_reset() -> None:
    """Forget the built index (tests, and after restoring a database under a running server)."""
    with _lock:
        _cache["signature"] = _cache["index"] = None


def normalize_query(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))[:300]


@dataclass(frozen=True)
class SearchResult:
    asset: ContentAsset
    score: float
    coverage: float


def _allowed_ids(user: User, stage: str, persona: str, include_drafts: bool) -> set[int]:
    assets = ContentAsset.objects.all()
    if include_drafts and sees_drafts(user):
        assets = assets.exclude(status=AssetStatus.RETIRED)
    else:
        assets = assets.filter(status=AssetStatus.PUBLISHED)
    if stage:
        assets = assets.filter(tags__kind=TagKind.STAGE, tags__value=stage)
    if persona:
        assets = assets.filter(tags__kind=TagKind.PERSONA, tags__value=persona)
    return set(assets.values_list("id", flat=True))


def content_search(
    *,
    user: User,
    query: str,
    stage: str = "",
    persona: str = "",
    include_drafts: bool = False,
    limit: int = 10,
    log: bool = True,
    now: datetime | None = None,
) -> list[SearchResult]:
    """Best matches first. Reps and partners get published assets; editors may ask for drafts."""
    query = (query or "").strip()[:300]
    if not query:
        return []
    index = search_index_get()
    allowed = _allowed_ids(user, stage, persona, include_drafts)
    hits = index.search(query, allowed=allowed, limit=limit)
    assets = ContentAsset.objects.in_bulk([h.id for h in hits])
    results = [SearchResult(assets[h.id], h.score, h.coverage) for h in hits if h.id in assets]
    if log:
        with transaction.atomic():
            SearchQuery.objects.create(
                user=user if getattr(user, "pk", None) else None, text=query, normalized=normalize_query(query),
                stage=stage, persona=persona, result_count=len(results),
                best_score=results[0].score if results else 0.0, at=now or timezone.now(),
                best_coverage=results[0].coverage if results else 0.0,
            )  # fmt: skip
    return results


def is_weak(score: float, coverage: float) -> bool:
    return score < WEAK_SCORE or coverage < WEAK_COVERAGE
