"""The SLA report and its page, CSV and API, checked against hand-counted clocks."""

from datetime import UTC, date, datetime, timedelta

import pytest

from closedloop.accounts.roles import Role
from closedloop.crm.models import StageTransition
from closedloop.sla.models import BusinessCalendar, ClockStatus, SlaClock
from closedloop.sla.selectors import sla_report, volume_report
from tests.factories import ContactFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

JUNE = datetime(2026, 6, 10, 9, tzinfo=UTC)


def make_clock(owner, *, status, elapsed_hours=None, stopped=True, started=JUNE, kind="first_contact_within"):
    return SlaClock.objects.create(
        contact=ContactFactory(),
        kind=kind,
        amount=4,
        unit="business_hours",
        owner=owner,
        owner_team="sales",
        started_at=started,
        due_at=started + timedelta(hours=4),
        stopped_at=started + timedelta(hours=5) if stopped else None,
        status=status,
        elapsed_business_seconds=None if elapsed_hours is None else int(elapsed_hours * 3600),
    )


@pytest.fixture
def clocks(db):
    BusinessCalendar.objects.create(pk=1, time_zone="UTC")
    team = TeamFactory(name="=Team East")  # a name that would run as a spreadsheet formula
    ann = UserFactory(username="ann", first_name="Ann", last_name="Ames", role=Role.SALES_REP, team=team)
    bob = UserFactory(username="bob", first_name="Bob", last_name="Best", role=Role.SALES_REP, team=team)
    make_clock(ann, status=ClockStatus.MET, elapsed_hours=1)
    make_clock(ann, status=ClockStatus.MET, elapsed_hours=3)
    make_clock(ann, status=ClockStatus.BREACHED, elapsed_hours=6)
    make_clock(ann, status=ClockStatus.BREACHED, stopped=False)  # overdue, still not contacted
    make_clock(bob, status=ClockStatus.RUNNING, stopped=False)
    make_clock(bob, status=ClockStatus.CANCELLED)  # holds nobody to anything
    make_clock(
        bob, status=ClockStatus.MET, elapsed_hours=2, started=datetime(2026, 3, 1, tzinfo=UTC)
    )  # out of range
    return ann, bob


def test_report_per_rep(clocks):
    rows = {r.label: r for r in sla_report(start=date(2026, 6, 1), end=date(2026, 6, 30), group="rep")}
    assert set(rows) == {"Ann Ames", "Bob Best"}
    a = rows["Ann Ames"]
    assert (a.total, a.met, a.breached, a.open_overdue, a.running) == (4, 2, 2, 1, 0)
    assert a.breach_rate == pytest.approx(2 / 4)
    assert a.median_business_hours == pytest.approx(3)  # median of 1, 3, 6
    b = rows["Bob Best"]
    assert (b.total, b.met, b.breached, b.running, b.breach_rate) == (1, 0, 0, 1, None)


def test_report_per_team_and_month(clocks):
    [team] = sla_report(start=date(2026, 6, 1), end=date(2026, 6, 30), group="team")
    assert (team.label, team.total, team.met, team.breached) == ("=Team East", 5, 2, 2)
    months = sla_report(start=date(2026, 3, 1), end=date(2026, 6, 30), group="month")
    assert [(m.label, m.total) for m in months] == [("March 2026", 1), ("June 2026", 5)]
    with pytest.raises(ValueError, match="group"):
        sla_report(start=date(2026, 6, 1), end=date(2026, 6, 30), group="planet")


