"""Sales-ready leads that nobody owns, for longer than 4 hours."""

from datetime import timedelta

import pytest

from closedloop.alarms.detectors import leads_without_owner
from closedloop.alarms.models import AlarmKind, AlarmStatus
from closedloop.alarms.services import alarms_check
from closedloop.alarms.tests.builders import lead_add
from closedloop.alarms.tests.conftest import NOW
from closedloop.crm.models import Contact

HOUR = timedelta(hours=1)


def sql_lead(hours_ago: float, *, stage="sql", owner=None) -> Contact:
    at = NOW - hours_ago * HOUR
    return lead_add(
        None, first_touch=at, created=at - 48 * HOUR, stages=(("mql", at - HOUR), (stage, at)), owner=owner
    )


@pytest.mark.django_db
def test_sales_ready_leads_without_owner_for_more_than_four_hours(rep):
    waiting = sql_lead(5)  # SQL 5 hours ago, no owner: counted
    older = sql_lead(30, stage="opportunity")  # 30 hours: counted, and makes it critical
    sql_lead(3)  # only 3 hours: not yet
    sql_lead(50, owner=rep)  # owned
    lead_add(
        None, first_touch=NOW, created=NOW - 60 * HOUR, stages=(("mql", NOW - 50 * HOUR),)
    )  # not sales-ready

    (finding,) = leads_without_owner.detect(now=NOW)

    assert finding.evidence["count"] == 2
    assert [c["id"] for c in finding.evidence["contacts"]] == [older.pk, waiting.pk]
    assert [c["hours"] for c in finding.evidence["contacts"]] == [30.0, 5.0]
    assert finding.severity == "critical"  # the oldest has waited 24 hours or more
    assert finding.title == "2 sales-ready leads without owner"
    assert f"The longest waiting is {older.full_name} (Opportunity), for 30 hours." in finding.message


@pytest.mark.django_db
def test_an_imported_lead_without_history_counts_from_its_creation():
    contact = Contact.objects.create(
        email="ada@example.org", lifecycle_stage="sql", created_at=NOW - 6 * HOUR
    )
    (finding,) = leads_without_owner.detect(now=NOW)
    assert finding.evidence["contacts"][0]["id"] == contact.pk
    assert finding.severity == "warning"


@pytest.mark.django_db
def test_assigning_an_owner_resolves_the_alarm(rep):
    lead = sql_lead(5)
    (alarm,) = alarms_check(now=NOW, kinds=[AlarmKind.LEADS_WITHOUT_OWNER]).raised
    lead.owner = rep
    lead.save()
    result = alarms_check(now=NOW + HOUR, kinds=[AlarmKind.LEADS_WITHOUT_OWNER])
    alarm.refresh_from_db()
    assert [a.pk for a in result.resolved] == [alarm.pk]
    assert alarm.status == AlarmStatus.RESOLVED
