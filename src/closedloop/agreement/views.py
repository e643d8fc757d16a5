"""Agreement pages: the active agreement as a readable SLA document (every signed-in user), the
versions, a version with the draft editor and its lifecycle buttons, the diff between two versions,
and the editor's live rule check (htmx). Views parse input, call one service or selector, render."""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from closedloop.accounts.access import requires
from closedloop.accounts.roles import Permission
from closedloop.agreement import selectors, services
from closedloop.agreement.content import stage_label
from closedloop.agreement.diff import text_diff
from closedloop.agreement.forms import EditorForms
from closedloop.agreement.models import AgreementVersion, Side, Status
from closedloop.agreement.plain_text import lines_of
from closedloop.audit.selectors import audit_entry_list
from closedloop.rules import RuleError

HISTORY_SHOWN = 50


@dataclass(frozen=True)
class StageView:
    stage: str
    label: str
    rule: str
    explanation: str
    owner_team: str
    in_words: str
    is_sales_ready: bool


def _version(number: int) -> AgreementVersion:
    version = selectors.agreement_version_get(number=number)
    if version is None:
        raise Http404("No such agreement version.")
    return version


def _messages(exc: ValidationError) -> list[str]:
    return list(exc.messages)


def document_context(version: AgreementVersion) -> dict[str, Any]:
    """What the SLA document shows for one version (seed 003's sections)."""
    stages = [
        StageView(
            stage=d.stage,
            label=stage_label(d.stage),
            rule=d.rule,
            explanation=d.explanation,
            owner_team=d.owner_team,
            in_words=selectors.rule_describe(source=d.rule),
            is_sales_ready=d.stage == version.sales_ready_stage,
        )
        for d in version.stage_definitions.all()
    ]
    signatures = {s.side: s for s in version.signatures.all()}
    return {
        "version": version,
        "stages": stages,
        "marketing_stages": [s for s in stages if s.owner_team == Side.MARKETING],
        "sales_stages": [s for s in stages if s.owner_team == Side.SALES],
        "marketing_lines": lines_of(version.marketing_responsibilities),
        "sales_lines": lines_of(version.sales_responsibilities),
        "sla_terms": list(version.sla_terms.all()),
        "personas": list(version.personas.all()),
        "qualifiers": list(version.qualifiers.all()),
        "signature_rows": [(side, label, signatures.get(side)) for side, label in Side.choices],
        "sales_ready_label": stage_label(version.sales_ready_stage),
    }


@requires(Permission.VIEW_AGREEMENT)
def agreement_document(request: HttpRequest) -> HttpResponse:
    version = selectors.agreement_active_get()
    context: dict[str, Any] = {"version": version}
    if version is not None:
        context.update(document_context(version))
    return render(request, "agreement/document.html", context)


@requires(Permission.VIEW_AGREEMENT_VERSIONS)
def version_list(request: HttpRequest) -> HttpResponse:
    versions = list(selectors.agreement_version_list())
    for v in versions:
        v.signed_sides = {s.side: s for s in v.signatures.all()}  # type: ignore[attr-defined]
    return render(request, "agreement/version_list.html", {"versions": versions})


@require_POST
@requires(Permission.EDIT_AGREEMENT)
def draft_create(request: HttpRequest) -> HttpResponse:
    source = None
    if request.POST.get("from"):
        try:
            source = _version(int(request.POST["from"]))
        except ValueError:
            raise Http404("No such agreement version.") from None
    version = services.agreement_draft_create(by=request.user, from_version=source)  # type: ignore[arg-type]
    messages.success(request, f"Draft v{version.number} created. Edit it, then propose it for signature.")
    return redirect("agreement_version", number=version.number)


def _rule_checks(version: AgreementVersion) -> dict[str, Any]:
    return {d.stage: _check_view(d.rule) for d in version.stage_definitions.all()}


def _check_view(source: str) -> dict[str, Any]:
    check = selectors.rule_check(source=source)
    lines = source.split("\n")
    errors = [
        {
            "error": err,
            "line_text": lines[err.line - 1] if 0 < err.line <= len(lines) else "",
            "caret": " " * max(0, err.column - 1) + "^" * max(1, min(err.end_offset - err.offset, 40)),
        }
        for err in check.errors
    ]
    return {"check": check, "errors": errors}


