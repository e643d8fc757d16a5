from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from closedloop.accounts.roles import Role
from closedloop.audit.models import AuditEntry
from closedloop.crm.lifecycle import Stage
from closedloop.handoff.models import Handoff, HandoffStatus
from closedloop.handoff.services import (
    handoff_accept,
    handoff_route,
    handoffs_route_pending,
    rep_availability_set,
    routing_rule_save,
)
from closedloop.handoff.tests.conftest import NOW, big_company_lead, sql_lead
from tests.factories import AccountFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_round_robin_is_fair_over_three_reps(reps, head_of_sales):
    # Seven leads over three reps, least recently assigned first: 1, 2, 3, 1, 2, 3, 1.
    owners = [handoff_route(contact=sql_lead(), now=NOW).routed_to.username for _ in range(7)]
    assert owners == ["rep1", "rep2", "rep3", "rep1", "rep2", "rep3", "rep1"]
    handoff = Handoff.objects.order_by("id").first()
    assert handoff.routing_reason == "Round robin among 3 available reps"
    assert handoff.contact.owner == reps[0]
    assert handoff.stage == Stage.SQL and handoff.status == HandoffStatus.PENDING
    assert AuditEntry.objects.filter(action="handoff.route").count() == 7


def test_round_robin_counts_every_handoff_not_only_open_ones(reps, head_of_sales):
    first = handoff_route(contact=sql_lead(), now=NOW)
    handoff_accept(handoff=first, by=reps[0], now=NOW)
    # rep1 took the last lead even though it is no longer open: rep2 is next.
    assert handoff_route(contact=sql_lead(), now=NOW).routed_to == reps[1]


def test_routing_rule_by_company_size_wins_over_round_robin(reps, head_of_sales):
    routing_rule_save(name="Enterprise", condition="company_size >= 500", target_user=reps[2], priority=10)
    big = handoff_route(contact=big_company_lead(800), now=NOW)
    small = handoff_route(contact=sql_lead(account=AccountFactory(employees=20)), now=NOW)
    again = handoff_route(contact=big_company_lead(1200), now=NOW)
    assert big.routed_to == reps[2] and again.routed_to == reps[2]
    assert big.routing_reason == "Rule “Enterprise” (company_size >= 500)"
    assert big.routing_rule is not None
    assert small.routed_to == reps[0]  # round robin: rep1 has had nothing yet


def test_rules_apply_in_priority_order_and_can_target_a_team(reps, head_of_sales):
    dach = TeamFactory(name="DACH")
    for rep in reps[:2]:
        rep.team = dach
        rep.save()
    routing_rule_save(name="Germany", condition='country == "DE"', target_team_id=dach.pk, priority=20)
    routing_rule_save(name="Enterprise", condition="company_size >= 500", target_user=reps[2], priority=10)
    german_enterprise = sql_lead(account=AccountFactory(employees=900, country="DE"))
    german_small = sql_lead(account=AccountFactory(employees=30, country="DE"))
    assert handoff_route(contact=german_enterprise, now=NOW).routed_to == reps[2]
    assert handoff_route(contact=german_small, now=NOW).routed_to in reps[:2]


def test_invalid_routing_condition_is_refused(reps):
    with pytest.raises(ValidationError) as exc:
        routing_rule_save(name="Broken", condition="company_size >= ", target_user=reps[0])
    assert "condition" in exc.value.error_dict


def test_capacity_cap_and_out_of_office_are_skipped(reps, head_of_sales):
    rep_availability_set(user=reps[0], out_of_office_until=NOW + timedelta(days=3))
    rep_availability_set(user=reps[1], max_open_handoffs=1)
    owners = [handoff_route(contact=sql_lead(), now=NOW).routed_to for _ in range(3)]
    # rep1 is away; rep2 takes one and is full; rep3 takes the rest.
    assert owners == [reps[1], reps[2], reps[2]]
    # Back from holiday: rep1 is eligible again.
    later = NOW + timedelta(days=4)
    assert handoff_route(contact=sql_lead(), now=later).routed_to == reps[0]


def test_rule_target_unavailable_falls_back_to_round_robin(reps, head_of_sales):
    routing_rule_save(name="Enterprise", condition="company_size >= 500", target_user=reps[2])
    rep_availability_set(user=reps[2], out_of_office_until=NOW + timedelta(days=1))
    handoff = handoff_route(contact=big_company_lead(), now=NOW)
    assert handoff.routed_to == reps[0]
    assert handoff.routing_reason.startswith("Round robin")


def test_no_eligible_rep_goes_to_head_of_sales(reps, head_of_sales):
    for rep in reps[:2]:
        rep_availability_set(user=rep, out_of_office_until=NOW + timedelta(days=1))
    rep_availability_set(user=reps[2], max_open_handoffs=0)
    handoff = handoff_route(contact=sql_lead(), now=NOW)
    assert handoff.routed_to == head_of_sales
    assert handoff.contact.owner == head_of_sales
    assert handoff.routing_reason == (
        "No eligible rep (Rep1, Rep2 out of office; Rep3 at capacity): assigned to the head of sales"
    )


def test_inactive_reps_are_not_routed_to(head_of_sales):
    UserFactory(username="gone", role=Role.SALES_REP, is_active=False)
    handoff = handoff_route(contact=sql_lead(), now=NOW)
    assert handoff.routed_to == head_of_sales


def test_without_reps_or_head_of_sales_routing_is_refused():
    with pytest.raises(ValidationError):
        handoff_route(contact=sql_lead(), now=NOW)
    assert not Handoff.objects.exists()


def test_routing_twice_keeps_the_open_handoff(reps, head_of_sales):
    contact = sql_lead()
    first = handoff_route(contact=contact, now=NOW)
    assert handoff_route(contact=contact, now=NOW).pk == first.pk
    assert Handoff.objects.count() == 1


def test_route_pending_routes_sales_ready_contacts_without_open_handoff(reps, head_of_sales):
    waiting = [sql_lead(), sql_lead()]
    already = sql_lead()
    handoff_route(contact=already, now=NOW)
    sql_lead(lifecycle_stage=Stage.MQL)
    accepted = sql_lead()
    handoff_accept(handoff=handoff_route(contact=accepted, now=NOW), by=head_of_sales)
    routed = handoffs_route_pending(now=NOW)
    assert sorted(h.contact_id for h in routed) == sorted(c.pk for c in waiting)
    assert handoffs_route_pending(now=NOW) == []


def test_route_pending_recycles_handoffs_of_contacts_that_fell_back(reps, head_of_sales):
    contact = sql_lead()
    handoff = handoff_route(contact=contact, now=NOW)
    contact.lifecycle_stage = Stage.MQL
    contact.save()
    handoffs_route_pending(now=NOW)
    handoff.refresh_from_db()
    assert handoff.status == HandoffStatus.RECYCLED


def test_route_command(reps, head_of_sales):
    from io import StringIO

    from django.core.management import call_command

    sql_lead()
    out = StringIO()
    call_command("handoff", "route", "--now", "2026-06-15T09:00:00Z", stdout=out)
    assert "routed 1 lead" in out.getvalue()
