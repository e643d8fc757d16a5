"""Property tests for the rule language beyond tests/rules: rules survive a round trip through pickle
and through re-layout, mutated valid rules fail only with RuleError at a position inside the text,
and the agreement API's rule check never answers 5xx whatever text it gets."""

import json
import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closedloop.rules import RuleError, parse, validate
from tests.rules.test_rules_properties import conditions, rows

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(source=conditions, facts=rows)
def test_a_rule_pickles_and_comes_back_the_same(source, facts):
    rule = parse(source)
    again = pickle.loads(pickle.dumps(rule))
    assert again == rule and again.variables == rule.variables
    assert [again.evaluate(f) for f in facts] == [rule.evaluate(f) for f in facts]


def _relayout(source: str, spaces: list[str]) -> str:
    # Whitespace may go between any two tokens; splitting at the single spaces the generator writes
    # (outside string literals, which hold no plain spaces from that generator's layout) keeps tokens whole.
    parts = source.split(" ")
    out = parts[0]
    for i, part in enumerate(parts[1:]):
        out += spaces[i % len(spaces)] + part
    return f"(\n{out}\n)"


@FAST
@given(
    source=conditions.filter(lambda s: "'" not in s and '"' not in s),
    spaces=st.lists(st.sampled_from([" ", "  ", "\t", "\n", " \n  "]), min_size=1, max_size=5),
    facts=rows,
)
def test_layout_does_not_change_meaning(source, spaces, facts):
    rule = parse(source)
    relaid = parse(_relayout(source, spaces))
    assert relaid.variables == rule.variables
    assert [relaid.evaluate(f) for f in facts] == [rule.evaluate(f) for f in facts]
    assert relaid.to_sql("sqlite") == rule.to_sql("sqlite")


@st.composite
def mutated_rules(draw):
    source = draw(conditions)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(source)))
        action = draw(st.sampled_from(["delete", "insert", "replace", "duplicate"]))
        piece = draw(
            st.sampled_from([*list("()[]\"'!&|=<>.,\\ \n0x9-+*/%"), "&&", "||", "in", "has(", "\x00", "é"])
        )
        if action == "delete":
            source = source[:at] + source[at + 1 :]
        elif action == "insert":
            source = source[:at] + piece + source[at:]
        elif action == "replace":
            source = source[:at] + piece + source[at + 1 :]
        else:
            source = source[:at] + source[at : at + 8] + source[at:]
    return source


@FAST
@given(source=mutated_rules())
def test_mutated_rules_fail_only_with_a_positioned_rule_error(source):
    try:
        rule = parse(source)
    except RuleError as err:
        assert 0 <= err.offset <= err.end_offset <= len(source) + 1, (source, err.as_dict())
        assert 1 <= err.line <= source.count("\n") + 1
        assert err.message
        assert validate(source), source
        restored = pickle.loads(pickle.dumps(err))
        assert restored.as_dict() == err.as_dict()
        json.dumps(err.as_dict())  # API responses carry it as JSON
        return
    assert validate(source) == []
    assert type(rule.evaluate({})) is bool


@pytest.fixture
def editor(db):
    from closedloop.accounts.roles import Role
    from closedloop.accounts.services import api_token_create, user_create

    user = user_create(username="rules-fuzz", password="rules fuzz pw 1", role=Role.HEAD_OF_MARKETING)
    return api_token_create(user=user, name="fuzz")[1]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(source=st.one_of(mutated_rules(), st.text(max_size=200)))
def test_the_rule_check_endpoint_never_fails(source, editor, client):
    response = client.post(
        "/api/v1/agreements/validate-rule",
        json.dumps({"source": source}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {editor}"},
    )
    assert response.status_code == 200, (source, response.status_code, response.content[:300])
    body = response.json()
    assert body["valid"] is (validate(source) == []), (source, body)
    assert body["valid"] or body["errors"], (source, body)