@requires(Permission.VIEW_AGREEMENT_VERSIONS)
def version_detail(request: HttpRequest, number: int) -> HttpResponse:
    version = _version(number)
    user: Any = request.user
    can_edit = user.has_role(Permission.EDIT_AGREEMENT)
    editor = None
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Your role may not edit the agreement.")
        editor = EditorForms(version, request.POST)
        if editor.is_valid():
            was_proposed = version.status == Status.PROPOSED
            try:
                services.agreement_draft_update(version=version, by=user, **editor.changes())
            except ValidationError as exc:
                errors = _messages(exc)
            else:
                note = " It is a draft again; propose it when you are done." if was_proposed else ""
                messages.success(request, f"Saved v{version.number}.{note}")
                return redirect("agreement_version", number=version.number)
        else:
            errors = editor.errors()
        status = 400
    if editor is None and can_edit and version.is_editable:
        editor = EditorForms(version)
    active = selectors.agreement_active_get()
    context = {
        **document_context(version),
        "editor": editor,
        "errors": errors,
        "can_edit": can_edit,
        "problems": selectors.agreement_problems(version=version) if version.status == Status.DRAFT else [],
        "rule_checks": _rule_checks(version) if editor is not None else {},
        "signable_sides": selectors.agreement_signable_sides(version=version, user=user),
        "active": active,
        "is_stale": bool(
            version.is_editable
            and active is not None
            and active.pk != version.pk
            and version.parent_id != active.pk
        ),
        "history": audit_entry_list(obj=version)[:HISTORY_SHOWN],
    }
    return render(request, "agreement/version_detail.html", context, status=status)


def _lifecycle(request: HttpRequest, number: int, action: str) -> HttpResponse:
    version = _version(number)
    user: Any = request.user
    try:
        if action == "propose":
            services.agreement_propose(version=version, by=user)
            messages.success(
                request, f"v{number} is proposed. The heads of marketing and sales can now sign it."
            )
        elif action == "sign":
            version = services.agreement_sign(version=version, user=user, side=request.POST.get("side", ""))
            if version.status == Status.ACTIVE:
                messages.success(
                    request, f"Signed. Both heads have signed: v{number} is now the active agreement."
                )
            else:
                messages.success(request, f"Signed v{number}. It becomes active when the other head signs.")
        elif action == "withdraw":
            services.agreement_withdraw(version=version, by=user, reason=request.POST.get("reason", ""))
            messages.success(request, f"v{number} was withdrawn.")
    except ValidationError as exc:
        for message in _messages(exc):
            messages.error(request, message)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("agreement_version", number=number)


@require_POST
@requires(Permission.EDIT_AGREEMENT)
def version_propose(request: HttpRequest, number: int) -> HttpResponse:
    return _lifecycle(request, number, "propose")


@require_POST
@requires(Permission.VIEW_AGREEMENT_VERSIONS)
def version_sign(request: HttpRequest, number: int) -> HttpResponse:
    # The service decides who may sign which side; a refusal comes back as a message.
    return _lifecycle(request, number, "sign")


@require_POST
@requires(Permission.EDIT_AGREEMENT)
def version_withdraw(request: HttpRequest, number: int) -> HttpResponse:
    return _lifecycle(request, number, "withdraw")


@requires(Permission.VIEW_AGREEMENT_VERSIONS)
def version_diff(request: HttpRequest, a: int, b: int) -> HttpResponse:
    old, new = _version(a), _version(b)
    diff = selectors.agreement_diff(old=old, new=new)
    order_lines = (
        text_diff("\n".join(diff.stage_order[0]), "\n".join(diff.stage_order[1])) if diff.stage_order else []
    )
    context = {"old": old, "new": new, "diff": diff, "stage_order_lines": order_lines}
    return render(request, "agreement/diff.html", context)


@require_POST
@requires(Permission.EDIT_AGREEMENT)
def rule_validate(request: HttpRequest) -> HttpResponse:
    """htmx: the editor posts the rule textarea as it changes; the answer replaces its status line."""
    # The editor's textareas are named like "defs-2-rule"; API-style callers may send "source".
    rule_keys = [k for k in request.POST if k.endswith("-rule")]
    source = request.POST.get("source", request.POST.get(rule_keys[0], "") if rule_keys else "")
    try:
        context = _check_view(source)
    except RuleError as exc:  # describe() on a rule validate() accepted; should not happen
        context = {"check": None, "errors": [{"error": exc, "line_text": "", "caret": ""}]}
    return render(request, "agreement/_rule_check.html", context)
