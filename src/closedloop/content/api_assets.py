"""API for the content library: assets (list, read, create, edit, upload a file, move status,
review), their usage, and search."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.pagination import paginate

from closedloop.accounts.api_auth import require_role
from closedloop.accounts.models import User
from closedloop.accounts.roles import Permission
from closedloop.content import services
from closedloop.content.access import check_may_see
from closedloop.content.models import AssetStatus, AssetType, ContentAsset, ReviewDecision
from closedloop.content.selectors import assets as asset_selectors
from closedloop.content.selectors.search import content_search
from closedloop.content.selectors.usage import asset_usage

router = Router(tags=["content"])


class TagsIn(Schema):
    stage: list[str] = Field(default_factory=list, description="Funnel stages, e.g. opportunity.")
    persona: list[str] = Field(
        default_factory=list, description="Persona slugs (what Contact.persona holds)."
    )
    product: list[str] = Field(default_factory=list)
    campaign: list[str] = Field(default_factory=list, description="Campaign utm_campaign values or names.")


class AssetOut(Schema):
    id: int
    title: str
    asset_type: str = Field(description=f"One of {', '.join(AssetType.values)}.")
    status: str = Field(description=f"One of {', '.join(AssetStatus.values)}.")
    summary: str
    body_html: str = Field(description="Sanitised HTML.")
    url: str = Field(description="Link to the asset when it lives elsewhere.")
    file_name: str
    file_type: str
    file_size: int
    version: int = Field(description="Current version number; every content edit adds one.")
    owner: str | None = Field(None, description="Username of the owner.")
    tags: dict[str, list[str]] = Field(description="stage, persona, product and campaign tags.")
    published_at: datetime | None
    updated_at: datetime

    @staticmethod
    def resolve_owner(obj: ContentAsset) -> str | None:
        return obj.owner.username if obj.owner else None

    @staticmethod
    def resolve_tags(obj: ContentAsset) -> dict[str, list[str]]:
        return asset_selectors.asset_tags(asset=obj)


class AssetIn(Schema):
    title: str
    asset_type: AssetType
    summary: str = ""
    body_html: str = Field(
        "", description="HTML; anything outside a short list of formatting tags is removed."
    )
    url: str = ""
    tags: TagsIn | None = None


class AssetPatch(Schema):
    title: str | None = None
    asset_type: AssetType | None = None
    summary: str | None = None
    body_html: str | None = None
    url: str | None = None
    tags: TagsIn | None = None
    note: str = Field("", description="What changed, kept with the new version.")


class StatusIn(Schema):
    status: AssetStatus


class ReviewIn(Schema):
    decision: ReviewDecision
    comment: str = ""


class ReviewOut(Schema):
    id: int
    version: int
    decision: str
    comment: str
    created_at: datetime


class AssetFilters(Schema):
    status: AssetStatus | None = None
    asset_type: AssetType | None = None
    stage: str = Field("", description="Only assets tagged with this funnel stage.")
    persona: str = Field("", description="Only assets tagged with this persona slug.")
    product: str = ""


class DealGroupOut(Schema):
    closed: int = Field(description="Won plus lost deals.")
    won: int
    win_rate: float | None = Field(description="won / closed; null without closed deals.")
    revenue: float = Field(description="Sum of won deal amounts.")


class UsageOut(Schema):
    shares: int
    opened_shares: int = Field(description="Shares opened at least once.")
    opens: int
    seconds: int = Field(description="Time prospects spent on the shared copies.")
    stages: dict[str, int] = Field(description="Shares by the contact's funnel stage when shared.")
    deal_ids: list[int] = Field(description="Deals touched: the share's deal or any deal of its contact.")
    touched: DealGroupOut
    untouched: DealGroupOut


class SearchHitOut(Schema):
    asset: AssetOut
    score: float = Field(description="Relevance in [0, 1].")
    coverage: float = Field(description="Share of the query's words the asset contains.")


def _asset(asset_id: int, user: User) -> ContentAsset:
    asset = asset_selectors.asset_get(asset_id=asset_id)
    if asset is None:
        raise HttpError(404, "no such asset")
    check_may_see(user, asset)
    return asset


def _tags(tags: TagsIn | None) -> dict[str, list[str]] | None:
    return tags.dict() if tags is not None else None


@router.get("/assets", response=list[AssetOut], summary="List assets")
@paginate
def asset_list(request: HttpRequest, filters: Query[AssetFilters]) -> Any:
    """Partners see published assets only."""
    user = require_role(request, Permission.VIEW_CONTENT)
    return asset_selectors.asset_list(
        user=user, status=filters.status.value if filters.status else "",
        asset_type=filters.asset_type.value if filters.asset_type else "", stage=filters.stage,
        persona=filters.persona, product=filters.product,
    )  # fmt: skip


@router.post("/assets", response={201: AssetOut}, summary="Create an asset (status idea)")
def asset_create(request: HttpRequest, payload: AssetIn) -> Status:
    user = require_role(request, Permission.EDIT_CONTENT)
    asset = services.asset_create(
        title=payload.title, asset_type=payload.asset_type.value, summary=payload.summary,
        body_html=payload.body_html, url=payload.url, tags=_tags(payload.tags), by=user,
    )  # fmt: skip
    return Status(201, asset)


@router.get("/assets/{asset_id}", response=AssetOut, summary="One asset")
def asset_detail(request: HttpRequest, asset_id: int) -> ContentAsset:
    return _asset(asset_id, require_role(request, Permission.VIEW_CONTENT))


@router.patch("/assets/{asset_id}", response=AssetOut, summary="Edit an asset")
def asset_patch(request: HttpRequest, asset_id: int, payload: AssetPatch) -> ContentAsset:
    """A change to title, summary, body or link makes a new version, which sales must approve
    again before the asset can be published."""
    user = require_role(request, Permission.EDIT_CONTENT)
    asset = _asset(asset_id, user)
    fields = payload.dict(exclude_unset=True, exclude={"tags", "note"})
    if "asset_type" in fields and fields["asset_type"] is not None:
        fields["asset_type"] = payload.asset_type.value  # type: ignore[union-attr]
    fields = {k: v for k, v in fields.items() if v is not None}
    return services.asset_update(
        asset=asset, fields=fields, tags=_tags(payload.tags), note=payload.note, by=user
    )


@router.post("/assets/{asset_id}/file", response=AssetOut, summary="Upload the asset's file")
def asset_file(request: HttpRequest, asset_id: int, file: File[UploadedFile]) -> ContentAsset:
    """Multipart upload, at most 25 MB; PDF, PNG, JPEG, PPTX, DOCX, XLSX, MP4, TXT or MD. The
    declared type, the name and the file's first bytes must agree."""
    user = require_role(request, Permission.EDIT_CONTENT)
    asset = _asset(asset_id, user)
    return services.asset_update(asset=asset, fields={}, upload=file, note=f"file {file.name}", by=user)


