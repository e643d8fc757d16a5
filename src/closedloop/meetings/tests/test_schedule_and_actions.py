"""Series scheduling (time zones included), validation, and action items carried over until done."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from closedloop.accounts.roles import Role
from closedloop.meetings.models import MeetingOccurrence, MeetingSeries
from closedloop.meetings.schedule import occurrence_dates
from closedloop.meetings.selectors.meetings import action_items_for
from closedloop.meetings.services.meetings import (
    action_item_complete,
    action_item_create,
    series_create,
    series_schedule,
)
from closedloop.notifications.models import Notification
from tests.factories import UserFactory


def test_weekly_dates_start_on_the_first_matching_weekday():
    # 3 June 2026 is a Wednesday; the sync is on Mondays.
    days = list(
        occurrence_dates(cadence="weekly", starts_on=date(2026, 6, 3), until=date(2026, 6, 29), weekday=0)
    )
    assert days == [date(2026, 6, 8), date(2026, 6, 15), date(2026, 6, 22), date(2026, 6, 29)]


def test_monthly_dates_skip_a_month_whose_day_has_passed_and_cross_the_year():
    days = list(
        occurrence_dates(
            cadence="monthly", starts_on=date(2026, 11, 20), until=date(2027, 2, 15), day_of_month=15
        )
    )
    assert days == [date(2026, 12, 15), date(2027, 1, 15), date(2027, 2, 15)]


@pytest.mark.django_db
def test_a_weekly_meeting_keeps_its_local_time_across_daylight_saving(settings, maya):
    settings.TIME_ZONE = "Europe/Berlin"
    series = series_create(name="Weekly sync", cadence="weekly", weekday=0, start_time=time(9, 0),
                           starts_on=date(2026, 3, 23), by=maya)  # fmt: skip
    series.occurrences.all().delete()
    series_schedule(series=series, until=date(2026, 3, 30))
    starts = [o.starts_at.astimezone(UTC) for o in series.occurrences.order_by("starts_at")]
    # 09:00 CET is 08:00 UTC; after the change on 29 March, 09:00 CEST is 07:00 UTC.
    assert starts == [datetime(2026, 3, 23, 8, tzinfo=UTC), datetime(2026, 3, 30, 7, tzinfo=UTC)]
    series_schedule(series=series, until=date(2026, 3, 30))  # repeating creates nothing twice
    assert series.occurrences.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"name": " "}, "name"), ({"cadence": "daily"}, "cadence"), ({"day_of_month": 31}, "day_of_month"),
     ({"weekday": 7}, "weekday"), ({"duration_minutes": 2}, "duration_minutes")],
)  # fmt: skip
def test_bad_series_are_refused_naming_the_field(maya, kwargs, field):
    args = {
        "name": "Sync",
        "cadence": "weekly",
        "start_time": time(9),
        "starts_on": date(2026, 6, 1),
    } | kwargs
    with pytest.raises(ValidationError) as err:
        series_create(**args, by=maya)
    assert field in err.value.message_dict
    assert not MeetingSeries.objects.exists()


@pytest.mark.django_db
def test_partners_may_not_create_meetings(jamie):
    with pytest.raises(PermissionDenied):
        series_create(name="Sync", cadence="weekly", start_time=time(9), starts_on=date(2026, 6, 1), by=jamie)


@pytest.fixture
def three_meetings(maya):
    series = MeetingSeries.objects.create(
        name="Sync", cadence="weekly", start_time=time(9), starts_on=date(2026, 6, 1)
    )
    return [
        MeetingOccurrence.objects.create(
            series=series,
            starts_at=datetime(2026, 6, d, 9, tzinfo=UTC),
            ends_at=datetime(2026, 6, d, 10, tzinfo=UTC),
        )
        for d in (1, 8, 15)
    ]


@pytest.mark.django_db
def test_open_action_items_are_carried_over_until_done(maya, alex, three_meetings):
    first, second, third = three_meetings
    fix = action_item_create(
        title="Fix the PPC landing page", owner=alex, due_on=date(2026, 6, 5), occurrence=first, by=maya
    )
    later = action_item_create(
        title="Review rejection reasons", owner=alex, due_on=date(2026, 6, 12), occurrence=second, by=maya
    )
    assert list(action_items_for(occurrence=first)) == [fix]
    assert list(action_items_for(occurrence=second)) == [fix, later]  # carried over
    action_item_complete(item=fix, by=alex, now=datetime(2026, 6, 10, tzinfo=UTC))
    assert list(action_items_for(occurrence=second)) == [fix, later]  # still listed where it was open
    assert list(action_items_for(occurrence=third)) == [later]  # done before the third: gone
    # The owner is told.
    assert Notification.objects.filter(recipient=alex, kind="action_item").count() == 2


@pytest.mark.django_db
def test_an_action_item_needs_an_owner_who_can_see_meetings_and_a_due_date(maya, jamie, three_meetings):
    with pytest.raises(ValidationError) as err:
        action_item_create(
            title="x", owner=None, due_on=date(2026, 6, 5), occurrence=three_meetings[0], by=maya
        )
    assert "owner" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        action_item_create(
            title="x", owner=jamie, due_on=date(2026, 6, 5), occurrence=three_meetings[0], by=maya
        )
    assert "owner" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        action_item_create(title="x", owner=maya, due_on=None, occurrence=three_meetings[0], by=maya)
    assert "due_on" in err.value.message_dict
    rep = UserFactory(role=Role.SALES_REP)
    item = action_item_create(
        title="x", owner=rep, due_on=date.today() + timedelta(days=3), occurrence=three_meetings[0], by=maya
    )
    assert item.series == three_meetings[0].series
