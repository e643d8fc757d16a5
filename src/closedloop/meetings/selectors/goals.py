"""Goals as a user may see them, with progress and pace: the shared dashboard both teams see and
one scorecard per team that holds it only to the goals it is accountable for."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from closedloop.accounts.models import Team, User
from closedloop.meetings.access import is_partner
from closedloop.meetings.metrics import Metric, metric_get
from closedloop.meetings.models import Goal, PeriodKind, Visibility
from closedloop.meetings.pace import Pace, pace_compute, pace_sentence, period_bounds, period_first_day


@dataclass(frozen=True)
class GoalProgress:
    goal: Goal
    metric: Metric
    start: datetime
    end: datetime
    pace: Pace

    @property
    def sentence(self) -> str:
        if not self.metric.additive:
            return f"now {self.pace.value} against a goal of {self.goal.target}"
        return pace_sentence(self.pace, self.goal.period_kind)

    @property
    def status(self) -> str:
        """on_track, behind or upcoming — for the colour on the page."""
        if self.metric.additive:
            on_track = self.pace.is_on_track
        else:
            on_track = None if self.pace.projected is None else self.pace.value >= self.goal.target
        return "upcoming" if on_track is None else ("on_track" if on_track else "behind")


def goals_visible_to(*, user: User) -> QuerySet[Goal]:
    qs = Goal.objects.select_related("team", "created_by")
    if is_partner(user):
        return qs.filter(team_id=user.team_id) if user.team_id else qs.none()
    if user.is_superuser or user.role == "admin":
        return qs
    return qs.filter(Q(visibility=Visibility.SHARED) | Q(team_id=user.team_id))


def goal_get(*, user: User, goal_id: int) -> Goal | None:
    return goals_visible_to(user=user).filter(pk=goal_id).first()


def goal_progress(*, goal: Goal, now: datetime | None = None) -> GoalProgress:
    now = now or timezone.now()
    metric = metric_get(goal.metric)
    start, end = period_bounds(goal.period_kind, goal.period_start, timezone.get_current_timezone())
    value = metric.compute(start, min(max(now, start), end))
    pace = pace_compute(value=value, target=goal.target, start=start, end=end, now=now)
    return GoalProgress(goal=goal, metric=metric, start=start, end=end, pace=pace)


def _current_filter(today: date) -> Q:
    return Q(period_kind=PeriodKind.MONTH, period_start=period_first_day("month", today)) | Q(
        period_kind=PeriodKind.QUARTER, period_start=period_first_day("quarter", today)
    )


def shared_dashboard(
    *, user: User, now: datetime | None = None, day: date | None = None
) -> list[GoalProgress]:
    """Shared goals of the periods containing `day` (default: today), for both teams to see."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    goals = goals_visible_to(user=user).filter(_current_filter(day), visibility=Visibility.SHARED)
    return [goal_progress(goal=g, now=now) for g in goals.order_by("team__name", "metric", "period_kind")]


def team_scorecard(
    *, team: Team, user: User, now: datetime | None = None, day: date | None = None
) -> list[GoalProgress]:
    """The goals `team` is accountable for in the periods containing `day`, as `user` may see them."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    goals = goals_visible_to(user=user).filter(_current_filter(day), team=team)
    return [goal_progress(goal=g, now=now) for g in goals.order_by("metric", "period_kind")]


def teams_with_scorecards(*, user: User) -> QuerySet[Team]:
    ids = goals_visible_to(user=user).values_list("team_id", flat=True)
    return Team.objects.filter(pk__in=ids).order_by("name")
