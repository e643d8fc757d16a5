"""Clocks from routing to breach: deadlines in business time, stops from decisions and logged
activities, breach notifications to the owner and their manager (in the app and by email)."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.core.management import call_command

from closedloop.crm.lifecycle import Stage
from closedloop.crm.models import Activity
from closedloop.crm.services import contact_change_stage
from closedloop.handoff.models import Handoff, HandoffStatus
from closedloop.handoff.services import handoff_accept, handoff_reject, handoff_route, handoffs_route_pending
from closedloop.notifications.models import Notification
from closedloop.sla.models import ClockStatus, SlaClock
from closedloop.sla.services import sla_clocks_check
from closedloop.sla.tests.conftest import berlin
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

FRIDAY_4PM = berlin(2026, 6, 12, 16)


@pytest.fixture
def routed(active_agreement, berlin_week, rep, sql_lead):
    return handoff_route(contact=sql_lead, now=FRIDAY_4PM)


def clock(handoff, kind):
    return SlaClock.objects.get(handoff=handoff, kind=kind)


def test_routing_starts_the_first_contact_and_accept_clocks_in_business_time(routed, rep):
    first = clock(routed, "first_contact_within")
    accept = clock(routed, "accept_within")
    assert first.owner == rep and first.owner_team == "sales" and first.status == ClockStatus.RUNNING
    # 1 h on Friday + 3 h from Monday 9:00.
    assert first.due_at == berlin(2026, 6, 15, 12)
    # 2 business days = 16 h: 1 h Friday, 8 h Monday, 7 h Tuesday.
    assert accept.due_at == berlin(2026, 6, 16, 16)
    assert first.agreement_version_id == routed.agreement_version_id


def test_the_rep_is_told_when_a_lead_is_routed_to_them(routed, rep):
    note = Notification.objects.get(recipient=rep, kind="lead_routed")
    assert str(routed.contact) in note.title
    assert note.link == f"/contacts/{routed.contact_id}/"
    assert "Mon 15 Jun" in note.body or "15 Jun" in note.body


def test_a_call_logged_in_time_stops_the_first_contact_clock_as_met(routed, rep):
    Activity.objects.create(
        kind=Activity.Kind.CALL,
        subject="Intro call",
        contact=routed.contact,
        user=rep,
        at=berlin(2026, 6, 15, 10),
    )
    result = sla_clocks_check(now=berlin(2026, 6, 15, 10, 30))
    first = clock(routed, "first_contact_within")
    assert result.stopped == 1
    assert first.status == ClockStatus.MET
    assert first.stopped_at == berlin(2026, 6, 15, 10)
    assert first.elapsed_business_seconds == 2 * 3600  # Friday 16–17 and Monday 9–10


def test_a_note_is_not_a_first_contact(routed, rep):
    Activity.objects.create(
        kind=Activity.Kind.NOTE,
        subject="Looked at LinkedIn",
        contact=routed.contact,
        user=rep,
        at=berlin(2026, 6, 15, 10),
    )
    sla_clocks_check(now=berlin(2026, 6, 15, 10, 30))
    assert clock(routed, "first_contact_within").stopped_at is None


def test_an_overdue_clock_is_breached_and_owner_and_manager_are_told_once(
    routed, rep, head_of_sales, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = sla_clocks_check(now=berlin(2026, 6, 15, 13))
    first = clock(routed, "first_contact_within")
    assert [c.pk for c in result.breached] == [first.pk]
    assert first.status == ClockStatus.BREACHED and first.stopped_at is None
    assert first.breached_at == berlin(2026, 6, 15, 12)
    told = Notification.objects.filter(kind="sla_breach").order_by("recipient__username")
    assert [n.recipient for n in told] == [rep, head_of_sales]
    assert sorted(m.to[0] for m in mail.outbox) == ["alex@example.com", "sam@example.com"]
    assert all("SLA breached" in m.subject for m in mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        again = sla_clocks_check(now=berlin(2026, 6, 15, 14))
    assert again.breached == []
    assert Notification.objects.filter(kind="sla_breach").count() == 2


def test_a_late_first_contact_stops_the_clock_but_it_stays_breached(routed, rep):
    sla_clocks_check(now=berlin(2026, 6, 15, 13))
    Activity.objects.create(
        kind=Activity.Kind.EMAIL,
        subject="Hello",
        contact=routed.contact,
        user=rep,
        at=berlin(2026, 6, 15, 14),
    )
    sla_clocks_check(now=berlin(2026, 6, 15, 15))
    first = clock(routed, "first_contact_within")
    assert first.stopped_at == berlin(2026, 6, 15, 14)
    assert first.status == ClockStatus.BREACHED


def test_accepting_stops_the_accept_clock(routed, rep):
    handoff_accept(handoff=routed, by=rep, now=berlin(2026, 6, 15, 9, 30))
    accept = clock(routed, "accept_within")
    assert accept.status == ClockStatus.MET
    assert accept.elapsed_business_seconds == 90 * 60
    assert clock(routed, "first_contact_within").stopped_at is None  # accepting is not contacting


def test_rejecting_settles_accept_and_first_contact_and_records_the_reason_clock(routed, rep):
    from closedloop.handoff.models import RejectionReason

    RejectionReason.objects.get_or_create(code="no_budget", defaults={"label": "No budget"})
    handoff_reject(handoff=routed, reason_code="no_budget", by=rep, now=berlin(2026, 6, 17, 10))
    assert clock(routed, "accept_within").status == ClockStatus.BREACHED  # due Tuesday 16:00
    assert clock(routed, "first_contact_within").status == ClockStatus.BREACHED
    reason = clock(routed, "rejection_reason_within")
    assert reason.status == ClockStatus.MET and reason.stopped_at == berlin(2026, 6, 17, 10)


def test_a_recycled_handoff_cancels_its_clocks(routed):
    contact = routed.contact
    contact.lifecycle_stage = Stage.MQL
    contact.save()
    handoffs_route_pending(now=berlin(2026, 6, 15, 9))
    sla_clocks_check(now=berlin(2026, 6, 15, 9))
    assert set(SlaClock.objects.values_list("status", flat=True)) == {ClockStatus.CANCELLED}


def test_open_handoffs_without_clocks_get_them(active_agreement, berlin_week, rep, sql_lead):
    Handoff.objects.create(
        contact=sql_lead, stage=Stage.SQL, routed_to=rep, routed_at=FRIDAY_4PM, routing_reason="imported"
    )
    result = sla_clocks_check(now=FRIDAY_4PM)
    assert result.started == 2
    assert SlaClock.objects.filter(contact=sql_lead).count() == 2


def test_a_contact_entering_the_sales_ready_stage_is_routed_when_the_change_commits(
    active_agreement, berlin_week, rep, django_capture_on_commit_callbacks
):
    lead = ContactFactory(lifecycle_stage=Stage.MQL)
    with django_capture_on_commit_callbacks(execute=True):
        contact_change_stage(contact=lead, to_stage=Stage.SQL, cause="manual")
    handoff = Handoff.objects.get(contact=lead)
    assert handoff.routed_to == rep and handoff.status == HandoffStatus.PENDING
    assert SlaClock.objects.filter(handoff=handoff).count() == 2


def test_the_check_command_routes_and_reports_as_json(active_agreement, berlin_week, rep, sql_lead, capsys):
    call_command("sla", "check", "--json", "--now", "2026-06-12T14:00:00Z")
    out = capsys.readouterr().out
    assert '"routed": 1' in out and '"started": 0' in out  # routing started the clocks itself
    assert (
        SlaClock.objects.filter(contact=sql_lead, started_at=datetime(2026, 6, 12, 14, tzinfo=UTC)).count()
        == 2
    )


def test_the_meetings_agenda_pack_lists_breaches_of_the_week(routed, rep):
    from closedloop.meetings.hooks import sla_breaches_for_pack

    sla_clocks_check(now=berlin(2026, 6, 15, 13))
    [breach] = sla_breaches_for_pack(start=berlin(2026, 6, 15), end=berlin(2026, 6, 22))
    assert breach["title"].startswith("First contact within 4 business hours:")
    assert breach["owner"] == rep.display_name
    assert sla_breaches_for_pack(start=berlin(2026, 6, 22), end=berlin(2026, 6, 29)) == []
