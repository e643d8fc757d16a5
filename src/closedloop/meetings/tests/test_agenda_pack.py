"""The agenda pack built from data, the minutes exports and the iCal invitation, on a small
hand-built week: numbers checked by hand."""

import csv
import io
from datetime import UTC, date, datetime, time

import pytest
from icalendar import Calendar

from closedloop.alarms.models import Alarm
from closedloop.crm.models import StageTransition
from closedloop.handoff.models import Handoff, RejectionReason
from closedloop.meetings import hooks
from closedloop.meetings.ical import series_ical
from closedloop.meetings.minutes import minutes_csv, minutes_markdown
from closedloop.meetings.models import MeetingOccurrence, MeetingSeries
from closedloop.meetings.services.goals import goal_create
from closedloop.meetings.services.meetings import (
    action_item_create,
    decision_record,
    occurrence_pack_generate,
)
from tests.factories import CampaignFactory, ContactFactory, DealFactory, EventFactory


def at(day, hour=10):
    return datetime(2026, 6, day, hour, tzinfo=UTC)


@pytest.fixture
def week(maya, alex, marketing):
    """Monday 15 June 2026, 09:00 UTC: the pack reviews 8–14 June against 1–7 June."""
    series = MeetingSeries.objects.create(name="Weekly sync", cadence="weekly", start_time=time(9),
                                          starts_on=date(2026, 6, 1), location="Room 2", presider=maya)  # fmt: skip
    series.participants.set([maya, alex])
    occurrence = MeetingOccurrence.objects.create(series=series, starts_at=at(15, 9), ends_at=at(15, 10))
    ppc, webinar = CampaignFactory(name="PPC – Free trial"), CampaignFactory(name="Ops webinar")
    # New leads: 3 this week (one on the last second), 1 the week before, 1 on the meeting day (not counted).
    for created in (at(8, 0), at(10), datetime(2026, 6, 14, 23, 59, 59, tzinfo=UTC), at(3), at(15, 8)):
        ContactFactory(created_at=created)
    # Wins: one this week, touched by the webinar then PPC (and PPC again after closing: ignored).
    buyer = ContactFactory(created_at=at(1))
    EventFactory(contact=buyer, campaign=webinar, ts=at(2))
    EventFactory(contact=buyer, campaign=ppc, ts=at(4))
    EventFactory(contact=buyer, campaign=webinar, ts=at(5))
    EventFactory(contact=buyer, campaign=ppc, ts=at(13))
    DealFactory(name="Acme rollout", contact=buyer, owner=alex, stage="won", amount=12000, closed_at=at(12))
    DealFactory(name="Old win", stage="won", amount=500, closed_at=at(4))
    # Rejections: two "no budget", one "wrong persona" this week; one the week before.
    RejectionReason.objects.get_or_create(code="no_budget", defaults={"label": "No budget"})
    RejectionReason.objects.get_or_create(code="wrong_persona", defaults={"label": "Wrong persona"})
    for reason, day in (("no_budget", 9), ("no_budget", 11), ("wrong_persona", 12), ("no_budget", 2)):
        Handoff.objects.create(contact=ContactFactory(created_at=at(1)), stage="sql", routed_to=alex, routed_at=at(1),
                               routing_reason="test", status="rejected", decided_at=at(day), decided_by=alex,
                               reason_code=reason, comment="student, no company")  # fmt: skip
    Alarm.objects.create(kind="leads_without_owner", subject_key="all", severity="critical", title="3 leads without owner",
                         message="Route them.", first_raised_at=at(14), last_seen_at=at(14))  # fmt: skip
    goal_create(
        metric="new_leads",
        period_kind="month",
        period_start=date(2026, 6, 1),
        target=20,
        team=marketing,
        by=maya,
    )
    return occurrence


@pytest.mark.django_db
def test_the_pack_compares_the_week_with_the_one_before_and_with_goal(maya, week):
    occurrence = occurrence_pack_generate(occurrence=week, by=maya, now=at(15, 9))
    pack = occurrence.pack
    kpis = {k["metric"]: k for k in pack["kpis"]}
    # This week: 3 new leads; the week before: one lead, the buyer and the four rejected leads.
    assert (kpis["new_leads"]["current"], kpis["new_leads"]["previous"]) == (3, 6)
    assert kpis["new_leads"]["change_percent"] == -50.0
    # The June goal of 20: 10 leads by 15 June 09:00 (14 d 9 h of 30 d = 345 of 720 h): 10 × 720 / 345 = 20.87 → 104%.
    (goal,) = kpis["new_leads"]["goals"]
    assert (goal["percent"], goal["sentence"]) == (50, "at this rate: 104% by month end")
    assert (
        kpis["deals_won"]["current"],
        kpis["revenue_won"]["current"],
        kpis["revenue_won"]["previous"],
    ) == (1, 12000, 500)
    assert pack["rejections"]["by_reason"] == [
        {"reason_code": "no_budget", "label": "No budget", "count": 2},
        {"reason_code": "wrong_persona", "label": "Wrong persona", "count": 1},
    ]
    assert len(pack["rejections"]["leads"]) == 3
    (win,) = pack["wins"]
    assert win == {"deal": "Acme rollout", "amount": 12000, "owner": "Alex", "account": "",
                   "touchpoints": ["Ops webinar", "PPC – Free trial"]}  # fmt: skip
    assert [a["title"] for a in pack["alarms"]] == ["3 leads without owner"]
    assert pack["sla_breaches"] == [] and pack["content_gaps"] == []
    assert occurrence.pack_generated_at == at(15, 9)


