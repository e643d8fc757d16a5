"""Alarms API: list alarms (filtered, paginated), read one, acknowledge one, and mark a landing
page reviewed by sales. Partners see only the alarms of their campaigns; acknowledging is for
internal roles. Alarms are raised by `closedloop alarms check`, not through the API."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from closedloop.accounts.api_auth import require_role
from closedloop.accounts.models import User
from closedloop.accounts.roles import Permission
from closedloop.alarms import selectors, services
from closedloop.alarms.models import Alarm, AlarmKind
from closedloop.tracking.models import LandingPage

router = Router(tags=["alarms"])


class AlarmOut(Schema):
    id: int
    kind: str = Field(description=f"One of {', '.join(AlarmKind.values)}.")
    severity: str = Field(description="info, warning or critical.")
    status: str = Field(description="open, acknowledged or resolved.")
    title: str
    message: str = Field(description="What happened, with the numbers and the test that backs it.")
    evidence: dict[str, Any] = Field(description="The numbers behind the message, per kind (docs/alarms.md).")
    subject_key: str = Field(description='Stable id of the subject, e.g. "campaign:12" or "stage:mql>sql".')
    campaign_id: int | None = None
    campaign: str | None = Field(None, description="Campaign name, for campaign alarms.")
    landing_page_id: int | None = None
    landing_page_url: str | None = None
    stage_pair: str = Field(description='For stage alarms, e.g. "mql>sql"; else "".')
    first_raised_at: datetime
    last_seen_at: datetime = Field(description="The last check that still found the condition.")
    acknowledged_by: str | None = Field(None, description="Username of who acknowledged it.")
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: str

    @staticmethod
    def resolve_evidence(obj: Alarm, context: dict[str, Any]) -> dict[str, Any]:
        request = context["request"]
        user = request.auth if isinstance(getattr(request, "auth", None), User) else request.user
        return selectors.alarm_evidence_for(user=user, alarm=obj)

    @staticmethod
    def resolve_campaign(obj: Alarm) -> str | None:
        return obj.campaign.name if obj.campaign else None

    @staticmethod
    def resolve_landing_page_url(obj: Alarm) -> str | None:
        return obj.landing_page.url if obj.landing_page else None

    @staticmethod
    def resolve_acknowledged_by(obj: Alarm) -> str | None:
        return obj.acknowledged_by.username if obj.acknowledged_by else None


class AlarmFilters(Schema):
    status: Literal["", "active", "open", "acknowledged", "resolved"] = Field(
        "", description='open, acknowledged, resolved, or "active" for open and acknowledged; empty: all.'
    )
    kind: AlarmKind | None = Field(None, description="Only alarms of this kind.")
    campaign_id: int | None = Field(None, description="Only alarms about this campaign.")


class LandingPageOut(Schema):
    id: int
    url: str
    title: str
    reviewed_by_sales_at: datetime | None


@router.get("", response=list[AlarmOut], summary="List alarms, open first")
@paginate
def alarm_list(request: HttpRequest, filters: Query[AlarmFilters]) -> Any:
    user = require_role(request, Permission.VIEW_ALARMS)
    return selectors.alarm_list(
        user=user,
        status=filters.status,
        kind=filters.kind.value if filters.kind else "",
        campaign_id=filters.campaign_id,
    )


@router.get("/{alarm_id}", response=AlarmOut, summary="One alarm")
def alarm_detail(request: HttpRequest, alarm_id: int) -> Alarm:
    user = require_role(request, Permission.VIEW_ALARMS)
    alarm = selectors.alarm_get(user=user, alarm_id=alarm_id)
    if alarm is None:
        raise HttpError(404, "no such alarm")
    return alarm


@router.post("/{alarm_id}/acknowledge", response=AlarmOut, summary="Acknowledge an alarm")
def alarm_acknowledge(request: HttpRequest, alarm_id: int) -> Alarm:
    """Says someone is on it. Repeating it changes nothing; a resolved alarm gives 422. The alarm
    stays active and resolves by itself when the condition clears."""
    user = require_role(request, Permission.ACK_ALARMS)
    alarm = selectors.alarm_get(user=user, alarm_id=alarm_id)
    if alarm is None:
        raise HttpError(404, "no such alarm")
    services.alarm_acknowledge(alarm=alarm, by=user)
    return selectors.alarm_get(user=user, alarm_id=alarm_id)  # type: ignore[return-value]


@router.post(
    "/landing-pages/{landing_page_id}/review",
    response=LandingPageOut,
    summary="Mark a landing page reviewed by sales",
)
def landing_page_review(request: HttpRequest, landing_page_id: int) -> LandingPage:
    """Sales has read the page. Resolves its "not reviewed by sales" alarms; sales roles only."""
    user = require_role(request, Permission.REVIEW_LANDING_PAGES)
    page = LandingPage.objects.filter(pk=landing_page_id).first()
    if page is None:
        raise HttpError(404, "no such landing page")
    return services.landing_page_review(landing_page=page, by=user)
