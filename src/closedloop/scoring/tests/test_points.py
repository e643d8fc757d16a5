"""Points scoring: fit and engagement rules in the rule language, per-event decay, the per-lead
breakdown, bulk rescoring and the rule services' validation and permissions."""

from datetime import timedelta

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from closedloop.audit.models import AuditEntry
from closedloop.crm.models import Contact
from closedloop.scoring import services
from closedloop.scoring.models import ContactScore, PointsRule
from closedloop.scoring.points import DecayRule, decay_points
from closedloop.scoring.points_service import contacts_rescore
from closedloop.scoring.selectors import score_explanation_for
from closedloop.scoring.tests.conftest import NOW
from tests.factories import AccountFactory, ContactFactory, EventFactory


def decay(points=4, window=30, half_life=7, cap=None):
    return DecayRule(1, "Pricing", "engagement", points, "page_view", "/pricing", window, half_life, cap)


def test_decay_halves_every_half_life_and_ignores_events_outside_the_window():
    # 4 + 4·½ + 4·¼ = 7; the 31-day-old event is outside the 30-day window.
    assert decay_points(decay(), np.array([0.0, 7.0, 14.0, 31.0])) == pytest.approx(7.0)


def test_decay_is_capped_and_without_half_life_counts_plainly():
    assert decay_points(decay(cap=5), np.array([0.0, 0.0, 0.0])) == 5
    assert decay_points(decay(half_life=None), np.array([1.0, 2.0, 3.0])) == 12
    assert decay_points(decay(points=-3, half_life=None, cap=5), np.array([1.0, 2.0])) == -5


@pytest.fixture
def rules(maya):
    services.points_rule_create(
        by=maya, kind="fit", name="Mid-sized company", condition="company_size >= 50", points=10
    )
    services.points_rule_create(
        by=maya, kind="fit", name="Operations persona", condition='persona == "ops_manager"', points=15
    )
    services.points_rule_create(
        by=maya, kind="engagement", name="Downloaded content", condition="downloads_30d >= 1", points=5
    )
    services.points_rule_create(
        by=maya,
        kind="engagement",
        name="Pricing visits",
        event_type="page_view",
        url_contains="/pricing",
        points=4,
        window_days=30,
        half_life_days=7,
        max_points=20,
    )
    services.points_rule_create(
        by=maya, kind="fit", name="Switched off", condition="company_size >= 1", points=50, is_active=False
    )


@pytest.fixture
def leads(db):
    big = AccountFactory(employees=120)
    small = AccountFactory(employees=10)
    ann = ContactFactory(account=big, persona="ops_manager")
    for days in (0, 7, 40):  # 40 days: outside the window
        EventFactory(
            contact=ann, type="page_view", url="https://ex.test/pricing", ts=NOW - timedelta(days=days)
        )
    EventFactory(contact=ann, type="page_view", url="https://ex.test/blog", ts=NOW - timedelta(days=1))
    bob = ContactFactory(account=small, persona="cfo")
    EventFactory(contact=bob, type="content_download", ts=NOW - timedelta(days=10))
    cal = ContactFactory()
    return ann, bob, cal


def test_rescore_writes_hand_computed_points_and_breakdown(rules, leads):
    ann, bob, cal = leads
    result = contacts_rescore(now=NOW)
    assert (result.scored, result.changed) == (3, 2)
    # Ann: 10 (size) + 15 (persona) + 4·1 + 4·½ (pricing today and a week ago) = 31.
    # Bob: 5 (download 10 days ago). Cal: nothing.
    scores = dict(Contact.objects.values_list("pk", "lead_score"))
    assert (scores[ann.pk], scores[bob.pk], scores[cal.pk]) == (31, 5, 0)
    detail = ContactScore.objects.get(contact=ann)
    assert (detail.fit_points, detail.engagement_points) == (25, 6)
    assert [b["name"] for b in detail.breakdown] == [
        "Operations persona",
        "Mid-sized company",
        "Pricing visits",
    ]
    assert detail.breakdown[2]["points"] == 6.0
    assert "2 × page view (/pricing) in 30 d" in detail.breakdown[2]["detail"]
    explained = score_explanation_for(contact=Contact.objects.get(pk=ann.pk))
    assert explained.points == 31 and explained.probability is None
    assert "points only" in explained.note


def test_rescore_again_changes_nothing_and_can_target_some_contacts(rules, leads):
    ann, bob, _ = leads
    contacts_rescore(now=NOW)
    assert contacts_rescore(now=NOW).changed == 0
    # A week later Ann's pricing visits have halved: 4·½ + 4·¼ = 3 → 28.
    later = contacts_rescore(now=NOW + timedelta(days=7), contact_ids=[ann.pk])
    assert (later.scored, later.changed) == (1, 1)
    assert Contact.objects.get(pk=ann.pk).lead_score == 28
    assert Contact.objects.get(pk=bob.pk).lead_score == 5


def test_rescore_by_a_person_is_audited(rules, leads, maya):
    contacts_rescore(now=NOW, by=maya)
    entry = AuditEntry.objects.filter(action="scoring.rescore").get()
    assert entry.changes == {"scored": 3, "changed": 2}


def test_bad_rule_is_refused_with_the_field_named_and_nothing_written(maya):
    with pytest.raises(ValidationError) as caught:
        services.points_rule_create(by=maya, kind="fit", name="", condition="persnoa == 'x'", points=500)
    errors = caught.value.message_dict
    assert "did you mean 'persona'" in errors["condition"][0]
    assert "line 1, column 1" in errors["condition"][0]
    assert errors["points"] == ["must be between -100 and 100, got 500"]
    assert errors["name"][0].startswith("is required")
    with pytest.raises(ValidationError) as caught:
        services.points_rule_create(
            by=maya,
            kind="engagement",
            name="x",
            points=1,
            event_type="page_view",
            condition="page_view_7d >= 1",
        )
    assert "leave empty" in caught.value.message_dict["condition"][0]
    assert not PointsRule.objects.exists()
    assert not AuditEntry.objects.exists()


def test_update_and_delete_are_audited_with_the_change(maya):
    rule = services.points_rule_create(
        by=maya, kind="fit", name="Big", condition="company_size >= 500", points=10
    )
    services.points_rule_update(rule=rule, by=maya, points=20)
    entry = AuditEntry.objects.get(action="scoring.rule_update")
    assert entry.changes == {"points": [10, 20]}
    services.points_rule_delete(rule=rule, by=maya)
    assert not PointsRule.objects.exists()
    assert AuditEntry.objects.filter(action="scoring.rule_delete").count() == 1


def test_sales_rep_may_not_change_rules(alex):
    with pytest.raises(PermissionDenied):
        services.points_rule_create(
            by=alex, kind="fit", name="Big", condition="company_size >= 500", points=10
        )