@pytest.mark.django_db
def test_sla_breaches_come_from_the_hook(monkeypatch, maya, week):
    monkeypatch.setattr(
        "closedloop.meetings.agenda.sla_breaches_for_pack",
        lambda start, end: [{"title": f"First contact late ({start:%d}–{end:%d})"}],
    )
    assert occurrence_pack_generate(occurrence=week, by=maya, now=at(15, 9)).pack["sla_breaches"] == [
        {"title": "First contact late (08–15)"}
    ]
    assert hooks.sla_breaches_for_pack(start=at(8), end=at(15)) == []


@pytest.mark.django_db
def test_friction_names_the_stage_pair_that_fell(maya, week):
    # Baseline weeks (4 before): 4 MQLs a week, 2 of them reach SQL; this week 4 MQLs, none reach SQL.
    for weeks_back in range(5):
        for i in range(4):
            c = ContactFactory(created_at=at(1))
            entered = datetime(2026, 6, 9, tzinfo=UTC) - weeks_back * (at(15, 0) - at(8, 0))
            StageTransition.objects.create(contact=c, to_stage="mql", at=entered, cause="manual")
            if weeks_back and i < 2:
                StageTransition.objects.create(
                    contact=c, to_stage="sql", at=entered.replace(hour=12), cause="manual"
                )
    pack = occurrence_pack_generate(occurrence=week, by=maya, now=at(15, 9)).pack
    assert any(s.startswith("MQL → SQL fell from 50% to 0%") for s in pack["friction"]), pack["friction"]


@pytest.mark.django_db
def test_minutes_in_markdown_and_csv(maya, alex, week):
    occurrence = occurrence_pack_generate(occurrence=week, by=maya, now=at(15, 9))
    decision_record(occurrence=occurrence, text="Pause the PPC free-trial campaign", by=maya)
    action_item_create(
        title="Rewrite the landing page", owner=alex, due_on=date(2026, 6, 22), occurrence=occurrence, by=maya
    )
    md = minutes_markdown(occurrence)
    assert md.startswith("# Weekly sync — 2026-06-15 09:00\n")
    assert "| New leads | 3 | 6 | -50.0% | Marketing: at this rate: 104% by month end |" in md
    assert (
        "- No budget: 2" in md
        and "- Acme rollout: 12,000 — Alex (helped by Ops webinar, PPC – Free trial)" in md
    )
    assert "## Decisions\n\n- Pause the PPC free-trial campaign\n" in md
    assert "- [ ] Rewrite the landing page — Alex, due 2026-06-22" in md
    rows = list(csv.reader(io.StringIO(minutes_csv(occurrence))))
    assert rows == [
        ["type", "text", "owner", "due_on", "status", "raised_on"],
        ["decision", "Pause the PPC free-trial campaign", "", "", "", "2026-06-15"],
        ["action_item", "Rewrite the landing page", "alex", "2026-06-22", "open", "2026-06-15"],
    ]


@pytest.mark.django_db
def test_ical_has_one_event_per_occurrence_with_attendees(week):
    MeetingOccurrence.objects.create(series=week.series, starts_at=at(22, 9), ends_at=at(22, 10))
    cal = Calendar.from_ical(series_ical(week.series, host="crm.example"))
    events = cal.walk("VEVENT")
    assert [e.decoded("dtstart") for e in events] == [at(15, 9), at(22, 9)]
    assert str(events[0]["uid"]) == f"meeting-occurrence-{week.pk}@crm.example"
    assert str(events[0]["location"]) == "Room 2" and str(events[0]["summary"]) == "Weekly sync"
    assert sorted(str(a) for a in events[0]["attendee"]) == [
        "mailto:alex@example.com",
        "mailto:maya@example.com",
    ]
    assert str(events[0]["organizer"]) == "mailto:maya@example.com"
