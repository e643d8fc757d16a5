"""Personas: co-authored contributions marked by side, history, comments, rule matching with
counts and revenue (hand-computed), and clear errors."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from closedloop.audit.models import AuditEntry
from closedloop.content.models import Persona, PersonaContribution
from closedloop.content.selectors.personas import persona_document, persona_history, persona_matches
from closedloop.content.services import (
    persona_comment_add,
    persona_contribute,
    persona_create,
    persona_update,
)
from closedloop.content.tests.conftest import NOW
from tests.factories import AccountFactory, ContactFactory, DealFactory


@pytest.mark.django_db
def test_contributions_are_marked_by_the_authors_team_and_edits_keep_history(marketer, rep, ops_persona):
    pain = persona_contribute(persona=ops_persona, section="pains", text="Weekly Excel report takes a day",
                              by=marketer, now=NOW)  # fmt: skip
    objection = persona_contribute(persona=ops_persona, section="objections", stage="opportunity",
                                   text="Worried IT will block the connectors", by=rep, now=NOW)  # fmt: skip
    assert (pain.side, objection.side) == ("marketing", "sales")
    better = persona_contribute(persona=ops_persona, section="pains", text="Monday report takes a full day",
                                by=rep, replaces=pain, now=NOW)  # fmt: skip
    pain.refresh_from_db()
    assert pain.retired_at == NOW and better.replaces_id == pain.pk and better.side == "sales"
    doc = {s["section"]: s for s in persona_document(persona=ops_persona)}
    assert [c.text for st in doc["pains"]["stages"] for c in st["items"]] == [
        "Monday report takes a full day"
    ]
    assert doc["objections"]["stages"][0]["label"] == "Opportunity"
    history = persona_history(persona=ops_persona)
    assert len(history) == 3 and any(h["retired"] for h in history)
    with pytest.raises(ValidationError) as err:
        persona_contribute(persona=ops_persona, section="pains", text="again", by=rep, replaces=pain)
    assert "already replaced" in str(err.value)
    comment = persona_comment_add(
        persona=ops_persona, body="We hear this in every call", by=rep, contribution=better
    )
    assert comment.side == "sales"
    assert AuditEntry.objects.filter(action="persona.contribute").count() == 3


@pytest.mark.django_db
def test_bad_input_names_the_field_and_stores_nothing(marketer, rep, partner, admin_user, ops_persona):
    with pytest.raises(ValidationError) as err:
        persona_create(slug="Ops Manager", name="", by=marketer)
    assert set(err.value.message_dict) == {"slug", "name"}
    with pytest.raises(ValidationError) as err:
        persona_create(slug="cfo", name="CFO", match_rule="persona = 'cfo'", by=marketer)
    assert "match_rule" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        persona_create(slug="ops_manager", name="Again", by=marketer)
    assert "already exists" in err.value.message_dict["slug"][0]
    with pytest.raises(ValidationError) as err:
        persona_contribute(persona=ops_persona, section="hobbies", stage="lead", text=" ", by=rep)
    assert set(err.value.message_dict) == {"section", "stage", "text"}
    with pytest.raises(PermissionDenied):
        persona_contribute(persona=ops_persona, section="pains", text="x", by=partner)
    with pytest.raises(ValidationError) as err:  # an admin without a team is neither side
        persona_contribute(persona=ops_persona, section="pains", text="x", by=admin_user)
    assert "neither the sales nor the marketing team" in err.value.message_dict["author"][0]
    assert Persona.objects.count() == 1 and PersonaContribution.objects.count() == 0


@pytest.mark.django_db
def test_matching_counts_contacts_customers_and_won_revenue(marketer):
    big = AccountFactory(employees=250)
    small = AccountFactory(employees=12)
    a = ContactFactory(persona="ops_manager", account=big, lifecycle_stage="customer")
    ContactFactory(persona="ops_manager", account=small, lifecycle_stage="mql")
    c = ContactFactory(persona="ops_manager", account=big, lifecycle_stage="opportunity")
    d = ContactFactory(persona="cfo", account=big, lifecycle_stage="customer")
    DealFactory(contact=a, stage="won", amount=Decimal("12000.00"))
    DealFactory(contact=a, stage="won", amount=Decimal("3000.00"))
    DealFactory(contact=c, stage="lost", amount=Decimal("9000.00"))
    DealFactory(contact=d, stage="won", amount=Decimal("50000.00"))
    ops = persona_create(slug="ops_manager", name="Ops", by=marketer)
    mid = persona_create(slug="ops_midmarket", name="Ops mid-market", by=marketer,
                         match_rule='persona == "ops_manager" && company_size >= 50')  # fmt: skip
    result = persona_matches(personas=[ops, mid], now=NOW)
    # ops: a, b, c; customers: a (two won deals, 15,000). mid-market: a, c (b is a 12-person firm).
    assert (result[ops.pk].contacts, result[ops.pk].customers, result[ops.pk].won_deals) == (3, 1, 2)
    assert result[ops.pk].revenue == Decimal("15000.00")
    assert result[ops.pk].by_stage == {"mql": 1, "opportunity": 1, "customer": 1}
    assert (result[mid.pk].contacts, result[mid.pk].revenue) == (2, Decimal("15000.00"))
    assert result[mid.pk].sample_contact_ids == sorted([a.pk, c.pk])
    persona_update(persona=mid, match_rule='persona == "cfo"', by=marketer)
    mid.refresh_from_db()
    assert persona_matches(personas=[mid], now=NOW)[mid.pk].revenue == Decimal("50000.00")
