"""The agreement's lifecycle: draft → proposed → signed by both heads → active, and every refusal."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from closedloop.agreement import selectors, services
from closedloop.agreement.defaults import DEFAULT_STAGE_ORDER
from closedloop.agreement.models import AgreementVersion, Signature, Status
from closedloop.audit.models import AuditEntry


def messages_of(exc_info) -> str:
    return " ".join(exc_info.value.messages)


def test_first_draft_starts_from_the_default_agreement(draft, maya):
    assert draft.number == 1 and draft.status == Status.DRAFT and draft.parent is None
    assert draft.created_by == maya
    assert draft.stage_order == list(DEFAULT_STAGE_ORDER)
    assert draft.sales_ready_stage == "sql"
    stages = [d.stage for d in draft.stage_definitions.all()]
    assert stages == list(DEFAULT_STAGE_ORDER)
    rules = {d.stage: d.rule for d in draft.stage_definitions.all()}
    assert "form_submit_total >= 1" in rules["iql"]
    assert "meeting_booked_30d >= 1" in rules["sql"]
    kinds = {(t.kind, t.stage, t.owner_team) for t in draft.sla_terms.all()}
    assert ("first_contact_within", "sql", "sales") in kinds
    assert ("volume_per_month", "mql", "marketing") in kinds
    owners = {d.stage: d.owner_team for d in draft.stage_definitions.all()}
    assert owners["iql"] == owners["mql"] == "marketing"
    assert owners["sql"] == owners["opportunity"] == owners["customer"] == "sales"


def test_default_agreement_rules_are_all_valid(draft):
    assert selectors.agreement_problems(version=draft) == []


def test_full_lifecycle_activates_and_supersedes_the_previous_version(maya, sam, tom):
    v1 = services.agreement_draft_create(by=maya)
    services.agreement_propose(version=v1, by=maya)
    v1 = services.agreement_sign(version=v1, user=maya, side="marketing")
    assert v1.status == Status.PROPOSED  # one signature is not enough
    v1 = services.agreement_sign(version=v1, user=sam, side="sales")
    assert v1.status == Status.ACTIVE and v1.activated_at is not None
    assert selectors.agreement_active_get().pk == v1.pk

    v2 = services.agreement_draft_create(by=tom)
    assert v2.number == 2 and v2.parent == v1
    services.agreement_draft_update(
        version=v2, by=tom, stage_definitions=[{"stage": "mql", "rule": "lead_score >= 60"}]
    )
    services.agreement_propose(version=v2, by=tom)
    services.agreement_sign(version=v2, user=sam, side="sales")
    v2 = services.agreement_sign(version=v2, user=maya, side="marketing")

    v1.refresh_from_db()
    assert v2.status == Status.ACTIVE
    assert v1.status == Status.SUPERSEDED and v1.superseded_at == v2.activated_at
    assert AgreementVersion.objects.filter(status=Status.ACTIVE).count() == 1
    terms = selectors.agreement_terms_get()
    assert terms.number == 2 and terms.rule_for("mql") == "lead_score >= 60"
    # The superseded version still reads as it was signed.
    assert selectors.agreement_terms_get(version=v1).rule_for("mql") != "lead_score >= 60"


@pytest.mark.parametrize(
    "signer, side", [("tom", "marketing"), ("tom", "sales"), ("alex", "sales"), ("alex", "marketing")]
)
def test_marketer_or_sales_rep_may_not_sign(request, proposed, signer, side):
    user = request.getfixturevalue(signer)
    with pytest.raises(PermissionDenied) as exc:
        services.agreement_sign(version=proposed, user=user, side=side)
    assert f"Only the head of {side} may sign for {side}" in str(exc.value)
    assert user.display_name in str(exc.value)
    assert not Signature.objects.exists()


def test_admin_may_not_sign_either(proposed, rae):
    with pytest.raises(PermissionDenied):
        services.agreement_sign(version=proposed, user=rae, side="sales")


def test_head_of_marketing_may_not_sign_for_sales(proposed, maya):
    with pytest.raises(PermissionDenied) as exc:
        services.agreement_sign(version=proposed, user=maya, side="sales")
    assert (
        str(exc.value) == "Only the head of sales may sign for sales; Maya Lindqvist is a head of marketing."
    )


def test_one_side_can_not_be_signed_twice(proposed, maya, db):
    from closedloop.accounts.roles import Role
    from tests.factories import UserFactory

    services.agreement_sign(version=proposed, user=maya, side="marketing")
    deputy = UserFactory(first_name="Dana", last_name="Deputy", role=Role.HEAD_OF_MARKETING)
    with pytest.raises(ValidationError) as exc:
        services.agreement_sign(version=proposed, user=deputy, side="marketing")
    assert "Marketing already signed version 1 (Maya Lindqvist" in messages_of(exc)
    with pytest.raises(ValidationError):
        services.agreement_sign(version=proposed, user=maya, side="marketing")
    assert Signature.objects.count() == 1


def test_the_same_person_can_not_sign_both_sides(proposed, maya):
    services.agreement_sign(version=proposed, user=maya, side="marketing")
    maya.role = "head_of_sales"  # promoted between the two signatures
    maya.save()
    with pytest.raises(ValidationError) as exc:
        services.agreement_sign(version=proposed, user=maya, side="sales")
    assert "can't sign for both teams" in messages_of(exc)
    proposed.refresh_from_db()
    assert proposed.status == Status.PROPOSED


def test_a_draft_can_not_be_signed(draft, maya):
    with pytest.raises(ValidationError) as exc:
        services.agreement_sign(version=draft, user=maya, side="marketing")
    assert "Only a proposed version can be signed; version 1 is a draft. Propose it first." in messages_of(
        exc
    )


def test_unknown_side_is_refused(proposed, maya):
    with pytest.raises(ValidationError) as exc:
        services.agreement_sign(version=proposed, user=maya, side="finance")
    assert exc.value.message_dict == {"side": ["side must be marketing or sales, not 'finance'"]}


@pytest.mark.parametrize("status", [Status.ACTIVE, Status.SUPERSEDED, Status.WITHDRAWN])
def test_signed_and_active_versions_can_not_be_edited(active, maya, status):
    AgreementVersion.objects.filter(pk=active.pk).update(status=status)
    with pytest.raises(ValidationError) as exc:
        services.agreement_draft_update(version=active, by=maya, title="Changed")
    assert "Make a new draft from it" in messages_of(exc)
    active.refresh_from_db()
    assert active.title != "Changed"


def test_editing_a_proposed_version_returns_it_to_draft_and_voids_its_signature(proposed, maya, tom):
    services.agreement_sign(version=proposed, user=maya, side="marketing")
    version = services.agreement_draft_update(version=proposed, by=tom, title="Revised agreement")
    assert version.status == Status.DRAFT and version.proposed_at is None
    assert not version.signatures.exists()
    entry = AuditEntry.objects.filter(action="agreement.draft_update").get()
    assert entry.changes["status"] == ["proposed", "draft"]
    assert entry.changes["signatures_voided"][0]["signer"] == "Maya Lindqvist"


def test_only_editors_may_draft_edit_propose_and_withdraw(draft, alex, jamie):
    for user in (alex, jamie):
        with pytest.raises(PermissionDenied):
            services.agreement_draft_create(by=user)
        with pytest.raises(PermissionDenied):
            services.agreement_draft_update(version=draft, by=user, title="x")
        with pytest.raises(PermissionDenied):
            services.agreement_propose(version=draft, by=user)
        with pytest.raises(PermissionDenied):
            services.agreement_withdraw(version=draft, by=user)


def test_propose_with_a_bad_rule_names_the_stage_and_position(draft, maya):
    services.agreement_draft_update(
        version=draft,
        by=maya,
        stage_definitions=[{"stage": "mql", "rule": "downloads_30d >= && persona == 1"}],
    )
    with pytest.raises(ValidationError) as exc:
        services.agreement_propose(version=draft, by=maya)
    errors = exc.value.message_dict
    assert list(errors) == ["stage_definitions.mql.rule"]
    message = errors["stage_definitions.mql.rule"][0]
    assert message.startswith("MQL rule: line 1, column ")
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_propose_with_an_unknown_field_points_at_it(draft, maya):
    services.agreement_draft_update(
        version=draft,
        by=maya,
        stage_definitions=[{"stage": "sql", "rule": "lead_score >= 70 && meetings >= 1"}],
    )
    with pytest.raises(ValidationError) as exc:
        services.agreement_propose(version=draft, by=maya)
    message = exc.value.message_dict["stage_definitions.sql.rule"][0]
    assert message.startswith("SQL rule: line 1, column 21:"), message


def test_propose_needs_a_rule_for_the_sales_ready_stage_and_explanations(draft, maya):
    services.agreement_draft_update(
        version=draft,
        by=maya,
        stage_definitions=[{"stage": "sql", "rule": ""}, {"stage": "iql", "explanation": ""}],
    )
    with pytest.raises(ValidationError) as exc:
        services.agreement_propose(version=draft, by=maya)
    errors = exc.value.message_dict
    assert "the sales-ready stage needs a rule" in errors["stage_definitions.sql.rule"][0]
    assert "explain the rule in plain language" in errors["stage_definitions.iql.explanation"][0]


def test_only_a_draft_can_be_proposed(proposed, maya):
    with pytest.raises(ValidationError) as exc:
        services.agreement_propose(version=proposed, by=maya)
    assert "Only a draft can be proposed; version 1 is proposed." in messages_of(exc)


@pytest.mark.parametrize(
    "changes, loc, fragment",
    [
        ({"stage_order": ["visitor", "mql", "mql", "sql"]}, "stage_order.2", "appears twice"),
        ({"stage_order": ["visitor", "", "sql"]}, "stage_order.1", "not a valid stage name"),
        ({"stage_order": ["visitor", "Big Lead", "sql"]}, "stage_order.1", "not a valid stage name"),
        ({"stage_order": []}, "stage_order", "at least one stage"),
        ({"stage_order": ["visitor", "iql", "mql"]}, "sales_ready_stage", "must be one of the stages"),
        ({"sales_ready_stage": "customer_success"}, "sales_ready_stage", "must be one of the stages"),
        (
            {"stage_definitions": [{"stage": "lead", "rule": "lead_score >= 1"}]},
            "stage_definitions.0.stage",
            "not in the stage order",
        ),
        (
            {"stage_definitions": [{"stage": "mql", "owner_team": "finance"}]},
            "stage_definitions.mql.owner_team",
            "marketing or sales",
        ),
        (
            {
                "sla_terms": [
                    {
                        "kind": "first_contact_within",
                        "amount": 4,
                        "unit": "count",
                        "stage": "sql",
                        "owner_team": "sales",
                    }
                ]
            },
            "sla_terms.0.unit",
            "time limit",
        ),
        (
            {
                "sla_terms": [
                    {
                        "kind": "volume_per_month",
                        "amount": 300,
                        "unit": "days",
                        "stage": "mql",
                        "owner_team": "marketing",
                    }
                ]
            },
            "sla_terms.0.unit",
            "counted in leads",
        ),
        (
            {
                "sla_terms": [
                    {
                        "kind": "first_contact_within",
                        "amount": 0,
                        "unit": "hours",
                        "stage": "sql",
                        "owner_team": "sales",
                    }
                ]
            },
            "sla_terms.0.amount",
            "greater than zero",
        ),
        (
            {
                "sla_terms": [
                    {
                        "kind": "first_contact_within",
                        "amount": 4,
                        "unit": "hours",
                        "stage": "lead",
                        "owner_team": "sales",
                    }
                ]
            },
            "sla_terms.0.stage",
            "not in the stage order",
        ),
        (
            {
                "sla_terms": [
                    {
                        "kind": "call_within",
                        "amount": 4,
                        "unit": "hours",
                        "stage": "sql",
                        "owner_team": "sales",
                    }
                ]
            },
            "sla_terms.0.kind",
            "kind must be one of",
        ),
        (
            {"personas": [{"key": "ops", "name": "Ops"}, {"key": "ops", "name": "Ops 2"}]},
            "personas.1.key",
            "appears twice",
        ),
        ({"qualifiers": [999999]}, "qualifiers", "no user with id 999999"),
        ({"colour": "red"}, "colour", "not an agreement field"),
    ],
)
def test_bad_edits_are_refused_and_nothing_is_stored(draft, maya, changes, loc, fragment):
    before = selectors.agreement_content(version=draft)
    with pytest.raises(ValidationError) as exc:
        services.agreement_draft_update(version=draft, by=maya, **changes)
    errors = exc.value.message_dict
    assert loc in errors, errors
    assert fragment in " ".join(errors[loc])
    fresh = AgreementVersion.objects.get(pk=draft.pk)
    assert selectors.agreement_content(version=fresh) == before


def test_partner_can_not_be_a_lead_qualifier(draft, maya, jamie):
    with pytest.raises(ValidationError) as exc:
        services.agreement_draft_update(version=draft, by=maya, qualifiers=[jamie.pk])
    assert "partner" in messages_of(exc)


def test_stage_order_edit_keeps_definitions_and_adds_empty_ones(draft, maya):
    version = services.agreement_draft_update(
        version=draft,
        by=maya,
        stage_order=["visitor", "iql", "mql", "sal", "sql", "opportunity", "customer"],
    )
    defs = {d.stage: d for d in version.stage_definitions.all()}
    assert [d.stage for d in version.stage_definitions.all()] == version.stage_order
    assert defs["sal"].rule == "" and defs["sal"].owner_team == "marketing"
    assert "meeting_booked_30d" in defs["sql"].rule
    assert "churned" not in defs


def test_stage_definitions_merge_by_stage(draft, maya):
    before = {d.stage: d.rule for d in draft.stage_definitions.all()}
    version = services.agreement_draft_update(
        version=draft, by=maya, stage_definitions=[{"stage": "mql", "explanation": "Fits and engaged."}]
    )
    after = {d.stage: (d.rule, d.explanation) for d in version.stage_definitions.all()}
    assert after["mql"] == (before["mql"], "Fits and engaged.")
    assert {s: r for s, (r, _) in after.items()} == before


def test_user_written_text_is_sanitised(draft, maya):
    version = services.agreement_draft_update(
        version=draft,
        by=maya,
        purpose='<script>alert("x")</script>We <b>agree</b> & sign; score < 50 is cold',
        stage_definitions=[{"stage": "mql", "explanation": "<img src=x onerror=alert(1)>Engaged <i>fit</i>"}],
        personas=[
            {"key": "ops_manager", "name": "<em>Olivia</em>", "description": "<style>p{}</style>Runs ops"}
        ],
    )
    assert version.purpose == "We agree & sign; score < 50 is cold"
    assert version.stage_definitions.get(stage="mql").explanation == "Engaged fit"
    persona = version.personas.get()
    assert (persona.name, persona.description) == ("Olivia", "Runs ops")


def test_withdraw_a_draft_or_proposal(draft, proposed, maya):
    version = services.agreement_withdraw(version=proposed, by=maya, reason="Waiting for Q3 data")
    assert version.status == Status.WITHDRAWN and version.withdrawn_at is not None
    with pytest.raises(ValidationError):
        services.agreement_withdraw(version=version, by=maya)
    with pytest.raises(ValidationError):
        services.agreement_sign(version=version, user=maya, side="marketing")


def test_active_version_can_not_be_withdrawn(active, maya):
    with pytest.raises(ValidationError) as exc:
        services.agreement_withdraw(version=active, by=maya)
    assert "Only a draft or a proposed version can be withdrawn" in messages_of(exc)


def test_new_draft_copies_the_active_version(active, maya):
    draft = services.agreement_draft_create(by=maya)
    assert draft.parent == active and draft.status == Status.DRAFT
    assert selectors.agreement_diff(old=active, new=draft).is_empty
    assert draft.change_note == ""


def test_activation_requires_both_signatures(proposed, maya):
    services.agreement_sign(version=proposed, user=maya, side="marketing")
    AgreementVersion.objects.filter(pk=proposed.pk).update(status=Status.SIGNED)
    with pytest.raises(ValidationError):
        services.agreement_activate(version=proposed, by=maya)


def test_every_lifecycle_action_is_audited(maya, sam, tom):
    v1 = services.agreement_draft_create(by=maya)
    services.agreement_draft_update(
        version=v1, by=tom, stage_definitions=[{"stage": "mql", "rule": "lead_score >= 55"}]
    )
    services.agreement_propose(version=v1, by=maya)
    services.agreement_sign(version=v1, user=maya, side="marketing")
    services.agreement_sign(version=v1, user=sam, side="sales")
    v2 = services.agreement_draft_create(by=tom)
    services.agreement_propose(version=v2, by=tom)
    services.agreement_sign(version=v2, user=maya, side="marketing")
    services.agreement_sign(version=v2, user=sam, side="sales")
    v3 = services.agreement_draft_create(by=tom)
    services.agreement_withdraw(version=v3, by=tom, reason="duplicate")

    entries = list(AuditEntry.objects.order_by("at", "id"))
    assert [(e.action, e.actor_name, e.object_id) for e in entries] == [
        ("agreement.draft_create", "Maya Lindqvist", str(v1.pk)),
        ("agreement.draft_update", "Tom Becker", str(v1.pk)),
        ("agreement.propose", "Maya Lindqvist", str(v1.pk)),
        ("agreement.sign", "Maya Lindqvist", str(v1.pk)),
        ("agreement.sign", "Sam Rivera", str(v1.pk)),
        ("agreement.activate", "Sam Rivera", str(v1.pk)),
        ("agreement.draft_create", "Tom Becker", str(v2.pk)),
        ("agreement.propose", "Tom Becker", str(v2.pk)),
        ("agreement.sign", "Maya Lindqvist", str(v2.pk)),
        ("agreement.sign", "Sam Rivera", str(v2.pk)),
        ("agreement.supersede", "Sam Rivera", str(v1.pk)),
        ("agreement.activate", "Sam Rivera", str(v2.pk)),
        ("agreement.draft_create", "Tom Becker", str(v3.pk)),
        ("agreement.withdraw", "Tom Becker", str(v3.pk)),
    ]
    assert all(e.object_type == "agreement.agreementversion" for e in entries)
    assert all(e.at is not None for e in entries)
    update = entries[1]
    assert update.summary == "Edited agreement v1: mql rule"
    mql = update.changes["diff"]["stages"][0]
    assert mql["stage"] == "mql" and mql["fields"]["rule"][1] == "lead_score >= 55"
    assert entries[4].changes == {"side": "sales"}
    assert entries[-1].changes["reason"] == "duplicate"


def test_an_edit_that_changes_nothing_is_not_audited(draft, maya):
    services.agreement_draft_update(version=draft, by=maya, title=draft.title)
    assert not AuditEntry.objects.filter(action="agreement.draft_update").exists()


def test_terms_snapshot_for_other_apps(active):
    terms = selectors.agreement_terms_get()
    assert terms.version_id == active.pk and terms.status == "active"
    assert terms.stage_order == DEFAULT_STAGE_ORDER
    assert terms.sales_ready_stage == "sql"
    assert terms.rule_for("visitor") == ""
    [first_contact] = terms.sla_terms_for(kind="first_contact_within")
    assert (first_contact.amount, first_contact.unit, first_contact.stage) == (4, "business_hours", "sql")
    assert [t.kind for t in terms.sla_terms_for(stage="mql")] == ["volume_per_month"]


def test_no_terms_before_anything_is_active(draft):
    assert selectors.agreement_active_get() is None
    assert selectors.agreement_terms_get() is None


def test_demo_agreement_is_signed_by_both_heads_and_active(maya, sam, alex):
    version = services.agreement_demo_ensure(head_of_marketing=maya, head_of_sales=sam, qualifiers=[alex])
    assert version.number == 1 and version.status == Status.ACTIVE
    signers = {s.side: s.user for s in version.signatures.all()}
    assert signers == {"marketing": maya, "sales": sam}
    assert list(version.qualifiers.all()) == [alex]
    # Running it again leaves the active agreement alone.
    assert services.agreement_demo_ensure(head_of_marketing=maya, head_of_sales=sam).pk == version.pk
    assert AgreementVersion.objects.count() == 1
