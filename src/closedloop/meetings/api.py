"""Goals, meetings, feed and brainstorms API. Internal roles read; partners read only what is shared
with their team (goals it is accountable for, series it joins, feed items about its campaigns, never
the data pack); writes need EDIT_MEETINGS or, for goals and webhooks, MANAGE_GOALS."""

from datetime import date, datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from closedloop.accounts.api_auth import require_role
from closedloop.accounts.models import Team, User
from closedloop.accounts.roles import Permission
from closedloop.meetings.access import MEETING_READERS, is_partner
from closedloop.meetings.metrics import METRICS
from closedloop.meetings.models import FeedItem, WebhookDelivery
from closedloop.meetings.selectors import brainstorms as brainstorm_selectors
from closedloop.meetings.selectors import feed as feed_selectors
from closedloop.meetings.selectors import goals as goal_selectors
from closedloop.meetings.selectors import meetings as meeting_selectors
from closedloop.meetings.selectors.goals import GoalProgress
from closedloop.meetings.services import feed as feed_services
from closedloop.meetings.services import goals as goal_services
from closedloop.meetings.services import meetings as meeting_services
from closedloop.meetings.services import webhooks as webhook_services
from closedloop.tracking.models import Campaign

router = Router(tags=["meetings"])


class MetricOut(Schema):
    key: str
    label: str
    unit: str = Field(description="count, money or percent.")
    team_kind: str = Field(description="The kind of team that controls the metric.")
    description: str
    additive: bool = Field(description="Counts and sums are projected to the period's end; rates are not.")


class GoalOut(Schema):
    id: int
    metric: str
    metric_label: str
    period_kind: str = Field(description="month or quarter.")
    period_start: date = Field(description="First day of the period, site time zone.")
    target: float
    team_id: int = Field(description="The accountable team.")
    team: str
    visibility: str = Field(description="shared (both teams) or team (accountable team only).")
    value: float = Field(description="The metric so far in the period.")
    percent: int = Field(description="Value as a percentage of the target.")
    projected: float | None = Field(
        description="Value at the period's end at the current rate; null before it starts."
    )
    projected_percent: int | None
    pace: str = Field(description='e.g. "at this rate: 87% by month end".')
    status: str = Field(description="on_track, behind or upcoming.")


def _goal_out(p: GoalProgress) -> dict[str, Any]:
    g = p.goal
    return {
        "id": g.pk, "metric": g.metric, "metric_label": p.metric.label, "period_kind": g.period_kind,
        "period_start": g.period_start, "target": float(g.target), "team_id": g.team_id, "team": g.team.name,
        "visibility": g.visibility, "value": float(p.pace.value), "percent": p.pace.percent,
        "projected": None if p.pace.projected is None else float(p.pace.projected),
        "projected_percent": p.pace.projected_percent, "pace": p.sentence, "status": p.status,
    }  # fmt: skip


class GoalIn(Schema):
    metric: str = Field(description="A metric key from GET /metrics.")
    period_kind: Literal["month", "quarter"]
    period_start: date = Field(description="Any day in the month or quarter; stored as its first day.")
    target: float = Field(gt=0)
    team_id: int = Field(description="The accountable team; it must control the metric.")
    visibility: Literal["shared", "team"] = "shared"
    note: str = ""


@router.get("/metrics", response=list[MetricOut], summary="The metric registry")
def metric_list(request: HttpRequest) -> Any:
    require_role(request, MEETING_READERS)
    return [m.__dict__ | {"team_kind": str(m.team_kind)} for m in METRICS.values()]


@router.get("/goals", response=list[GoalOut], summary="Goals you may see, with progress and pace")
def goal_list(request: HttpRequest) -> Any:
    user = require_role(request, MEETING_READERS)
    goals = goal_selectors.goals_visible_to(user=user).order_by("-period_start", "metric")[:200]
    return [_goal_out(goal_selectors.goal_progress(goal=g)) for g in goals]


@router.get(
    "/goals/dashboard", response=list[GoalOut], summary="The shared dashboard: this period's shared goals"
)
def goal_dashboard(request: HttpRequest) -> Any:
    user = require_role(request, MEETING_READERS)
    return [_goal_out(p) for p in goal_selectors.shared_dashboard(user=user)]


@router.get("/scorecards/{team_id}", response=list[GoalOut], summary="One team's scorecard for this period")
def scorecard(request: HttpRequest, team_id: int) -> Any:
    user = require_role(request, MEETING_READERS)
    team = goal_selectors.teams_with_scorecards(user=user).filter(pk=team_id).first()
    if team is None:
        raise HttpError(404, "no scorecard for this team")
    return [_goal_out(p) for p in goal_selectors.team_scorecard(team=team, user=user)]


