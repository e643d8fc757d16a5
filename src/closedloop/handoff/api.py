"""Handoff API: list handoffs (mine by default), accept one, reject one with a reason code."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from closedloop.accounts.api_auth import require_role
from closedloop.accounts.roles import Permission, Role
from closedloop.handoff import selectors, services
from closedloop.handoff.models import Handoff

router = Router(tags=["handoffs"])


class HandoffOut(Schema):
    id: int
    contact_id: int
    contact_name: str = Field(description="The lead's name, or its email when it has none.")
    stage: str = Field(description="The contact's stage when it was handed off.")
    routed_to: str | None = Field(None, description="Username of the owner the lead was routed to.")
    routed_at: datetime
    routing_reason: str = Field(
        description="Which rule matched, round robin, or why the head of sales got it."
    )
    status: str = Field(description="pending, accepted, rejected or recycled.")
    decided_at: datetime | None = None
    reason_code: str = Field(description="For rejected leads: the reason code, e.g. no_budget.")
    comment: str
    agreement_version_id: int | None = Field(None, description="The agreement in force when it was routed.")

    @staticmethod
    def resolve_contact_name(obj: Handoff) -> str:
        return obj.contact.full_name or obj.contact.email or f"Contact {obj.contact_id}"

    @staticmethod
    def resolve_routed_to(obj: Handoff) -> str | None:
        return obj.routed_to.username if obj.routed_to else None


class HandoffFilters(Schema):
    status: Literal["", "pending", "accepted", "rejected", "recycled"] = Field(
        "pending", description="Only handoffs in this status; empty: all."
    )
    rep_id: int | None = Field(
        None,
        description="Head of sales and admins: this rep's handoffs. Default: your own (heads: everyone's).",
    )


class RejectIn(Schema):
    reason_code: str = Field("", description="An active rejection reason code, e.g. not_a_fit, no_budget.")
    comment: str = Field("", description="What marketing should know; optional but encouraged.")


@router.get("", response=list[HandoffOut], summary="List handoffs, longest waiting first")
@paginate
def handoff_list(request: HttpRequest, filters: Query[HandoffFilters]) -> Any:
    user = require_role(request, Permission.VIEW_HANDOFF_QUEUE)
    sees_all = user.role in (Role.HEAD_OF_SALES, Role.ADMIN) or user.is_superuser
    if sees_all:
        rep: Any = None
        if filters.rep_id is not None:
            rep = selectors.sales_reps_list().filter(pk=filters.rep_id).first()
            if rep is None:
                raise HttpError(404, "no such sales rep")
    else:
        rep = user
    return selectors.lead_queue_for(rep=rep, status=filters.status)


def _get(handoff_id: int) -> Handoff:
    handoff = selectors.handoff_get(handoff_id=handoff_id)
    if handoff is None:
        raise HttpError(404, "no such handoff")
    return handoff


@router.post("/{handoff_id}/accept", response=HandoffOut, summary="Accept a lead")
def handoff_accept(request: HttpRequest, handoff_id: int) -> Handoff:
    """The assigned rep (or the head of sales) takes the lead. A decided handoff gives 422."""
    user = require_role(request, Permission.DECIDE_HANDOFFS)
    return services.handoff_accept(handoff=_get(handoff_id), by=user)


@router.post("/{handoff_id}/reject", response=HandoffOut, summary="Reject a lead back to nurture")
def handoff_reject(request: HttpRequest, handoff_id: int, payload: RejectIn) -> Handoff:
    """Send the lead back to nurture with a reason code; marketing sees the reason in the contact's
    stage history and on the rejections page. A missing or unknown reason gives 422."""
    user = require_role(request, Permission.DECIDE_HANDOFFS)
    return services.handoff_reject(
        handoff=_get(handoff_id), reason_code=payload.reason_code, comment=payload.comment, by=user
    )
