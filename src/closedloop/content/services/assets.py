"""Content library writes: create and edit assets (every edit is a version), tag them, and move
them through idea → brief → in review → published → retired."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.audit.services import audit_record
from closedloop.content.models import (
    AssetReview,
    AssetStatus,
    AssetTag,
    AssetType,
    AssetVersion,
    ContentAsset,
    Persona,
    ReviewDecision,
    TagKind,
)
from closedloop.content.rich_text import html_sanitize, text_clean
from closedloop.content.services.personas import check_may_edit
from closedloop.content.uploads import upload_check
from closedloop.crm.lifecycle import Stage

S = AssetStatus
# Back steps exist because review sends drafts back and retired content is sometimes revived.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.IDEA: (S.BRIEF, S.RETIRED),
    S.BRIEF: (S.IN_REVIEW, S.IDEA, S.RETIRED),
    S.IN_REVIEW: (S.PUBLISHED, S.BRIEF, S.RETIRED),
    S.PUBLISHED: (S.IN_REVIEW, S.RETIRED),
    S.RETIRED: (S.IN_REVIEW,),
}
_CONTENT_FIELDS = ("title", "summary", "body_html", "url")


def _url_checked(url: str) -> str:
    url = (url or "").strip()
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise ValidationError({"url": f"{url[:80]!r} is not an http(s) address"}) from None
    return url


def tags_checked(tags: Mapping[str, Sequence[str]] | None) -> list[tuple[str, str]]:
    """Validated (kind, value) pairs. Stages and personas must exist, because search filters
    and the persona pages rely on the exact values."""
    pairs: list[tuple[str, str]] = []
    if not tags:
        return pairs
    personas = set(Persona.objects.values_list("slug", flat=True))
    for kind, values in tags.items():
        if kind not in TagKind.values:
            raise ValidationError({"tags": f"unknown tag kind {kind!r}; one of {', '.join(TagKind.values)}"})
        for raw in values:
            value = text_clean(raw, max_length=120)
            if not value:
                continue
            if kind == TagKind.STAGE and value not in Stage.values:
                raise ValidationError(
                    {f"tags.{kind}": f"unknown funnel stage {value!r}; one of {', '.join(Stage.values)}"}
                )
            if kind == TagKind.PERSONA and value not in personas:
                raise ValidationError(
                    {
                        f"tags.{kind}": f"no persona {value!r}; create it first or pick one of {', '.join(sorted(personas)) or 'none yet'}"
                    }
                )
            if (kind, value) not in pairs:
                pairs.append((kind, value))
    return pairs


def _file_store(asset: ContentAsset, upload: UploadedFile) -> None:
    content_type = upload_check(upload)
    asset.file.save(PurePath(upload.name or "file").name, upload, save=False)
    asset.file_name = PurePath(upload.name or "file").name[:255]
    asset.file_type = content_type
    asset.file_size = upload.size or 0


def _version_record(asset: ContentAsset, *, by: User, note: str, now: datetime) -> AssetVersion:
    return AssetVersion.objects.create(
        asset=asset, number=asset.version, title=asset.title, summary=asset.summary, body_html=asset.body_html,
        url=asset.url, file=asset.file.name or "", file_name=asset.file_name, note=note[:500], created_by=by,
        created_at=now,
    )  # fmt: skip


@transaction.atomic
def asset_create(
    *,
    title: str,
    asset_type: str,
    by: User,
    owner: User | None = None,
    summary: str = "",
    body_html: str = "",
    url: str = "",
    upload: UploadedFile | None = None,
    tags: Mapping[str, Sequence[str]] | None = None,
    now: datetime | None = None,
) -> ContentAsset:
    check_may_edit(by)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    title = text_clean(title, max_length=200)
    if not title:
        errors["title"] = "give the asset a title"
    if asset_type not in AssetType.values:
        errors["asset_type"] = f"unknown type {asset_type!r}; one of {', '.join(AssetType.values)}"
    if errors:
        raise ValidationError(errors)
    pairs = tags_checked(tags)
    asset = ContentAsset(
        title=title, asset_type=asset_type, summary=text_clean(summary, max_length=5000),
        body_html=html_sanitize(body_html), url=_url_checked(url), owner=owner or by, status=S.IDEA,
        version=1, created_at=now, updated_at=now,
    )  # fmt: skip
    if upload is not None:
        _file_store(asset, upload)
    asset.save()
    AssetTag.objects.bulk_create([AssetTag(asset=asset, kind=k, value=v) for k, v in pairs])
    _version_record(asset, by=by, note="created", now=now)
    audit_record(
        actor=by, action="content.asset_create", obj=asset, summary=f"Created {asset.get_asset_type_display()} {title}",
        changes={"tags": [f"{k}:{v}" for k, v in pairs]}, at=now,
    )  # fmt: skip
    return asset


@transaction.atomic
def asset_update(
    *,
    asset: ContentAsset,
    by: User,
    fields: Mapping[str, Any],
    upload: UploadedFile | None = None,
    tags: Mapping[str, Sequence[str]] | None = None,
    note: str = "",
    now: datetime | None = None,
) -> ContentAsset:
    """Change the asset; a change to its content makes a new version (sales reviews versions)."""
    check_may_edit(by)
    now = now or timezone.now()
    asset = ContentAsset.objects.select_for_update().get(pk=asset.pk)
    unknown = set(fields) - {*_CONTENT_FIELDS, "asset_type", "owner"}
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "this field cannot be changed here"})
    clean: dict[str, Any] = {}
    if "title" in fields:
        clean["title"] = text_clean(fields["title"], max_length=200)
        if not clean["title"]:
            raise ValidationError({"title": "give the asset a title"})
    if "summary" in fields:
        clean["summary"] = text_clean(fields["summary"], max_length=5000)
    if "body_html" in fields:
        clean["body_html"] = html_sanitize(fields["body_html"])
    if "url" in fields:
        clean["url"] = _url_checked(fields["url"])
    if "asset_type" in fields:
        if fields["asset_type"] not in AssetType.values:
            raise ValidationError({"asset_type": f"unknown type {fields['asset_type']!r}"})
        clean["asset_type"] = fields["asset_type"]
    if "owner" in fields:
        if not isinstance(fields["owner"], User):
            raise ValidationError({"owner": "pick a user"})
        clean["owner"] = fields["owner"]
    pairs = tags_checked(tags) if tags is not None else None
    changes = {k: [str(getattr(asset, k)), str(v)] for k, v in clean.items() if getattr(asset, k) != v}
    content_changed = any(k in _CONTENT_FIELDS for k in changes) or upload is not None
    for key, value in clean.items():
        setattr(asset, key, value)
    if upload is not None:
        _file_store(asset, upload)
        changes["file"] = ["", asset.file_name]
    if content_changed:
        asset.version += 1
    asset.updated_at = now
    asset.save()
    if pairs is not None:
        before = {f"{t.kind}:{t.value}" for t in asset.tags.all()}
        asset.tags.all().delete()
        AssetTag.objects.bulk_create([AssetTag(asset=asset, kind=k, value=v) for k, v in pairs])
        after = {f"{k}:{v}" for k, v in pairs}
        if before != after:
            changes["tags"] = [sorted(before), sorted(after)]  # type: ignore[list-item]
    if content_changed:
        _version_record(asset, by=by, note=note or "edited", now=now)
    audit_record(
        actor=by, action="content.asset_update", obj=asset, summary=f"Edited {asset.title} (v{asset.version})",
        changes=changes, at=now,
    )  # fmt: skip
    return asset


def _has_content(asset: ContentAsset) -> bool:
    return bool(asset.body_html or asset.url or asset.file)


@transaction.atomic
def asset_transition(
    *, asset: ContentAsset, to_status: str, by: User, now: datetime | None = None
) -> ContentAsset:
    check_may_edit(by)
    now = now or timezone.now()
    asset = ContentAsset.objects.select_for_update().get(pk=asset.pk)
    current = asset.status
    if to_status not in S.values:
        raise ValidationError({"status": f"unknown status {to_status!r}; one of {', '.join(S.values)}"})
    if to_status not in TRANSITIONS[current]:
        allowed = ", ".join(S(s).label.lower() for s in TRANSITIONS[current])
        raise ValidationError(
            {"status": f"an asset that is {S(current).label.lower()} cannot become {S(to_status).label.lower()}; "
             f"it can become {allowed}"}
        )  # fmt: skip
    if to_status == S.PUBLISHED:
        if not _has_content(asset):
            raise ValidationError({"status": "add a body, a file or a link before publishing"})
        latest = AssetReview.objects.filter(asset=asset, version=asset.version).first()
        if latest is None or latest.decision != ReviewDecision.APPROVED:
            raise ValidationError(
                {
                    "status": f"sales has not approved version {asset.version} yet; ask a rep or the head of sales to review it"
                }
            )
        asset.published_at = now
    asset.status = to_status
    asset.updated_at = now
    asset.save(update_fields=["status", "updated_at", "published_at"])
    audit_record(
        actor=by, action="content.asset_transition", obj=asset,
        summary=f"{asset.title}: {S(current).label} → {S(to_status).label}", changes={"status": [current, to_status]},
        at=now,
    )  # fmt: skip
    return asset