@router.post("/goals", response={201: GoalOut}, summary="Set a goal")
def goal_create(request: HttpRequest, payload: GoalIn) -> Any:
    user = require_role(request, Permission.MANAGE_GOALS)
    team = Team.objects.filter(pk=payload.team_id).first()
    if team is None:
        raise ValidationError({"team_id": "no such team"})
    goal = goal_services.goal_create(
        metric=payload.metric, period_kind=payload.period_kind, period_start=payload.period_start,
        target=payload.target, team=team, visibility=payload.visibility, note=payload.note, by=user,
    )  # fmt: skip
    return Status(201, _goal_out(goal_selectors.goal_progress(goal=goal)))


class SeriesOut(Schema):
    id: int
    name: str
    cadence: str
    start_time: str
    duration_minutes: int
    location: str
    partner_team_id: int | None


class ActionItemOut(Schema):
    id: int
    title: str
    owner: str = Field(description="Username of the owner.")
    due_on: date
    done_at: datetime | None
    carried_over: bool = Field(
        description="Raised in an earlier occurrence and still open when this one began."
    )


class OccurrenceOut(Schema):
    id: int
    series_id: int
    series: str
    starts_at: datetime
    ends_at: datetime
    pack: dict[str, Any] = Field(description="The generated agenda pack (docs/meetings.md); {} for partners.")
    pack_generated_at: datetime | None
    agenda_items: list[dict[str, Any]]
    decisions: list[str]
    action_items: list[ActionItemOut]


class ActionItemIn(Schema):
    title: str
    owner_id: int
    due_on: date


@router.get("/series", response=list[SeriesOut], summary="Meeting series you may see")
def series_list(request: HttpRequest) -> Any:
    user = require_role(request, MEETING_READERS)
    return [
        {"id": s.pk, "name": s.name, "cadence": s.cadence, "start_time": s.start_time.isoformat("minutes"),
         "duration_minutes": s.duration_minutes, "location": s.location, "partner_team_id": s.partner_team_id}
        for s in meeting_selectors.series_visible_to(user=user)
    ]  # fmt: skip


def _occurrence_out(occurrence: Any, user: User) -> dict[str, Any]:
    return {
        "id": occurrence.pk, "series_id": occurrence.series_id, "series": occurrence.series.name,
        "starts_at": occurrence.starts_at, "ends_at": occurrence.ends_at,
        "pack": {} if is_partner(user) else occurrence.pack, "pack_generated_at": occurrence.pack_generated_at,
        "agenda_items": [{"title": i.title, "body": i.body} for i in occurrence.agenda_items.all()],
        "decisions": [d.text for d in occurrence.decisions.all()],
        "action_items": [
            {"id": a.pk, "title": a.title, "owner": a.owner.username, "due_on": a.due_on, "done_at": a.done_at,
             "carried_over": a.raised_in_id != occurrence.pk}
            for a in meeting_selectors.action_items_for(occurrence=occurrence)
        ],
    }  # fmt: skip


def _occurrence(user: User, occurrence_id: int) -> Any:
    occurrence = meeting_selectors.occurrence_get(user=user, occurrence_id=occurrence_id)
    if occurrence is None:
        raise HttpError(404, "no such meeting")
    return occurrence


@router.get("/occurrences/{occurrence_id}", response=OccurrenceOut, summary="One meeting with its agenda")
def occurrence_detail(request: HttpRequest, occurrence_id: int) -> Any:
    user = require_role(request, MEETING_READERS)
    return _occurrence_out(_occurrence(user, occurrence_id), user)


@router.post("/occurrences/{occurrence_id}/pack", response=OccurrenceOut, summary="Generate the agenda pack")
def occurrence_pack(request: HttpRequest, occurrence_id: int) -> Any:
    user = require_role(request, Permission.EDIT_MEETINGS)
    occurrence = meeting_services.occurrence_pack_generate(
        occurrence=_occurrence(user, occurrence_id), by=user
    )
    return _occurrence_out(occurrence, user)


