"""Goals: who may set them, accountable team, visibility, metric values and the shared dashboard."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from closedloop.audit.models import AuditEntry
from closedloop.crm.models import StageTransition
from closedloop.meetings.metrics import metric_value
from closedloop.meetings.models import Goal
from closedloop.meetings.selectors.goals import (
    goal_progress,
    goals_visible_to,
    shared_dashboard,
    team_scorecard,
)
from closedloop.meetings.services.goals import goal_create, goal_update
from tests.factories import ContactFactory, DealFactory

JUNE = date(2026, 6, 1)


def mql(contact, at):
    StageTransition.objects.create(contact=contact, to_stage="mql", at=at, cause="manual")


@pytest.mark.django_db
def test_mqls_count_each_contact_once_within_the_half_open_period():
    a, b, c = ContactFactory(), ContactFactory(), ContactFactory()
    mql(a, datetime(2026, 6, 1, 0, 0, tzinfo=UTC))  # first instant: in
    mql(a, datetime(2026, 6, 20, tzinfo=UTC))  # re-entered: still one contact
    mql(b, datetime(2026, 6, 30, 23, 59, tzinfo=UTC))  # in
    mql(c, datetime(2026, 7, 1, 0, 0, tzinfo=UTC))  # next month
    value = metric_value("mqls", start=datetime(2026, 6, 1, tzinfo=UTC), end=datetime(2026, 7, 1, tzinfo=UTC))
    assert value == 2


@pytest.mark.django_db
def test_revenue_and_win_rate_from_closed_deals():
    closed = datetime(2026, 6, 5, tzinfo=UTC)
    DealFactory(stage="won", amount=1200, closed_at=closed)
    DealFactory(stage="won", amount=800, closed_at=closed)
    DealFactory(stage="lost", amount=5000, closed_at=closed)
    DealFactory(stage="won", amount=999, closed_at=datetime(2026, 5, 31, tzinfo=UTC))
    june = {"start": datetime(2026, 6, 1, tzinfo=UTC), "end": datetime(2026, 7, 1, tzinfo=UTC)}
    assert metric_value("revenue_won", **june) == Decimal(2000)
    assert metric_value("deals_won", **june) == 2
    assert metric_value("win_rate", **june) == Decimal("66.7")  # 2 of 3


@pytest.mark.django_db
def test_heads_set_goals_and_the_period_snaps_to_its_first_day(maya, marketing):
    goal = goal_create(
        metric="mqls",
        period_kind="quarter",
        period_start=date(2026, 5, 17),
        target="300",
        team=marketing,
        by=maya,
    )
    assert (goal.period_start, goal.target, goal.visibility) == (
        date(2026, 4, 1),
        Decimal("300.00"),
        "shared",
    )
    entry = AuditEntry.objects.get(action="goal.create")
    assert entry.actor == maya and "300" in entry.summary


@pytest.mark.django_db
def test_a_team_is_held_only_to_what_it_controls(maya, sales, marketing, agency):
    with pytest.raises(ValidationError) as err:
        goal_create(
            metric="revenue_won", period_kind="month", period_start=JUNE, target=1, team=marketing, by=maya
        )
    assert "controlled by the sales team" in err.value.message_dict["team"][0]
    goal_create(metric="revenue_won", period_kind="month", period_start=JUNE, target=1, team=sales, by=maya)
    goal_create(
        metric="mqls", period_kind="month", period_start=JUNE, target=1, team=agency, by=maya
    )  # agencies run campaigns


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"target": "0"}, "target"), ({"target": "many"}, "target"), ({"metric": "vibes"}, "metric"),
     ({"period_kind": "year"}, "period_kind"), ({"visibility": "secret"}, "visibility")],
)  # fmt: skip
def test_bad_goals_are_refused_naming_the_field(maya, marketing, kwargs, field):
    args = {
        "metric": "mqls",
        "period_kind": "month",
        "period_start": JUNE,
        "target": "10",
        "team": marketing,
    } | kwargs
    with pytest.raises(ValidationError) as err:
        goal_create(**args, by=maya)
    assert field in err.value.message_dict
    assert not Goal.objects.exists()


@pytest.mark.django_db
def test_duplicates_and_reps_are_refused(maya, alex, marketing):
    goal_create(metric="mqls", period_kind="month", period_start=JUNE, target=10, team=marketing, by=maya)
    with pytest.raises(ValidationError, match="already has"):
        goal_create(
            metric="mqls",
            period_kind="month",
            period_start=date(2026, 6, 9),
            target=10,
            team=marketing,
            by=maya,
        )
    with pytest.raises(PermissionDenied):
        goal_create(metric="sqls", period_kind="month", period_start=JUNE, target=10, team=marketing, by=alex)
    with pytest.raises(PermissionDenied):
        goal_update(goal=Goal.objects.get(), target=5, by=alex)


@pytest.mark.django_db
def test_team_only_goals_are_seen_by_their_team_and_partners_see_only_theirs(
    maya, sam, tom, alex, admin, jamie, marketing, sales, agency
):
    shared = goal_create(
        metric="mqls", period_kind="month", period_start=JUNE, target=10, team=marketing, by=maya
    )
    private = goal_create(
        metric="deals_won",
        period_kind="month",
        period_start=JUNE,
        target=5,
        team=sales,
        visibility="team",
        by=sam,
    )
    agency_goal = goal_create(
        metric="new_leads",
        period_kind="month",
        period_start=JUNE,
        target=50,
        team=agency,
        visibility="team",
        by=maya,
    )
    assert set(goals_visible_to(user=tom)) == {shared}
    assert set(goals_visible_to(user=alex)) == {shared, private}
    assert set(goals_visible_to(user=admin)) == {shared, private, agency_goal}
    assert set(goals_visible_to(user=jamie)) == {agency_goal}


@pytest.mark.django_db
def test_dashboard_and_scorecard_show_progress_with_pace(maya, sam, marketing, sales):
    goal_create(metric="mqls", period_kind="month", period_start=JUNE, target=10, team=marketing, by=maya)
    goal_create(
        metric="deals_won",
        period_kind="month",
        period_start=JUNE,
        target=4,
        team=sales,
        visibility="team",
        by=sam,
    )
    for day in (2, 3, 4):
        mql(ContactFactory(), datetime(2026, 6, day, tzinfo=UTC))
    now = datetime(2026, 6, 10, tzinfo=UTC)  # 9 of 30 days: 3 × 30 / 9 = 10 → 100%
    (row,) = shared_dashboard(user=maya, now=now)
    assert (row.pace.value, row.pace.percent, row.sentence, row.status) == (
        3,
        30,
        "at this rate: 100% by month end",
        "on_track",
    )
    assert shared_dashboard(user=sam, now=now)[0].goal == row.goal  # both teams see the shared goal
    (card,) = team_scorecard(team=sales, user=sam, now=now)
    assert card.goal.metric == "deals_won" and card.sentence == "at this rate: 0% by month end"
    assert team_scorecard(team=sales, user=maya, now=now) == []  # team-only


@pytest.mark.django_db
def test_the_current_period_is_the_local_one(settings, maya, marketing):
    settings.TIME_ZONE = "Europe/Berlin"
    goal_create(
        metric="mqls", period_kind="month", period_start=date(2026, 2, 1), target=10, team=marketing, by=maya
    )
    # 23:30 UTC on 31 January is already 00:30 on 1 February in Berlin.
    (row,) = shared_dashboard(user=maya, now=datetime(2026, 1, 31, 23, 30, tzinfo=UTC))
    assert row.goal.period_start == date(2026, 2, 1)
    # Half an hour into February's 28 × 24 hours: a contact counted in that half hour is projected.
    mql(ContactFactory(), datetime(2026, 1, 31, 23, 10, tzinfo=UTC))  # 00:10 Berlin time
    progress = goal_progress(goal=row.goal, now=datetime(2026, 1, 31, 23, 30, tzinfo=UTC))
    assert progress.pace.value == 1
    assert progress.pace.projected == Decimal(28 * 24 * 2)  # 1 per half hour over 672 hours
