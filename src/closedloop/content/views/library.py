"""The library: search and browse, one asset with its story, create and edit, workflow actions."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from closedloop.accounts.access import requires
from closedloop.accounts.roles import Permission
from closedloop.content import services
from closedloop.content.access import check_may_see, sees_drafts
from closedloop.content.models import AssetStatus, AssetType, ContentAsset, ProspectFeedback, ReviewDecision
from closedloop.content.selectors import assets as selectors
from closedloop.content.selectors.personas import persona_list
from closedloop.content.selectors.search import content_search
from closedloop.content.selectors.usage import asset_usage
from closedloop.content.services.assets import TRANSITIONS
from closedloop.content.sides import is_sales
from closedloop.content.views.common import error_text, tags_from_post
from closedloop.crm.lifecycle import Stage


def _asset_or_404(request: HttpRequest, asset_id: int) -> ContentAsset:
    asset = selectors.asset_get(asset_id=asset_id)
    if asset is None:
        raise Http404("No such asset.")
    check_may_see(request.user, asset)  # type: ignore[arg-type]
    return asset


@requires(Permission.VIEW_CONTENT)
def library(request: HttpRequest) -> HttpResponse:
    user = request.user
    q = request.GET.get("q", "").strip()
    stage = request.GET.get("stage", "")
    stage = stage if stage in Stage.values else ""
    persona = request.GET.get("persona", "")
    status = request.GET.get("status", "")
    status = status if status in AssetStatus.values else ""
    asset_type = request.GET.get("type", "")
    asset_type = asset_type if asset_type in AssetType.values else ""
    results = None
    assets = None
    if q:
        results = content_search(user=user, query=q, stage=stage, persona=persona,  # type: ignore[arg-type]
                                 include_drafts=bool(status and status != AssetStatus.PUBLISHED))  # fmt: skip
    else:
        assets = list(
            selectors.asset_list(
                user=user, status=status, asset_type=asset_type, stage=stage, persona=persona
            )
        )  # type: ignore[arg-type]
    context = {
        "q": q, "stage": stage, "persona": persona, "status": status, "asset_type": asset_type,
        "results": results, "assets": assets, "stages": Stage.choices, "personas": list(persona_list()),
        "statuses": AssetStatus.choices, "types": AssetType.choices, "sees_drafts": sees_drafts(user),  # type: ignore[arg-type]
    }  # fmt: skip
    return render(request, "content/library.html", context)


@requires(Permission.VIEW_CONTENT)
def asset_detail(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = _asset_or_404(request, asset_id)
    user = request.user
    editor = sees_drafts(user)  # type: ignore[arg-type]
    context = {
        "asset": asset,
        "tags": selectors.asset_tags(asset=asset),
        "editor": editor,
        "next_statuses": [(s, AssetStatus(s).label) for s in TRANSITIONS[asset.status]] if editor else [],
        "may_review": editor and is_sales(user) and asset.status == AssetStatus.IN_REVIEW,  # type: ignore[arg-type]
        "review_choices": ReviewDecision.choices,
        "outcomes": ProspectFeedback.Outcome.choices,
    }
    if editor:
        context.update({
            "versions": list(asset.versions.select_related("created_by")),
            "reviews": list(asset.reviews.select_related("reviewer")),
            "feedback": list(asset.feedback.select_related("author", "deal")),
            "brief": getattr(asset, "brief", None) if hasattr(asset, "brief") else None,
            "shortlisted": asset.shortlists.filter(user=user).exists(),
            "shortlist_count": asset.shortlists.count(),
            "shares": list(selectors.shared_link_list(user=user, asset=asset)[:20]),  # type: ignore[arg-type]
            "usage": asset_usage(asset=asset),
        })  # fmt: skip
        if context["brief"] is not None:
            context["brief_comments"] = list(context["brief"].comments.select_related("author"))
    return render(request, "content/asset_detail.html", context)


@requires(Permission.VIEW_CONTENT)
def asset_file(request: HttpRequest, asset_id: int) -> FileResponse:
    asset = _asset_or_404(request, asset_id)
    if not asset.file:
        raise Http404("This asset has no file.")
    return FileResponse(
        asset.file.open("rb"), as_attachment=True, filename=asset.file_name, content_type=asset.file_type
    )


def _form_context(asset: ContentAsset | None, tags: dict | None = None) -> dict:
    return {
        "asset": asset, "types": AssetType.choices, "stages": Stage.choices, "personas": list(persona_list()),
        "tags": tags or (selectors.asset_tags(asset=asset) if asset else {"stage": [], "persona": [], "product": [], "campaign": []}),
    }  # fmt: skip


@requires(Permission.EDIT_CONTENT)
def asset_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            asset = services.asset_create(
                title=request.POST.get("title", ""), asset_type=request.POST.get("asset_type", ""),
                summary=request.POST.get("summary", ""), body_html=request.POST.get("body_html", ""),
                url=request.POST.get("url", ""), upload=request.FILES.get("file"), tags=tags_from_post(request.POST),
                by=request.user,  # type: ignore[arg-type]
            )  # fmt: skip
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
            context = _form_context(None, tags_from_post(request.POST))
            context["values"] = request.POST
            return render(request, "content/asset_form.html", context, status=422)
        messages.success(request, f"Created {asset.title}.")
        return redirect("content_asset", asset_id=asset.pk)
    return render(request, "content/asset_form.html", _form_context(None))


@requires(Permission.EDIT_CONTENT)
def asset_edit(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = _asset_or_404(request, asset_id)
    if request.method == "POST":
        fields = {k: request.POST.get(k, "") for k in ("title", "asset_type", "summary", "body_html", "url")}
        try:
            services.asset_update(
                asset=asset, fields=fields, upload=request.FILES.get("file"), tags=tags_from_post(request.POST),
                note=request.POST.get("note", ""), by=request.user,  # type: ignore[arg-type]
            )  # fmt: skip
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
            context = _form_context(asset, tags_from_post(request.POST))
            context["values"] = request.POST
            return render(request, "content/asset_form.html", context, status=422)
        messages.success(request, "Saved.")
        return redirect("content_asset", asset_id=asset.pk)
    return render(request, "content/asset_form.html", _form_context(asset))


def _act(request: HttpRequest, asset_id: int, action) -> HttpResponse:  # type: ignore[no-untyped-def]
    asset = _asset_or_404(request, asset_id)
    try:
        message = action(asset)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, message)
    return redirect("content_asset", asset_id=asset.pk)


@require_POST
@requires(Permission.EDIT_CONTENT)
def asset_status(request: HttpRequest, asset_id: int) -> HttpResponse:
    def act(asset: ContentAsset) -> str:
        asset = services.asset_transition(
            asset=asset, to_status=request.POST.get("status", ""), by=request.user
        )  # type: ignore[arg-type]
        return f"{asset.title} is now {asset.get_status_display().lower()}."

    return _act(request, asset_id, act)


@require_POST
@requires(Permission.EDIT_CONTENT)
def asset_review(request: HttpRequest, asset_id: int) -> HttpResponse:
    def act(asset: ContentAsset) -> str:
        review = services.asset_review(
            asset=asset, decision=request.POST.get("decision", ""), comment=request.POST.get("comment", ""),
            by=request.user,  # type: ignore[arg-type]
        )  # fmt: skip
        return f"{review.get_decision_display()}: version {review.version}."

    return _act(request, asset_id, act)


@require_POST
@requires(Permission.EDIT_CONTENT)
def asset_shortlist(request: HttpRequest, asset_id: int) -> HttpResponse:
    def act(asset: ContentAsset) -> str:
        on = services.asset_shortlist_toggle(asset=asset, by=request.user)  # type: ignore[arg-type]
        return "Shortlisted." if on else "Removed from your shortlist."

    return _act(request, asset_id, act)


@require_POST
@requires(Permission.EDIT_CONTENT)
def asset_brief(request: HttpRequest, asset_id: int) -> HttpResponse:
    def act(asset: ContentAsset) -> str:
        due = request.POST.get("due_on", "")
        services.brief_save(
            asset=asset, goal=request.POST.get("goal", ""), key_messages=request.POST.get("key_messages", ""),
            sales_questions=request.POST.get("sales_questions", ""), due_on=parse_date(due) if due else None,
            by=request.user,  # type: ignore[arg-type]
        )  # fmt: skip
        return "Brief saved."

    return _act(request, asset_id, act)


@require_POST
@requires(Permission.EDIT_CONTENT)
def brief_comment(request: HttpRequest, asset_id: int) -> HttpResponse:
    def act(asset: ContentAsset) -> str:
        if not hasattr(asset, "brief"):
            raise ValidationError({"brief": "this asset has no brief yet"})
        services.brief_comment_add(brief=asset.brief, body=request.POST.get("body", ""), by=request.user)  # type: ignore[arg-type]
        return "Comment added."

    return _act(request, asset_id, act)


@require_POST
@requires(Permission.EDIT_CONTENT)
def asset_feedback(request: HttpRequest, asset_id: int) -> HttpResponse:
    def act(asset: ContentAsset) -> str:
        services.prospect_feedback_add(
            asset=asset, outcome=request.POST.get("outcome", ""), note=request.POST.get("note", ""),
            by=request.user,  # type: ignore[arg-type]
        )  # fmt: skip
        return "Thanks: your feedback from prospects is recorded."

    return _act(request, asset_id, act)
