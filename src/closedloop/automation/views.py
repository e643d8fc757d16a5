"""Pages: the workflow list, the builder (flow diagram, JSON editor with errors per step,
activate/pause/archive) and the outbox. Views parse input, call one service or selector, render."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from closedloop.accounts.access import requires
from closedloop.accounts.roles import Permission
from closedloop.automation import selectors, services
from closedloop.automation.diagram import flow_layers
from closedloop.automation.models import OutboxStatus, Workflow
from closedloop.automation.templates_library import SEED_003_EBOOK_NURTURE
from closedloop.automation.workflows import DefinitionError, InvalidDefinition, flow_parse


def _workflow(workflow_id: int) -> Workflow:
    workflow = selectors.workflow_get(workflow_id=workflow_id)
    if workflow is None:
        raise Http404("No such workflow.")
    return workflow


def _parse_json(text: str) -> tuple[object, list[DefinitionError]]:
    try:
        return json.loads(text), []
    except json.JSONDecodeError as exc:
        return None, [
            DefinitionError((), f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
        ]


def _loc(error: DefinitionError) -> str:
    return " › ".join(str(part) for part in error.loc) or "definition"


@requires(Permission.VIEW_AUTOMATION)
def workflow_list(request: HttpRequest) -> HttpResponse:
    context = {
        "workflows": selectors.workflow_list(include_archived=request.GET.get("archived") == "1"),
        "outbox": selectors.outbox_summary(),
        "can_manage": request.user.has_role(Permission.MANAGE_AUTOMATION),  # type: ignore[union-attr]
    }
    return render(request, "automation/workflow_list.html", context)


@requires(Permission.MANAGE_AUTOMATION)
def workflow_new(request: HttpRequest) -> HttpResponse:
    errors: list[DefinitionError] = []
    name = request.POST.get("name", "Ebook nurture (seed 003)")
    text = request.POST.get("definition", json.dumps(SEED_003_EBOOK_NURTURE, indent=2))
    if request.method == "POST":
        definition, errors = _parse_json(text)
        if not errors:
            try:
                workflow = services.workflow_create(name=name, definition=definition, by=request.user)  # type: ignore[arg-type]
            except InvalidDefinition as exc:
                errors = exc.errors
            except ValidationError as exc:
                errors = [DefinitionError((), m) for m in exc.messages]
            else:
                messages.success(
                    request, f"Created {workflow.name} as a draft. Activate it when it looks right."
                )
                return redirect("automation_workflow", workflow_id=workflow.pk)
    context = {"name": name, "definition_text": text, "errors": [(_loc(e), e.msg) for e in errors]}
    return render(request, "automation/workflow_new.html", context, status=422 if errors else 200)


@requires(Permission.VIEW_AUTOMATION)
def workflow_detail(request: HttpRequest, workflow_id: int) -> HttpResponse:
    workflow = _workflow(workflow_id)
    return _detail(request, workflow, json.dumps(workflow.definition, indent=2), [])


@require_POST
@requires(Permission.MANAGE_AUTOMATION)
def workflow_edit(request: HttpRequest, workflow_id: int) -> HttpResponse:
    workflow = _workflow(workflow_id)
    text = request.POST.get("definition", "")
    definition, errors = _parse_json(text)
    if not errors:
        try:
            services.workflow_update(workflow=workflow, definition=definition, by=request.user)  # type: ignore[arg-type]
        except InvalidDefinition as exc:
            errors = exc.errors
        except ValidationError as exc:
            errors = [DefinitionError((), m) for m in exc.messages]
        else:
            messages.success(request, "Saved. Contacts in the workflow continue from where they are.")
            return redirect("automation_workflow", workflow_id=workflow.pk)
    return _detail(request, workflow, text, errors, status=422)


def _detail(
    request: HttpRequest, workflow: Workflow, text: str, errors: list[DefinitionError], status: int = 200
) -> HttpResponse:
    flow = flow_parse(workflow.definition)
    layers = flow_layers(
        flow,
        counts=selectors.workflow_step_counts(workflow=workflow),
        emails=selectors.workflow_email_stats(workflow=workflow),
    )
    context = {
        "workflow": workflow,
        "layers": layers,
        "trigger": flow.trigger,
        "goal": flow.goal,
        "reentry": flow.reentry,
        "definition_text": text,
        "errors": [(_loc(e), e.msg) for e in errors],
        "can_manage": request.user.has_role(Permission.MANAGE_AUTOMATION),  # type: ignore[union-attr]
    }
    return render(request, "automation/workflow_detail.html", context, status=status)


def _action(request: HttpRequest, workflow_id: int, action: str) -> HttpResponse:
    workflow = _workflow(workflow_id)
    try:
        if action == "activate":
            enrolled = services.workflow_activate(workflow=workflow, by=request.user)  # type: ignore[arg-type]
            messages.success(request, f"Active. {enrolled} contacts already in the audience were enrolled.")
        elif action == "pause":
            services.workflow_pause(workflow=workflow, by=request.user)  # type: ignore[arg-type]
            messages.success(request, "Paused: contacts stay where they are until you activate it again.")
        else:
            left = services.workflow_archive(workflow=workflow, by=request.user)  # type: ignore[arg-type]
            messages.success(request, f"Archived; {left} contacts left the workflow.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("automation_workflow", workflow_id=workflow.pk)


@require_POST
@requires(Permission.MANAGE_AUTOMATION)
def workflow_activate(request: HttpRequest, workflow_id: int) -> HttpResponse:
    return _action(request, workflow_id, "activate")


@require_POST
@requires(Permission.MANAGE_AUTOMATION)
def workflow_pause(request: HttpRequest, workflow_id: int) -> HttpResponse:
    return _action(request, workflow_id, "pause")


@require_POST
@requires(Permission.MANAGE_AUTOMATION)
def workflow_archive(request: HttpRequest, workflow_id: int) -> HttpResponse:
    return _action(request, workflow_id, "archive")


@requires(Permission.VIEW_AUTOMATION)
def outbox(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in OutboxStatus.values else ""
    context = {
        "emails": selectors.outbox_recent(status=status, limit=100),
        "summary": selectors.outbox_summary(),
        "status": status,
        "statuses": OutboxStatus.choices,
        "suppressions": selectors.suppression_list()[:50],
    }
    return render(request, "automation/outbox.html", context)
