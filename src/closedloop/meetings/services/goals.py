"""Set, change and remove goals. Only the heads and admins manage goals (MANAGE_GOALS)."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from closedloop.accounts.models import Team, User
from closedloop.accounts.roles import Permission, TeamKind
from closedloop.audit.services import audit_record
from closedloop.meetings.access import require
from closedloop.meetings.metrics import METRICS
from closedloop.meetings.models import Goal, PeriodKind, Visibility
from closedloop.meetings.pace import period_first_day


def _clean_target(target: object) -> Decimal:
    try:
        value = Decimal(str(target))
    except (InvalidOperation, ValueError):
        raise ValidationError({"target": "must be a number"}) from None
    if not value.is_finite() or value <= 0:
        raise ValidationError({"target": "must be greater than zero"})
    if value >= Decimal("1e14"):
        raise ValidationError({"target": "is too large"})
    return value.quantize(Decimal("0.01"))


def _check_team(metric: str, team: Team) -> None:
    controller = METRICS[metric].team_kind
    # Agencies run marketing campaigns, so they may be held to marketing numbers (seed 000).
    allowed = {controller} | ({TeamKind.PARTNER} if controller == TeamKind.MARKETING else set())
    if team.kind not in allowed:
        raise ValidationError(
            {"team": f"{METRICS[metric].label} is controlled by the {controller} team; "
                     f"{team.name} ({team.kind}) cannot be accountable for it"}
        )  # fmt: skip


@transaction.atomic
def goal_create(
    *,
    metric: str,
    period_kind: str,
    period_start: date,
    target: object,
    team: Team,
    visibility: str = Visibility.SHARED,
    note: str = "",
    by: User,
) -> Goal:
    """A goal for the month or quarter containing `period_start`, accountable to `team`."""
    require(by, Permission.MANAGE_GOALS, "manage goals")
    errors: dict[str, str] = {}
    if metric not in METRICS:
        errors["metric"] = f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}"
    if period_kind not in PeriodKind.values:
        errors["period_kind"] = "must be month or quarter"
    if visibility not in Visibility.values:
        errors["visibility"] = "must be shared or team"
    if errors:
        raise ValidationError(errors)
    value = _clean_target(target)
    _check_team(metric, team)
    first = period_first_day(period_kind, period_start)
    if Goal.objects.filter(metric=metric, period_kind=period_kind, period_start=first, team=team).exists():
        raise ValidationError({"metric": f"{team.name} already has a {metric} goal for this {period_kind}"})
    goal = Goal.objects.create(
        metric=metric,
        period_kind=period_kind,
        period_start=first,
        target=value,
        team=team,
        visibility=visibility,
        note=note[:300],
        created_by=by,
    )
    audit_record(
        actor=by,
        action="goal.create",
        obj=goal,
        summary=f"Set a {period_kind} goal of {value} {METRICS[metric].label} for {team.name}",
        changes={"target": [None, value], "visibility": [None, visibility]},
    )
    return goal


@transaction.atomic
def goal_update(*, goal: Goal, by: User, target: object = None, visibility: str | None = None) -> Goal:
    require(by, Permission.MANAGE_GOALS, "manage goals")
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    changes: dict[str, list[object]] = {}
    if target is not None:
        value = _clean_target(target)
        changes["target"] = [goal.target, value]
        goal.target = value
    if visibility is not None:
        if visibility not in Visibility.values:
            raise ValidationError({"visibility": "must be shared or team"})
        changes["visibility"] = [goal.visibility, visibility]
        goal.visibility = visibility
    goal.save()
    audit_record(actor=by, action="goal.update", obj=goal, summary=f"Changed goal {goal}", changes=changes)
    return goal


@transaction.atomic
def goal_delete(*, goal: Goal, by: User) -> None:
    require(by, Permission.MANAGE_GOALS, "manage goals")
    audit_record(actor=by, action="goal.delete", obj=goal, summary=f"Removed goal {goal}")
    goal.delete()
