"""Goal pages: the shared dashboard, one scorecard per team, and the form to set a goal."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from closedloop.accounts.access import requires
from closedloop.accounts.models import Team
from closedloop.accounts.roles import Permission
from closedloop.meetings.access import MEETING_READERS
from closedloop.meetings.metrics import METRICS
from closedloop.meetings.models import PeriodKind, Visibility
from closedloop.meetings.selectors import goals as selectors
from closedloop.meetings.services.goals import goal_create, goal_delete
from closedloop.meetings.views.common import errors_to_messages, parse_date


@requires(MEETING_READERS)
def goal_dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "rows": selectors.shared_dashboard(user=user),  # type: ignore[arg-type]
        "teams": selectors.teams_with_scorecards(user=user),  # type: ignore[arg-type]
        "metrics": METRICS.values(),
        "period_kinds": PeriodKind.choices,
        "visibilities": Visibility.choices,
        "all_teams": Team.objects.order_by("name"),
    }
    return render(request, "meetings/goals.html", context)


@requires(MEETING_READERS)
def team_scorecard(request: HttpRequest, team_id: int) -> HttpResponse:
    team = selectors.teams_with_scorecards(user=request.user).filter(pk=team_id).first()  # type: ignore[arg-type]
    if team is None:
        raise Http404("No scorecard for this team.")
    rows = selectors.team_scorecard(team=team, user=request.user)  # type: ignore[arg-type]
    return render(request, "meetings/scorecard.html", {"team": team, "rows": rows})


@require_POST
@requires(Permission.MANAGE_GOALS)
def goal_new(request: HttpRequest) -> HttpResponse:
    post = request.POST
    try:
        team = Team.objects.filter(pk=post.get("team") or 0).first()
        if team is None:
            raise ValidationError({"team": "pick the accountable team"})
        start = parse_date(post.get("period_start"), "period_start")
        if start is None:
            raise ValidationError({"period_start": "is required"})
        goal_create(
            metric=post.get("metric", ""),
            period_kind=post.get("period_kind", ""),
            period_start=start,
            target=post.get("target", ""),
            team=team,
            visibility=post.get("visibility", Visibility.SHARED),
            note=post.get("note", ""),
            by=request.user,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        errors_to_messages(request, exc)
    else:
        messages.success(request, "Goal set.")
    return redirect("meetings:goals")


@require_POST
@requires(Permission.MANAGE_GOALS)
def goal_remove(request: HttpRequest, goal_id: int) -> HttpResponse:
    goal = selectors.goal_get(user=request.user, goal_id=goal_id)  # type: ignore[arg-type]
    if goal is None:
        raise Http404("No such goal.")
    goal_delete(goal=goal, by=request.user)  # type: ignore[arg-type]
    messages.success(request, "Goal removed.")
    return redirect("meetings:goals")