@router.post("/assets/{asset_id}/status", response=AssetOut, summary="Move an asset to another status")
def asset_status(request: HttpRequest, asset_id: int, payload: StatusIn) -> ContentAsset:
    """idea → brief → in_review → published → retired; publishing needs sales' approval of the
    current version."""
    user = require_role(request, Permission.EDIT_CONTENT)
    return services.asset_transition(asset=_asset(asset_id, user), to_status=payload.status.value, by=user)


@router.post(
    "/assets/{asset_id}/reviews", response={201: ReviewOut}, summary="Sales review of the current version"
)
def asset_review(request: HttpRequest, asset_id: int, payload: ReviewIn) -> Status:
    user = require_role(request, Permission.EDIT_CONTENT)
    review = services.asset_review(
        asset=_asset(asset_id, user), decision=payload.decision.value, comment=payload.comment, by=user
    )
    return Status(201, review)


@router.get("/assets/{asset_id}/usage", response=UsageOut, summary="Shares, opens and deal influence")
def asset_usage_get(request: HttpRequest, asset_id: int) -> dict[str, Any]:
    user = require_role(request, Permission.EDIT_CONTENT)
    usage = asset_usage(asset=_asset(asset_id, user))

    def group(g: Any) -> dict[str, Any]:
        return {"closed": g.closed, "won": g.won, "win_rate": g.win_rate, "revenue": float(g.revenue)}

    return {**usage.__dict__, "touched": group(usage.touched), "untouched": group(usage.untouched)}


@router.get("/search", response=list[SearchHitOut], summary="Search the library")
def search(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=300, description="What you are looking for, in your words."),
    stage: str = Query("", description="Only assets tagged with this funnel stage."),
    persona: str = Query("", description="Only assets tagged with this persona slug."),
    include_drafts: bool = Query(False, description="Also drafts (editors only)."),
    limit: int = Query(10, ge=1, le=50),
) -> list[dict[str, Any]]:
    """Keyword plus semantic search (docs/content.md). Every query is logged; weak results feed
    the "searched but not found" report."""
    user = require_role(request, Permission.VIEW_CONTENT)
    results = content_search(
        user=user, query=q, stage=stage, persona=persona, include_drafts=include_drafts, limit=limit
    )
    return [{"asset": r.asset, "score": r.score, "coverage": r.coverage} for r in results]
