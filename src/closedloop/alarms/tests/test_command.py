"""`closedloop alarms check` (idempotent, `--now` to replay a moment) and `closedloop alarms list`."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from closedloop.alarms.models import Alarm
from closedloop.alarms.tests.builders import campaign_make, costs_add
from closedloop.alarms.tests.conftest import NOW


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("alarms", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_check_raises_then_keeps_the_alarm_and_list_shows_it():
    campaign = campaign_make("PPC – Free trial", starts_on=NOW.date())
    costs_add(campaign, NOW.date(), 1)

    first = run("check", "--now", "2026-06-15T00:00:00Z")
    again = run("check", "--now", "2026-06-15T01:00:00Z", "--kind", "landing_page_unreviewed")

    assert "1 raised, 0 still active, 0 resolved" in first
    assert "[critical] Sales has not reviewed the landing page of PPC – Free trial" in first
    assert "0 raised, 1 still active, 0 resolved" in again
    assert Alarm.objects.count() == 1
    assert "open: Sales has not reviewed the landing page of PPC – Free trial" in run("list")
    (row,) = json.loads(run("list", "--json"))
    assert (row["kind"], row["severity"]) == ("landing_page_unreviewed", "critical")


@pytest.mark.django_db
def test_check_as_json_and_a_bad_now():
    assert json.loads(run("check", "--now", "2026-06-15T00:00:00Z", "--json"))["raised"] == []
    with pytest.raises(CommandError, match="--now"):
        run("check", "--now", "yesterday")