@router.post(
    "/occurrences/{occurrence_id}/action-items", response={201: ActionItemOut}, summary="Add an action item"
)
def action_item_create(request: HttpRequest, occurrence_id: int, payload: ActionItemIn) -> Any:
    user = require_role(request, Permission.EDIT_MEETINGS)
    occurrence = _occurrence(user, occurrence_id)
    owner = User.objects.filter(pk=payload.owner_id, is_active=True).first()
    item = meeting_services.action_item_create(
        title=payload.title, owner=owner, due_on=payload.due_on, occurrence=occurrence, by=user
    )
    out = {"id": item.pk, "title": item.title, "owner": item.owner.username, "due_on": item.due_on,
           "done_at": None, "carried_over": False}  # fmt: skip
    return Status(201, out)


class FeedOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    author: str | None
    campaign_id: int | None
    details: dict[str, Any]
    created_at: datetime

    @staticmethod
    def resolve_author(obj: FeedItem) -> str | None:
        return obj.author.username if obj.author else None


class FeedIn(Schema):
    kind: Literal["rep_feedback", "customer_feedback", "campaign_result"]
    title: str = Field(description="One line.")
    body: str = ""
    content_ref: str = Field("", description="The piece of content the feedback is about, if any.")
    campaign_id: int | None = None


@router.get("/feed", response=list[FeedOut], summary="The feed, newest first")
@paginate
def feed_list(request: HttpRequest) -> Any:
    user = require_role(request, MEETING_READERS)
    return feed_selectors.feed_visible_to(user=user).order_by("-id")


@router.post(
    "/feed", response={201: FeedOut}, summary="Post feedback (also the incoming webhook for feedback)"
)
def feed_create(request: HttpRequest, payload: FeedIn) -> Any:
    """Survey tools and call-note integrations post customer feedback here with a bearer token of a
    user who may edit meetings."""
    user = require_role(request, Permission.EDIT_MEETINGS)
    campaign = Campaign.objects.filter(pk=payload.campaign_id).first() if payload.campaign_id else None
    item = feed_services.feed_post(
        kind=payload.kind, title=payload.title, body=payload.body, content_ref=payload.content_ref,
        campaign=campaign, by=user,
    )  # fmt: skip
    return Status(201, item)


class IdeaOut(Schema):
    id: int
    text: str
    theme: str | None
    votes: int
    chosen: bool


class BrainstormOut(Schema):
    id: int
    question: str
    technique: str
    status: str
    ideas: list[IdeaOut] = Field(description="Ideas carry no author: nobody can see who wrote one.")


@router.get("/brainstorms/{brainstorm_id}", response=BrainstormOut, summary="A brainstorm and its ideas")
def brainstorm_detail(request: HttpRequest, brainstorm_id: int) -> Any:
    require_role(request, Permission.VIEW_MEETINGS)
    b = brainstorm_selectors.brainstorm_get(brainstorm_id=brainstorm_id)
    if b is None:
        raise HttpError(404, "no such brainstorm")
    hidden = b.technique == "nominal_group" and b.status == "collecting"
    ideas = [] if hidden else brainstorm_selectors.ideas_ranked(brainstorm=b)
    return {
        "id": b.pk, "question": b.question, "technique": b.technique, "status": b.status,
        "ideas": [{"id": i.pk, "text": i.text, "theme": i.theme.name if i.theme else None,
                   "votes": i.vote_count, "chosen": i.chosen} for i in ideas],
    }  # fmt: skip


class WebhookIn(Schema):
    name: str
    url: str = Field(description="A Slack incoming-webhook URL or any endpoint accepting JSON.")
    events: str = Field(
        "", description="Comma-separated: win, action_item, meeting_pack, feedback; empty: all."
    )
    secret: str = Field("", description="Signs each body: X-Closedloop-Signature: sha256=<HMAC-SHA256 hex>.")


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    events: str
    active: bool


class DeliveryOut(Schema):
    id: int
    target_id: int
    event: str
    status: str = Field(description="pending, delivered or failed.")
    attempts: int
    last_status_code: int | None
    last_error: str
    next_attempt_at: datetime
    delivered_at: datetime | None


@router.post("/webhooks", response={201: WebhookOut}, summary="Add an outgoing webhook")
def webhook_create(request: HttpRequest, payload: WebhookIn) -> Any:
    user = require_role(request, Permission.MANAGE_GOALS)
    target = webhook_services.webhook_target_create(
        name=payload.name, url=payload.url, events=payload.events, secret=payload.secret, by=user
    )
    return Status(201, target)


@router.get("/webhooks/deliveries", response=list[DeliveryOut], summary="The delivery log, newest first")
@paginate
def delivery_list(request: HttpRequest) -> Any:
    require_role(request, Permission.MANAGE_GOALS)
    return WebhookDelivery.objects.order_by("-id")
