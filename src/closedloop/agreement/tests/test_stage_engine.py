"""The stage engine: rules move contacts forward, each transition names the version and the rule."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from closedloop.agreement import services
from closedloop.agreement.stage_engine import stages_reevaluate
from closedloop.crm.models import Contact, StageTransition
from closedloop.crm.services import contact_upsert
from closedloop.tracking.ingest import EventInput, events_ingest
from tests.factories import AccountFactory, ContactFactory, EventFactory

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
MQL_RULE_START = '(downloads_30d >= 1 && persona in ["ops_manager"'


def buyer(**kwargs):
    """A contact who fits the suggested MQL rule's persona and company size."""
    return ContactFactory(persona="ops_manager", account=AccountFactory(employees=80), **kwargs)


def download(contact, at):
    return EventFactory(contact=contact, type="content_download", ts=at)


def rule_transitions(contact):
    return list(StageTransition.objects.filter(contact=contact, cause=StageTransition.Cause.RULE))


def test_download_by_a_fitting_buyer_makes_an_mql_on_ingest(active):
    contact = buyer(email="ann@acme.test")
    events_ingest(
        events=[
            EventInput(
                idempotency_key="dl-1",
                type="content_download",
                ts=timezone.now() - timedelta(hours=1),
                email="ann@acme.test",
            )
        ]
    )
    contact.refresh_from_db()
    assert contact.lifecycle_stage == "mql"
    [transition] = rule_transitions(contact)
    assert (transition.from_stage, transition.to_stage) == ("visitor", "mql")
    assert transition.agreement_version_id == active.pk
    assert transition.rule.startswith(MQL_RULE_START)
    assert "passed over: iql" in transition.detail
    assert "content download" in transition.detail


def test_window_excludes_a_download_31_days_ago(active):
    old, recent = buyer(), buyer()
    download(old, NOW - timedelta(days=31))
    download(recent, NOW - timedelta(days=29))
    result = stages_reevaluate(contact_ids=[old.pk, recent.pk], now=NOW)
    old.refresh_from_db()
    recent.refresh_from_db()
    # The old download still counts for IQL (downloads_total), not for MQL (downloads_30d).
    assert old.lifecycle_stage == "iql"
    assert recent.lifecycle_stage == "mql"
    assert result.moved_to == {"iql": 1, "mql": 1}


def test_events_after_now_do_not_count(active):
    contact = buyer()
    download(contact, NOW + timedelta(days=1))
    assert stages_reevaluate(contact_ids=[contact.pk], now=NOW).moved == 0


def test_rules_never_move_a_contact_backward(active):
    mql = buyer(lifecycle_stage="mql")
    download(mql, NOW - timedelta(days=90))  # meets only the IQL rule now
    sql = buyer(lifecycle_stage="sql")
    result = stages_reevaluate(contact_ids=[mql.pk, sql.pk], now=NOW)
    assert result.moved == 0
    assert Contact.objects.get(pk=mql.pk).lifecycle_stage == "mql"
    assert Contact.objects.get(pk=sql.pk).lifecycle_stage == "sql"


def test_stages_without_a_rule_are_never_entered_by_rules(active):
    contact = ContactFactory(lifecycle_stage="customer", lead_score=99)
    EventFactory(contact=contact, type="meeting_booked", ts=NOW - timedelta(days=1))
    high = ContactFactory(lead_score=99)
    EventFactory(contact=high, type="meeting_booked", ts=NOW - timedelta(days=1))
    stages_reevaluate(contact_ids=[contact.pk, high.pk], now=NOW)
    assert Contact.objects.get(pk=contact.pk).lifecycle_stage == "customer"
    # SQL is the furthest stage with a rule: the meeting makes an SQL, never an opportunity.
    assert Contact.objects.get(pk=high.pk).lifecycle_stage == "sql"


def test_no_active_agreement_changes_nothing(draft):
    contact = buyer()
    download(contact, NOW - timedelta(days=1))
    result = stages_reevaluate(contact_ids=[contact.pk], now=NOW)
    assert result.version_number is None
    assert Contact.objects.get(pk=contact.pk).lifecycle_stage == "visitor"
    assert not rule_transitions(contact)


def test_field_change_through_upsert_is_reevaluated(active):
    contact = ContactFactory(email="bo@acme.com", account=AccountFactory(employees=80))
    download(contact, timezone.now() - timedelta(days=1))
    stages_reevaluate(contact_ids=[contact.pk])
    assert Contact.objects.get(pk=contact.pk).lifecycle_stage == "iql"
    contact, _ = contact_upsert(email="bo@acme.com", fields={"persona": "ops_manager"})
    assert contact.lifecycle_stage == "mql"
    assert [(t.from_stage, t.to_stage) for t in rule_transitions(contact)] == [
        ("visitor", "iql"),
        ("iql", "mql"),
    ]


def test_bulk_command_reevaluates_everyone_under_a_new_version(active, maya, sam, capsys):
    contacts = [ContactFactory(lead_score=score) for score in (10, 45, 65)]
    draft = services.agreement_draft_create(by=maya)
    services.agreement_draft_update(
        version=draft,
        by=maya,
        stage_definitions=[{"stage": "mql", "rule": "lead_score >= 40", "explanation": "Scored 40+."}],
    )
    services.agreement_propose(version=draft, by=maya)
    services.agreement_sign(version=draft, user=maya, side="marketing")
    v2 = services.agreement_sign(version=draft, user=sam, side="sales")

    call_command("stages", "reevaluate", "--all", "--now", "2026-09-01T12:00:00Z")

    assert [Contact.objects.get(pk=c.pk).lifecycle_stage for c in contacts] == ["visitor", "mql", "mql"]
    transitions = StageTransition.objects.filter(cause=StageTransition.Cause.RULE)
    assert {(t.agreement_version_id, t.rule) for t in transitions} == {(v2.pk, "lead_score >= 40")}
    assert "evaluated 3 contacts, moved 2 (mql 2)" in capsys.readouterr().out


def test_command_with_contact_ids_touches_only_those(active, capsys):
    chosen, other = ContactFactory(lead_score=60), ContactFactory(lead_score=60)
    call_command("stages", "reevaluate", "--contacts", str(chosen.pk))
    assert Contact.objects.get(pk=chosen.pk).lifecycle_stage == "mql"
    assert Contact.objects.get(pk=other.pk).lifecycle_stage == "visitor"


def test_no_active_agreement_is_reported_by_the_command(db, capsys):
    call_command("stages", "reevaluate", "--all")
    assert "No active agreement" in capsys.readouterr().out


@pytest.mark.parametrize("field", ["persona", "company_size"])
def test_contact_that_does_not_fit_stays_iql(active, field):
    contact = buyer()
    if field == "persona":
        Contact.objects.filter(pk=contact.pk).update(persona="")
    else:
        contact.account.employees = 5
        contact.account.save()
    download(contact, NOW - timedelta(days=2))
    stages_reevaluate(contact_ids=[contact.pk], now=NOW)
    assert Contact.objects.get(pk=contact.pk).lifecycle_stage == "iql"


def test_contact_page_shows_the_version_and_rule(active, client, maya):
    contact = buyer()
    download(contact, NOW - timedelta(days=2))
    stages_reevaluate(contact_ids=[contact.pk], now=NOW)
    client.force_login(maya)
    html = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert f"Agreement v{active.number}" in html
    assert "downloads_30d &gt;= 1" in html
