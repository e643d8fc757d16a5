"""A rule may only name personas the agreement defines: a typo would silently keep every lead out."""

import pytest
from django.core.exceptions import ValidationError

from closedloop.agreement import services
from closedloop.agreement.selectors import agreement_problems


def test_a_rule_naming_an_unknown_persona_cannot_be_proposed(draft, maya):
    services.agreement_draft_update(
        version=draft, by=maya, stage_definitions=[{"stage": "mql", "rule": 'persona == "ops_manger"'}]
    )
    [problem] = [p for p in agreement_problems(version=draft) if "persona" in p.message]
    assert problem.loc == ("stage_definitions", "mql", "rule")
    assert "'ops_manger' (at character 12)" in problem.message
    assert "ops_manager" in problem.message  # the known personas are listed
    with pytest.raises(ValidationError, match="ops_manger"):
        services.agreement_propose(version=draft, by=maya)


def test_known_personas_pass(draft, maya):
    services.agreement_draft_update(
        version=draft,
        by=maya,
        stage_definitions=[{"stage": "mql", "rule": 'persona in ["ops_manager", "cfo"]'}],
    )
    assert not [p for p in agreement_problems(version=draft) if "persona" in p.message]
