"""Seed 000's root cause: a live campaign's landing page that sales has never seen."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from closedloop.alarms.detectors import landing_page_unreviewed
from closedloop.alarms.models import Alarm, AlarmKind, AlarmStatus
from closedloop.alarms.services import alarms_check, landing_page_review
from closedloop.alarms.tests.builders import campaign_make, clicks_add, costs_add
from closedloop.alarms.tests.conftest import NOW
from closedloop.audit.models import AuditEntry
from closedloop.tracking.models import EventType

DAY = timedelta(days=1)
TODAY = NOW.date()


def findings(now=NOW):
    return {f.campaign_id: f for f in landing_page_unreviewed.detect(now=now)}


@pytest.mark.django_db
def test_a_live_campaign_with_an_unreviewed_page_is_critical():
    trial = campaign_make("PPC – Free trial", starts_on=TODAY - 3 * DAY)
    costs_add(trial, TODAY - 3 * DAY, 4, amount=1150)  # 3 days before today and today: 4 × 1,150
    clicks_add(trial, NOW - 2 * DAY, 30)
    clicks_add(trial, NOW - DAY, 4, type=EventType.CALL)

    finding = findings()[trial.pk]

    assert finding.severity == "critical"
    assert finding.landing_page_id == trial.landing_page_id
    assert finding.evidence["spend_last_7_days"] == 4600.0
    assert (finding.evidence["clicks"], finding.evidence["calls"]) == (30, 4)
    assert finding.message == (
        f"PPC – Free trial is live since {TODAY - 3 * DAY:%Y-%m-%d} (spent 4,600.00 and brought 30 clicks, "
        f"4 calls and 0 form submissions in the last 7 days) and sends people to {trial.landing_page.url} "
        "(“PPC – Free trial page”), which sales has not reviewed. Sales cannot follow up on a promise it "
        "has never seen."
    )


@pytest.mark.django_db
def test_a_campaign_about_to_start_gets_a_warning_while_there_is_time():
    soon = campaign_make("PPC – Soon", starts_on=TODAY + 3 * DAY)
    campaign_make("PPC – Next month", starts_on=TODAY + 30 * DAY)

    found = findings()

    assert list(found) == [soon.pk]
    assert found[soon.pk].severity == "warning"
    assert "starts in 3 days" in found[soon.pk].message


@pytest.mark.django_db
def test_reviewed_ended_and_idle_campaigns_raise_nothing():
    reviewed = campaign_make("Reviewed", starts_on=TODAY - 30 * DAY, page_reviewed_at=NOW - 40 * DAY)
    ended = campaign_make("Ended", starts_on=TODAY - 30 * DAY, ends_on=TODAY - DAY)
    idle = campaign_make("Idle", starts_on=TODAY - 30 * DAY)
    for campaign in (reviewed, ended, idle):
        costs_add(campaign, TODAY - 30 * DAY, 20)  # spend stopped 10 days ago
    costs_add(reviewed, TODAY - 10 * DAY, 11)
    costs_add(ended, TODAY - 10 * DAY, 10)
    assert findings() == {}


@pytest.mark.django_db
def test_a_review_dated_after_now_had_not_happened_yet():
    # Replaying the past: at NOW the page was still unreviewed.
    trial = campaign_make("PPC – Free trial", starts_on=TODAY, page_reviewed_at=NOW + DAY)
    costs_add(trial, TODAY, 1)
    assert trial.pk in findings(NOW)
    assert findings(NOW + 2 * DAY) == {}


@pytest.mark.django_db
def test_sales_marks_the_page_reviewed_which_resolves_the_alarm_and_is_audited(rep):
    trial = campaign_make("PPC – Free trial", starts_on=TODAY)
    costs_add(trial, TODAY, 1)
    (alarm,) = alarms_check(now=NOW, kinds=[AlarmKind.LANDING_PAGE_UNREVIEWED]).raised

    page = landing_page_review(landing_page=trial.landing_page, by=rep, now=NOW + DAY)

    alarm.refresh_from_db()
    assert page.reviewed_by_sales_at == NOW + DAY
    assert (alarm.status, alarm.resolved_at) == (AlarmStatus.RESOLVED, NOW + DAY)
    assert alarm.resolution == "Landing page reviewed by Alex Morgan."
    entry = AuditEntry.objects.get(action="landing_page.review")
    assert (entry.actor, entry.object_id) == (rep, str(page.pk))
    # The next check agrees: nothing to raise.
    assert alarms_check(now=NOW + DAY, kinds=[AlarmKind.LANDING_PAGE_UNREVIEWED]).raised == []
    assert Alarm.objects.count() == 1


@pytest.mark.django_db
def test_only_sales_may_say_sales_reviewed_a_page(marketer, partner):
    trial = campaign_make("PPC – Free trial", starts_on=TODAY)
    for user in (marketer, partner):
        with pytest.raises(PermissionDenied):
            landing_page_review(landing_page=trial.landing_page, by=user)
    trial.landing_page.refresh_from_db()
    assert trial.landing_page.reviewed_by_sales_at is None
