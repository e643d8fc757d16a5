"""The diff between two versions lists exactly what changed, item by item."""

from closedloop.agreement import selectors, services
from closedloop.agreement.diff import content_diff, text_diff


def test_diff_between_two_versions_lists_exactly_the_changed_items(active, maya, alex, tom):
    draft = services.agreement_draft_create(by=maya)
    old_terms = [dict(t) for t in selectors.agreement_content(version=active)["sla_terms"]]
    new_terms = [dict(t) for t in old_terms]
    new_terms[0]["amount"] = 2  # first contact within 2 instead of 4 business hours
    del new_terms[2]  # rejection reason term dropped
    new_terms.append(
        {
            "kind": "follow_up_within",
            "amount": 3,
            "unit": "business_days",
            "stage": "mql",
            "owner_team": "marketing",
            "description": "Follow up",
        }
    )
    services.agreement_draft_update(
        version=draft,
        by=maya,
        stage_order=["visitor", "iql", "mql", "sql", "opportunity", "customer"],
        stage_definitions=[
            {"stage": "mql", "rule": "lead_score >= 60"},
            {"stage": "iql", "explanation": "Gave contact details."},
            {"stage": "opportunity", "owner_team": "marketing"},
        ],
        sla_terms=new_terms,
        personas=[
            {"key": "ops_manager", "name": "Olivia, the operations manager", "description": "Owns the KPIs."},
            {
                "key": "cfo",
                "name": "Carla, the CFO",
                "description": "Signs the budget. Wants payback in months and a clear total cost.",
            },
            {"key": "procurement", "name": "Pat from procurement", "description": ""},
        ],
        qualifiers=[alex.pk, tom.pk],
        title="Revenue agreement",
    )
    diff = selectors.agreement_diff(old=active, new=draft)

    assert (diff.old_number, diff.new_number) == (1, 2)
    assert [c.field for c in diff.fields] == ["title"]
    assert (diff.fields[0].old, diff.fields[0].new) == ("Sales and marketing agreement", "Revenue agreement")
    assert diff.stage_order == (
        ["visitor", "iql", "mql", "sql", "opportunity", "customer", "churned"],
        ["visitor", "iql", "mql", "sql", "opportunity", "customer"],
    )
    by_stage = {s.stage: s for s in diff.stages}
    assert set(by_stage) == {"iql", "mql", "opportunity", "churned"}
    assert by_stage["mql"].change == "changed" and list(by_stage["mql"].fields) == ["rule"]
    assert ("+", "lead_score >= 60") in by_stage["mql"].rule_lines
    assert any(op == "-" and "downloads_30d" in line for op, line in by_stage["mql"].rule_lines)
    assert list(by_stage["iql"].fields) == ["explanation"] and by_stage["iql"].rule_lines == []
    assert by_stage["opportunity"].fields == {"owner_team": ("sales", "marketing")}
    assert by_stage["churned"].change == "removed"

    changes = [(t.change, (t.old or t.new)["kind"], t.fields) for t in diff.sla_terms]
    assert changes == [
        ("changed", "first_contact_within", ("amount",)),
        ("removed", "rejection_reason_within", ()),
        ("added", "follow_up_within", ()),
    ]
    assert [(p.key, p.change) for p in diff.personas] == [
        ("ops_manager", "changed"),
        ("procurement", "added"),
        ("it_director", "removed"),
        ("founder", "removed"),
        ("analyst", "removed"),
    ]
    assert diff.qualifiers_added == ["Alex Morgan", "Tom Becker"]
    assert diff.qualifiers_removed == []
    assert not diff.is_empty


def test_a_version_has_no_diff_with_itself(active):
    diff = selectors.agreement_diff(old=active, new=active)
    assert diff.is_empty and diff.headline() == "no changes"


def test_text_diff_marks_removed_and_added_lines():
    assert text_diff("a\nb\nc", "a\nc\nd") == [(" ", "a"), ("-", "b"), (" ", "c"), ("+", "d")]


def test_same_sla_term_reordered_is_not_a_change():
    base = {
        "title": "t", "purpose": "", "stage_order": ["a"], "sales_ready_stage": "a",
        "marketing_responsibilities": "", "sales_responsibilities": "", "change_note": "",
        "stage_definitions": [], "personas": [], "qualifiers": [],
    }  # fmt: skip
    t1 = {
        "kind": "accept_within",
        "amount": 1,
        "unit": "days",
        "stage": "a",
        "owner_team": "sales",
        "description": "",
    }
    t2 = {**t1, "kind": "first_contact_within"}
    diff = content_diff({**base, "sla_terms": [t1, t2]}, {**base, "sla_terms": [t2, t1]})
    assert diff.is_empty
