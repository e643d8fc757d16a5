"""How findings become alarms: one active alarm per kind and subject, updated by every check,
resolved when the condition clears; acknowledging; the uniqueness the database enforces."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from closedloop.alarms import detectors
from closedloop.alarms.detectors import Finding
from closedloop.alarms.models import Alarm, AlarmStatus
from closedloop.alarms.services import alarm_acknowledge, alarms_check
from closedloop.alarms.tests.conftest import NOW
from closedloop.audit.models import AuditEntry

HOUR = timedelta(hours=1)
KIND = "leads_without_owner"


@pytest.fixture
def found(monkeypatch):
    """The findings a stand-in detector returns; tests set them before each check."""
    current: list[Finding] = []
    monkeypatch.setattr(detectors, "DETECTORS", {KIND: lambda *, now: list(current)})
    return current


def finding(key="all", severity="warning", raises=True, n=1):
    return Finding(
        kind=KIND, subject_key=key, severity=severity, title=f"{n} leads", message=f"{n} leads wait",
        evidence={"count": n}, raises=raises,
    )  # fmt: skip


@pytest.mark.django_db
def test_checking_twice_keeps_one_alarm_and_updates_it(found):
    found.append(finding(n=1))
    (raised,) = alarms_check(now=NOW).raised
    found[0] = finding(n=3)
    result = alarms_check(now=NOW + HOUR)

    assert result.raised == [] and [a.pk for a in result.updated] == [raised.pk]
    alarm = Alarm.objects.get()
    assert (alarm.title, alarm.evidence, alarm.first_raised_at, alarm.last_seen_at) == (
        "3 leads", {"count": 3}, NOW, NOW + HOUR,
    )  # fmt: skip


@pytest.mark.django_db
def test_an_alarm_resolves_when_its_condition_clears_and_a_new_one_can_follow(found):
    found.append(finding())
    (alarm,) = alarms_check(now=NOW).raised
    found.clear()
    assert [a.pk for a in alarms_check(now=NOW + HOUR).resolved] == [alarm.pk]
    alarm.refresh_from_db()
    assert (alarm.status, alarm.resolved_at, alarm.resolution) == (
        AlarmStatus.RESOLVED, NOW + HOUR, "The condition cleared.",
    )  # fmt: skip
    found.append(finding())
    (again,) = alarms_check(now=NOW + 5 * HOUR).raised
    assert again.pk != alarm.pk and Alarm.objects.count() == 2


@pytest.mark.django_db
def test_weaker_evidence_keeps_an_active_alarm_open_but_raises_none(found):
    found.append(finding(raises=False))
    assert alarms_check(now=NOW).raised == [] and not Alarm.objects.exists()
    found[0] = finding(raises=True)
    alarms_check(now=NOW + HOUR)
    found[0] = finding(raises=False)
    result = alarms_check(now=NOW + 2 * HOUR)
    assert len(result.updated) == 1 and result.resolved == []
    assert Alarm.objects.get().status == AlarmStatus.OPEN


@pytest.mark.django_db
def test_acknowledged_alarms_update_resolve_and_reopen_when_worse(found, rep):
    found.append(finding(severity="warning"))
    (alarm,) = alarms_check(now=NOW).raised
    alarm_acknowledge(alarm=alarm, by=rep, now=NOW + HOUR)
    alarms_check(now=NOW + 2 * HOUR)
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.ACKNOWLEDGED  # same severity: still someone's

    found[0] = finding(severity="critical")
    alarms_check(now=NOW + 3 * HOUR)
    alarm.refresh_from_db()
    assert (alarm.status, alarm.severity) == (AlarmStatus.OPEN, "critical")

    alarm_acknowledge(alarm=alarm, by=rep, now=NOW + 4 * HOUR)
    found.clear()
    alarms_check(now=NOW + 5 * HOUR)
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.RESOLVED


@pytest.mark.django_db
def test_acknowledge_records_who_and_when_and_is_audited(found, rep):
    found.append(finding())
    (alarm,) = alarms_check(now=NOW).raised

    alarm_acknowledge(alarm=alarm, by=rep, now=NOW + HOUR)
    alarm_acknowledge(alarm=alarm, by=rep, now=NOW + 2 * HOUR)  # a retried click changes nothing

    alarm.refresh_from_db()
    assert (alarm.status, alarm.acknowledged_by, alarm.acknowledged_at) == (
        AlarmStatus.ACKNOWLEDGED, rep, NOW + HOUR,
    )  # fmt: skip
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_id) == ("alarm.acknowledge", rep, str(alarm.pk))


@pytest.mark.django_db
def test_partners_cannot_acknowledge_and_resolved_alarms_cannot_be(found, partner, rep):
    found.append(finding())
    (alarm,) = alarms_check(now=NOW).raised
    with pytest.raises(PermissionDenied):
        alarm_acknowledge(alarm=alarm, by=partner)
    found.clear()
    alarms_check(now=NOW + HOUR)
    with pytest.raises(ValidationError):
        alarm_acknowledge(alarm=alarm, by=rep)
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_the_database_refuses_a_second_active_alarm_for_the_same_subject():
    fields = {"kind": KIND, "subject_key": "all", "title": "t", "message": "m", "first_raised_at": NOW,
              "last_seen_at": NOW}  # fmt: skip
    Alarm.objects.create(**fields, status=AlarmStatus.RESOLVED)
    Alarm.objects.create(**fields, status=AlarmStatus.OPEN)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alarm.objects.create(**fields, status=AlarmStatus.ACKNOWLEDGED)
    Alarm.objects.create(**{**fields, "subject_key": "other"})
    assert Alarm.objects.count() == 3
