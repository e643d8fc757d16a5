"""Persona pages: the list with live match counts, one persona's co-authored document, and
suggestions from clustering won customers."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from closedloop.accounts.access import requires
from closedloop.accounts.roles import Permission
from closedloop.content import services
from closedloop.content.models import PersonaSection
from closedloop.content.selectors import personas as selectors
from closedloop.content.views.common import error_text
from closedloop.crm.lifecycle import Stage


@requires(Permission.EDIT_CONTENT)
def persona_list(request: HttpRequest) -> HttpResponse:
    personas = list(selectors.persona_list())
    matches = selectors.persona_matches(personas=personas)
    rows = [{"persona": p, "match": matches[p.pk]} for p in personas]
    return render(request, "content/persona_list.html", {"rows": rows})


@requires(Permission.EDIT_CONTENT)
def persona_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            persona = services.persona_create(
                slug=request.POST.get("slug", ""), name=request.POST.get("name", ""),
                summary=request.POST.get("summary", ""), match_rule=request.POST.get("match_rule", ""),
                by=request.user,  # type: ignore[arg-type]
            )  # fmt: skip
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, error_text(exc))
            return render(request, "content/persona_form.html", {"values": request.POST}, status=422)
        return redirect("content_persona", slug=persona.slug)
    return render(request, "content/persona_form.html", {"values": request.GET})


def _persona_or_404(slug: str):  # type: ignore[no-untyped-def]
    persona = selectors.persona_get(slug=slug)
    if persona is None:
        raise Http404("No such persona.")
    return persona


@requires(Permission.EDIT_CONTENT)
def persona_detail(request: HttpRequest, slug: str) -> HttpResponse:
    persona = _persona_or_404(slug)
    context = {
        "persona": persona,
        "document": selectors.persona_document(persona=persona),
        "history": selectors.persona_history(persona=persona)[:50],
        "match": selectors.persona_matches(personas=[persona])[persona.pk],
        "sections": PersonaSection.choices,
        "stages": Stage.choices,
        "comments": list(persona.comments.filter(contribution__isnull=True).select_related("author")),
    }
    return render(request, "content/persona_detail.html", context)


@require_POST
@requires(Permission.EDIT_CONTENT)
def persona_contribute(request: HttpRequest, slug: str) -> HttpResponse:
    persona = _persona_or_404(slug)
    replaces_id = request.POST.get("replaces", "")
    replaces = persona.contributions.filter(pk=replaces_id).first() if replaces_id.isdigit() else None
    try:
        services.persona_contribute(
            persona=persona, section=request.POST.get("section", ""), stage=request.POST.get("stage", ""),
            text=request.POST.get("text", ""), replaces=replaces, by=request.user,  # type: ignore[arg-type]
        )  # fmt: skip
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, "Added to the persona.")
    return redirect("content_persona", slug=persona.slug)


@require_POST
@requires(Permission.EDIT_CONTENT)
def persona_comment(request: HttpRequest, slug: str) -> HttpResponse:
    persona = _persona_or_404(slug)
    contribution_id = request.POST.get("contribution", "")
    contribution = (
        persona.contributions.filter(pk=contribution_id).first() if contribution_id.isdigit() else None
    )
    try:
        services.persona_comment_add(persona=persona, body=request.POST.get("body", ""), contribution=contribution,
                                     by=request.user)  # type: ignore[arg-type]  # fmt: skip
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    return redirect("content_persona", slug=persona.slug)


@require_POST
@requires(Permission.EDIT_CONTENT)
def persona_edit(request: HttpRequest, slug: str) -> HttpResponse:
    persona = _persona_or_404(slug)
    try:
        services.persona_update(
            persona=persona, name=request.POST.get("name"), summary=request.POST.get("summary"),
            match_rule=request.POST.get("match_rule"), by=request.user,  # type: ignore[arg-type]
        )  # fmt: skip
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, "Saved.")
    return redirect("content_persona", slug=persona.slug)


@requires(Permission.EDIT_CONTENT)
def persona_suggestions(request: HttpRequest) -> HttpResponse:
    return render(
        request, "content/persona_suggestions.html", {"suggestions": selectors.persona_suggestion_list()}
    )