def test_volume_counts_leads_that_crossed_into_the_stage_or_beyond(active_agreement, db):
    BusinessCalendar.objects.get_or_create(pk=1, defaults={"time_zone": "UTC"})
    c1, c2, c3, c4 = ContactFactory.create_batch(4)
    june = datetime(2026, 6, 5, tzinfo=UTC)
    StageTransition.objects.create(contact=c1, from_stage="iql", to_stage="mql", at=june, cause="rule")
    StageTransition.objects.create(
        contact=c2, from_stage="visitor", to_stage="sql", at=june, cause="rule"
    )  # jumped
    StageTransition.objects.create(
        contact=c3, from_stage="mql", to_stage="sql", at=june, cause="rule"
    )  # already MQL
    StageTransition.objects.create(
        contact=c4, from_stage="iql", to_stage="mql", at=june.replace(month=5), cause="rule"
    )
    rows = volume_report(start=date(2026, 5, 1), end=date(2026, 6, 30))
    assert [(r.month, r.stage, r.target, r.delivered, r.shortfall) for r in rows] == [
        (date(2026, 5, 1), "mql", 300, 1, 299),
        (date(2026, 6, 1), "mql", 300, 2, 298),
    ]


def test_report_page_csv_and_refusals(client, clocks):
    ann, _ = clocks
    client.force_login(ann)
    page = client.get("/sla/?start=2026-06-01&end=2026-06-30&group=rep")
    assert page.status_code == 200
    assert b"Ann Ames" in page.content and b"50%" in page.content
    export = client.get("/sla/?start=2026-06-01&end=2026-06-30&group=team&format=csv")
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert lines[0].startswith("team,clock,total")
    assert lines[1].startswith(
        "'=Team East,first_contact_within,5,2,2,1,1,0.5,3.0"
    )  # 2 breached of 4 decided
    client.force_login(UserFactory(username="agency", role=Role.PARTNER))
    assert client.get("/sla/").status_code == 403


def test_report_api(client, clocks):
    ann, _ = clocks
    client.force_login(ann)
    body = client.get("/api/v1/sla/report?start=2026-06-01&end=2026-06-30&group=rep").json()
    ann_row = next(r for r in body["rows"] if r["label"] == "Ann Ames")
    assert ann_row["breached"] == 2 and ann_row["breach_rate"] == 0.5
    clocks_page = client.get(f"/api/v1/sla/clocks?owner_id={ann.pk}&open=true").json()
    assert clocks_page["count"] == 1 and clocks_page["items"][0]["status"] == "breached"
    assert client.get("/api/v1/sla/report?group=planet").status_code == 422
    client.force_login(UserFactory(username="agency", role=Role.PARTNER))
    assert client.get("/api/v1/sla/clocks").status_code == 403


def test_calendar_page_saves_for_heads_and_refuses_others(client, db):
    head = UserFactory(username="sam", role=Role.HEAD_OF_SALES)
    client.force_login(head)
    ok = client.post(
        "/sla/calendar/",
        {
            "time_zone": "Europe/Berlin",
            "workdays": ["0", "1", "2", "3"],
            "day_start": "08:00",
            "day_end": "16:30",
            "holiday_country": "de",
            "holiday_subdivision": "by",
            "closed_days": "2026-12-24\n2026-12-31",
        },
    )
    assert ok.status_code == 302
    row = BusinessCalendar.objects.get(pk=1)
    assert (row.time_zone, row.workdays, row.holiday_country, row.holiday_subdivision) == (
        "Europe/Berlin",
        "0,1,2,3",
        "DE",
        "BY",
    )
    assert row.closed_days == ["2026-12-24", "2026-12-31"]

    bad = client.post(
        "/sla/calendar/",
        {
            "time_zone": "Mars/Olympus",
            "workdays": ["0"],
            "day_start": "09:00",
            "day_end": "17:00",
            "holiday_country": "XX",
        },
    )
    assert bad.status_code == 422
    assert b"unknown time zone" in bad.content and b"no public holiday calendar" in bad.content
    assert BusinessCalendar.objects.get(pk=1).time_zone == "Europe/Berlin"  # nothing half-saved

    client.force_login(UserFactory(username="mk", role=Role.MARKETER))
    assert client.get("/sla/calendar/").status_code == 403
