"""Parsing, precedence and null semantics, each case with a truth value worked out by hand."""

from __future__ import annotations

import pickle

import pytest

from closedloop.rules import Rule, RuleError, describe, parse, validate


def ev(source: str, **facts: object) -> bool:
    return parse(source).evaluate(facts)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # && binds tighter than ||: (true || false) && false would be false.
        ("true || false && false", True),
        ("false && false || true", True),
        # ! binds tighter than &&: !(false && false) would be true.
        ("!false && false", False),
        ("!!true", True),
        ("!(true && false)", True),
        # * and / before + and -, all left-associative.
        ("1 + 2 * 3 == 7", True),
        ("(1 + 2) * 3 == 9", True),
        ("10 - 2 - 3 == 5", True),
        ("2 * 3 / 4 == 1", True),  # (2 * 3) / 4 in integers; 2 * (3 / 4) would be 0
        ("-2 * 3 == -6", True),
        ("- -2 == 2", True),
        ("1 - -1 == 2", True),
        # Integer division truncates toward zero, as in CEL; a float makes it exact.
        ("7 / 2 == 3", True),
        ("-7 / 2 == -3", True),
        ("7 / -2 == -3", True),
        ("7.0 / 2 == 3.5", True),
        ("7 / 2.0 == 3.5", True),
        # Arithmetic binds tighter than comparison, comparison tighter than &&.
        ("1 + 1 == 2 && 3 > 2", True),
        ("1 + 1 == 3 || 2 >= 2", True),
        # Relations are left-associative: (1 < 2) == true.
        ("1 < 2 == true", True),
        ('"a" in ["a"] == true', True),
        ("2 in [1, 2, 3]", True),
        ("4 in [1, 2, 3]", False),
        ("2 in [1.5, 2.0]", True),
        ("2 in []", False),
        ("1 in [1, 2,]", True),  # CEL allows a trailing comma in lists
        # Literals.
        ("0x10 == 16", True),
        ("0XfF == 255", True),
        (".5 == 0.5", True),
        ("1e3 == 1000.0", True),
        ("1e3 == 1000", True),
        ("2.5e-1 == 0.25", True),
        ("-9223372036854775808 < 0", True),
        (r'"it\'s" == ' + r"'it\'s'", True),
        (r'"say \"hi\"" == ' + "'say \"hi\"'", True),
        (r'"\u00e9" == "é"', True),
        (r'"\x41\101" == "AA"', True),
        (r'"a\\b".size() == 3', True),
        (r'"tab\there".contains("\t")', True),
        ("true == true", True),
        ("true != false", True),
        ("null == null", True),
        ("null != null", False),
        # Comments and line breaks.
        ("true // the rest of this line is a comment", True),
        ("false ||\n  // why: a comment between clauses\n  true", True),
        # Strings and their methods.
        ('"Head of Ops".contains("Ops")', True),
        ('"Head of Ops".contains("ops")', False),
        ('"Head of Ops".lowerAscii().contains("ops")', True),
        ('"ÉCOLE".lowerAscii() == "École"', True),  # lowerAscii changes A-Z only
        ('"ÉCOLE".lowerAscii() == "école"', False),
        ('"VP Sales".startsWith("VP")', True),
        ('"VP Sales".endsWith("Sales")', True),
        ('"VP Sales".endsWith("")', True),
        ('"VP".endsWith("VP Sales")', False),
        ('size("héllo") == 5', True),
        ('"héllo".size() == 5', True),
        ('size(["a", "b"]) == 2', True),
    ],
)
def test_precedence_and_literals(source: str, expected: bool) -> None:
    assert ev(source) is expected


RULE = 'downloads_30d >= 1 && persona == "ops_manager" && company_size >= 50'


