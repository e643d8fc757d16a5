"""Automation API: workflows as JSON (list, create, read, replace, archive, validate, activate,
pause, enroll). Definition errors come back in the one error shape, each `loc` pointing into the
definition (["definition", "steps", 2, "duration"]) and each message naming the step."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from closedloop.accounts.api_auth import require_role
from closedloop.accounts.roles import Permission
from closedloop.automation import selectors, services
from closedloop.automation.models import Workflow
from closedloop.automation.public import router as public_router
from closedloop.automation.workflows import InvalidDefinition, definition_errors
from closedloop.config.api_errors import ErrorItem

router = Router(tags=["automation"])
router.add_router("/t", public_router)


class WorkflowIn(Schema):
    name: str = Field(description="What the workflow is for, e.g. 'Ebook nurture (seed 003)'.")
    description: str = Field("", description="Free text for the team.")
    definition: dict[str, Any] = Field(
        description="trigger, steps, goal and reentry; see docs/automation.md."
    )


class WorkflowPatch(Schema):
    name: str | None = None
    description: str | None = None
    definition: dict[str, Any] | None = Field(None, description="The whole new definition.")


class DefinitionIn(Schema):
    definition: dict[str, Any]


class ValidationOut(Schema):
    valid: bool
    errors: list[ErrorItem] = Field(description="Empty when valid; else every problem, each naming its step.")


class EnrollIn(Schema):
    contact_ids: list[int] = Field(description="Contacts to put into the workflow now.")


class EnrollOut(Schema):
    enrolled: int = Field(description="How many were enrolled (re-entry rules may skip some).")


class WorkflowOut(Schema):
    id: int
    name: str
    description: str
    status: str = Field(description="draft, active, paused or archived.")
    version: int = Field(description="Goes up by one with every change to the definition.")
    definition: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def _invalid(exc: InvalidDefinition) -> JsonResponse:
    return JsonResponse({"errors": [e.as_dict() for e in exc.errors]}, status=422)


def _get(workflow_id: int) -> Workflow:
    workflow = selectors.workflow_get(workflow_id=workflow_id)
    if workflow is None:
        raise HttpError(404, "no such workflow")
    return workflow


@router.get("/workflows", response=list[WorkflowOut], summary="List workflows, latest change first")
@paginate
def workflow_list(request: HttpRequest, include_archived: bool = False) -> Any:
    require_role(request, Permission.VIEW_AUTOMATION)
    return selectors.workflow_list(include_archived=include_archived)


@router.post("/workflows", response={201: WorkflowOut}, summary="Create a workflow (as a draft)")
def workflow_create(request: HttpRequest, payload: WorkflowIn) -> Any:
    user = require_role(request, Permission.MANAGE_AUTOMATION)
    try:
        workflow = services.workflow_create(
            name=payload.name, description=payload.description, definition=payload.definition, by=user
        )
    except InvalidDefinition as exc:
        return _invalid(exc)
    return 201, workflow


@router.post("/workflows/validate", response=ValidationOut, summary="Check a definition without saving it")
def workflow_validate(request: HttpRequest, payload: DefinitionIn) -> Any:
    require_role(request, Permission.VIEW_AUTOMATION)
    errors = definition_errors(payload.definition)
    return {"valid": not errors, "errors": [e.as_dict() for e in errors]}


@router.get("/workflows/{workflow_id}", response=WorkflowOut, summary="One workflow")
def workflow_detail(request: HttpRequest, workflow_id: int) -> Any:
    require_role(request, Permission.VIEW_AUTOMATION)
    return _get(workflow_id)


@router.patch(
    "/workflows/{workflow_id}", response=WorkflowOut, summary="Change name, description or definition"
)
def workflow_update(request: HttpRequest, workflow_id: int, payload: WorkflowPatch) -> Any:
    user = require_role(request, Permission.MANAGE_AUTOMATION)
    workflow = _get(workflow_id)
    try:
        return services.workflow_update(
            workflow=workflow, by=user, name=payload.name, description=payload.description,
            definition=payload.definition,
        )  # fmt: skip
    except InvalidDefinition as exc:
        return _invalid(exc)


@router.delete("/workflows/{workflow_id}", response=WorkflowOut, summary="Archive a workflow")
def workflow_archive(request: HttpRequest, workflow_id: int) -> Any:
    """Contacts still in it leave it; the workflow and its history stay readable."""
    user = require_role(request, Permission.MANAGE_AUTOMATION)
    workflow = _get(workflow_id)
    services.workflow_archive(workflow=workflow, by=user)
    return _get(workflow_id)


@router.post(
    "/workflows/{workflow_id}/activate", response=EnrollOut, summary="Activate (or resume) a workflow"
)
def workflow_activate(request: HttpRequest, workflow_id: int) -> Any:
    user = require_role(request, Permission.MANAGE_AUTOMATION)
    return {"enrolled": services.workflow_activate(workflow=_get(workflow_id), by=user)}


@router.post("/workflows/{workflow_id}/pause", response=WorkflowOut, summary="Pause a workflow")
def workflow_pause(request: HttpRequest, workflow_id: int) -> Any:
    user = require_role(request, Permission.MANAGE_AUTOMATION)
    return services.workflow_pause(workflow=_get(workflow_id), by=user)


@router.post("/workflows/{workflow_id}/enroll", response=EnrollOut, summary="Enroll contacts by hand")
def workflow_enroll(request: HttpRequest, workflow_id: int, payload: EnrollIn) -> Any:
    user = require_role(request, Permission.MANAGE_AUTOMATION)
    return {
        "enrolled": services.workflow_enroll(
            workflow=_get(workflow_id), contact_ids=payload.contact_ids, by=user
        )
    }