def test_the_design_example_rule() -> None:
    rule = parse(RULE)
    assert rule.source == RULE
    assert rule.variables == frozenset({"content_download_30d", "persona", "company_size"})
    assert rule.event_windows() == {"content_download": 30}
    good = {"content_download_30d": 1, "persona": "ops_manager", "company_size": 50}
    assert rule.evaluate(good) is True
    assert rule.evaluate({**good, "company_size": 49}) is False
    assert rule.evaluate({**good, "persona": "cfo"}) is False
    assert rule.evaluate({**good, "content_download_30d": 0}) is False


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # A comparison with a missing value is false, whichever way it is written.
        ('persona == "cfo"', False),
        ('persona != "cfo"', False),
        ('!(persona == "cfo")', True),
        ('persona in ["cfo"]', False),
        ('!(persona in ["cfo"])', True),
        ("company_size > 0", False),
        ("company_size <= 0", False),
        ("company_size + 1 > 0", False),
        ("-company_size < 0", False),
        ('title.contains("")', False),
        ('title.lowerAscii() == ""', False),
        ("size(title) >= 0", False),
        # has() and == null test presence.
        ("has(persona)", False),
        ("!has(persona)", True),
        ("persona == null", True),
        ("persona != null", False),
        ("null == persona", True),
        # Event counts are never missing: no events is 0 events.
        ("downloads_30d == 0", True),
        ("downloads_30d < 1", True),
        ("has(downloads_30d)", True),
        ("downloads_30d == null", False),
        ("downloads_30d + webinar_attended_total == 0", True),
    ],
)
def test_missing_values(source: str, expected: bool) -> None:
    assert ev(source) is expected
    # None and a missing key mean the same.
    facts = dict.fromkeys(parse(source).variables)
    assert parse(source).evaluate(facts) is expected


@pytest.mark.parametrize(
    ("source", "facts", "expected"),
    [
        ("annual_revenue / company_size > 0", {"annual_revenue": 1e6, "company_size": 0}, False),
        ("!(annual_revenue / company_size > 0)", {"annual_revenue": 1e6, "company_size": 0}, True),
        ("annual_revenue / company_size > 1000", {"annual_revenue": 1e6, "company_size": 10}, True),
        ("company_size / created_days_ago == 0", {"company_size": 5, "created_days_ago": 0}, False),
        ("company_size / 0 == 0", {"company_size": 5}, False),
        ("company_size / 3 == 1", {"company_size": 5}, True),
        ("company_size / 3 == -1", {"company_size": -5}, True),
        ("score >= 40.5", {"lead_score": 40.5}, True),
        ("lead_score >= 40.5", {"lead_score": 40}, False),
        ("downloads_total >= 3", {"content_download_total": 3}, True),
        ('persona in ["cfo", "ops_manager"]', {"persona": "ops_manager"}, True),
        ('persona in ["cfo", persona]', {"persona": "x"}, True),
        ('title.lowerAscii().startsWith("vp")', {"title": "VP Sales"}, True),
        ('title.endsWith("Sales")', {"title": "VP Sales"}, True),
        ('email_domain.endsWith(".edu")', {"email_domain": "mit.edu"}, True),
        (
            'country in ["DE", "AT", "CH"] && industry != "education"',
            {"country": "AT", "industry": "retail"},
            True,
        ),
    ],
)
def test_values(source: str, facts: dict[str, object], expected: bool) -> None:
    assert parse(source).evaluate(facts) is expected


def test_aliases_resolve_to_canonical_names() -> None:
    rule = parse("score > 10 && downloads_7d >= 1 && downloads_total >= 2")
    assert rule.variables == frozenset({"lead_score", "content_download_7d", "content_download_total"})
    # The longest look-back wins per event type; all time (0) outranks every window.
    assert rule.event_windows() == {"content_download": 0}
    assert parse("page_view_7d > 3 || page_view_90d > 10 || call_1d >= 1").event_windows() == {
        "call": 1,
        "page_view": 90,
    }
    assert parse('persona == "cfo"').event_windows() == {}


def test_has_counts_as_using_the_field() -> None:
    assert parse("has(title)").variables == frozenset({"title"})


def test_rules_are_values() -> None:
    assert parse(RULE) == Rule(RULE)
    assert hash(parse(RULE)) == hash(Rule(RULE))
    assert parse(RULE) is parse(RULE)  # cached by source text
    assert parse(RULE) != parse(RULE + " ")
    clone = pickle.loads(pickle.dumps(parse(RULE)))
    assert clone == parse(RULE)
    assert clone.evaluate({"content_download_30d": 1, "persona": "ops_manager", "company_size": 60})
    assert repr(parse("true")) == "Rule('true')"


def test_wrong_input_types_are_rule_errors() -> None:
    with pytest.raises(RuleError, match="must be text"):
        parse(None)  # type: ignore[arg-type]
    assert validate(42)[0].message == "a rule must be text, not int"  # type: ignore[arg-type]


def test_evaluate_accepts_any_mapping() -> None:
    from types import MappingProxyType

    rule = parse("company_size >= 50")
    assert rule.evaluate(MappingProxyType({"company_size": 50})) is True
    assert rule.evaluate({}) is False


def test_describe_accepts_rule_or_text() -> None:
    assert describe(parse("company_size >= 50")) == describe("company_size >= 50")
