"""Every kind of error a rule author can make: code, exact position, message and hint."""

from __future__ import annotations

import pickle

import pytest

from closedloop.rules import RuleError, parse, validate
from closedloop.rules.errors import position_of

VALUE_HINT = "a value is a field, a number, a quoted string, true/false, a list [...] or (...)"
DEEP_HINT = "flatten it: a && b && c needs no parentheses, and 'in' replaces chains of ||"

# (source, code, line, column, message, hint); columns counted by hand, 1-based.
CASES = [
    # Vocabulary.
    ('persnoa == "ops_manager"', "unknown_field", 1, 1, "unknown field 'persnoa'", "did you mean 'persona'?"),
    (
        'company_size >= 50 && persnoa == "x"',
        "unknown_field",
        1,
        23,
        "unknown field 'persnoa'",
        "did you mean 'persona'?",
    ),
    (
        "download_30d >= 1",
        "unknown_field",
        1,
        1,
        "unknown field 'download_30d'",
        "did you mean 'downloads_30d'?",
    ),
    (
        "downloads_30 >= 1",
        "unknown_field",
        1,
        1,
        "unknown field 'downloads_30'",
        "did you mean 'downloads_30d'?",
    ),
    (
        "xyzzy > 1",
        "unknown_field",
        1,
        1,
        "unknown field 'xyzzy'",
        "see docs/rules.md for the fields a rule can use",
    ),
    (
        "downloads_0d >= 1",
        "window",
        1,
        1,
        "the window of downloads_0d is 0 days; it must be between 1 and 365",
        "use downloads_total to count all time",
    ),
    (
        "downloads_999d >= 1",
        "window",
        1,
        1,
        "the window of downloads_999d is 999 days; it must be between 1 and 365",
        "use downloads_365d for the last year, or downloads_total for all time",
    ),
    # Types.
    (
        "persona == 50",
        "type",
        1,
        12,
        "cannot compare text with a number",
        "persona is text; compare it with a quoted string",
    ),
    (
        'company_size == "50"',
        "type",
        1,
        17,
        "cannot compare a number with text",
        "company_size is a number; compare it with a number, without quotes",
    ),
    (
        "company_size >= 50 &&\n  persona == 5",
        "type",
        2,
        14,
        "cannot compare text with a number",
        "persona is text; compare it with a quoted string",
    ),
    (
        'persona > "a"',
        "type",
        1,
        1,
        "'>' compares numbers, but persona is text",
        "text can only be compared with ==, != or in",
    ),
    (
        "company_size && true",
        "type",
        1,
        1,
        "&& joins conditions, but company_size is a number",
        "compare it, e.g. company_size >= 1",
    ),
    (
        "!company_size",
        "type",
        1,
        2,
        "'!' needs a condition, but company_size is a number",
        'put ! in front of a comparison, e.g. !(persona == "student")',
    ),
    (
        'persona in "abc"',
        "type",
        1,
        12,
        "the right side of 'in' must be a list, but \"abc\" is text",
        'write a list in brackets, e.g. persona in ["a", "b"]',
    ),
    (
        "persona in [1, 2]",
        "type",
        1,
        12,
        "persona is text but the list holds a number",
        "persona is text; compare it with a quoted string",
    ),
    (
        'persona in ["a", 1]',
        "type",
        1,
        12,
        "a list must hold values of one kind",
        'write text in quotes and numbers without: ["a", "b"] or [1, 2]',
    ),
    (
        'persona in ["a", null]',
        "type",
        1,
        18,
        "a list cannot contain null",
        "use has(field) to test for a missing value",
    ),
    (
        "company_size > null",
        "type",
        1,
        1,
        "'>' cannot compare with null",
        "test for a value with has(company_size)",
    ),
    ("has(company_size + 1)", "type", 1, 1, "has() takes one field name", "e.g. has(title)"),
    ("title.contains(5)", "type", 1, 7, ".contains() takes one quoted string", 'e.g. title.contains("ops")'),
    (
        '"a" + "b" == "ab"',
        "type",
        1,
        1,
        "'+' works on numbers, but \"a\" is text",
        "arithmetic is for numeric fields such as company_size or annual_revenue",
    ),
    (
        "1 < company_size < 10",
        "type",
        1,
        18,
        "comparisons cannot be chained",
        "write each comparison separately and join them with &&, e.g. 1 < company_size && company_size < 10",
    ),
    (
        'title.lower() == "x"',
        "unknown_function",
        1,
        7,
        "unknown function 'lower'",
        "write title.lowerAscii() to ignore case",
    ),
    (
        'lower(title) == "x"',
        "unknown_function",
        1,
        1,
        "unknown function 'lower'",
        "write title.lowerAscii() to ignore case",
    ),
    (
        'title.matches("^VP")',
        "unknown_function",
        1,
        7,
        "unknown function 'matches'",
        "patterns are not supported; use contains, startsWith or endsWith",
    ),
    (
        'contains(title, "x")',
        "unknown_function",
        1,
        1,
        "unknown function 'contains'",
        'write it as a method: title.contains("ops")',
    ),
    # Not a condition.
    (
        "company_size + 1",
        "not_boolean",
        1,
        1,
        "the rule is a number, not a condition",
        "a rule must be true or false for each contact; compare it, e.g. company_size + 1 >= 10",
    ),
    (
        "persona",
        "not_boolean",
        1,
        1,
        "the rule is text, not a condition",
        'a rule must be true or false for each contact; compare it, e.g. persona == "ops_manager"',
    ),
    # Syntax: habits from other languages.
    ('persona = "x"', "syntax", 1, 9, "unexpected '='", "use == to compare"),
    (
        'persona == "x" and company_size > 5',
        "syntax",
        1,
        16,
        "unexpected word 'and'",
        "use && instead of 'and'",
    ),
    ('persona == "x" OR company_size > 5', "syntax", 1, 16, "unexpected word 'OR'", "use || instead of 'or'"),
    ("not has(title)", "syntax", 1, 1, "unexpected word 'not'", "use ! instead of 'not'"),
    ("company_size >= 50 & has(title)", "syntax", 1, 20, "unexpected '&'", "use && for 'and'"),
    ("company_size >= 50 | has(title)", "syntax", 1, 20, "unexpected '|'", "use || for 'or'"),
    (
        "company_size % 2 == 0",
        "syntax",
        1,
        14,
        "the % operator is not supported",
        "rules support + - * / on numbers",
    ),
    (
        '{"a": 1}',
        "syntax",
        1,
        1,
        "maps are not supported",
        'use a list instead, e.g. persona in ["ops_manager", "cfo"]',
    ),
    (
        "company_size == 1 ? true : false",
        "syntax",
        1,
        19,
        "unexpected '?'",
        "the conditional operator ?: is not supported; use && and ||",
    ),
    # Syntax: incomplete or unbalanced.
    (
        "company_size >= 50 &&",
        "syntax",
        1,
        22,
        "the rule ends too early: expected a value after '&&'",
        VALUE_HINT,
    ),
    (
        'company_size >= 50 && && persona == "x"',
        "syntax",
        1,
        23,
        "expected a value after '&&', found '&&'",
        VALUE_HINT,
    ),
    ("&& true", "syntax", 1, 1, "expected a value at the start of the rule, found '&&'", VALUE_HINT),
    ("(company_size >= 50", "syntax", 1, 20, "expected ')' to close the '(' at column 1", "add ')'"),
    ('persona in ["a", "b"', "syntax", 1, 21, "expected ']' to close the list '[' at column 12", "add ']'"),
    (
        "company_size >= 50)",
        "syntax",
        1,
        19,
        "this ')' has no matching '('",
        "remove it, or add the opening bracket where the group starts",
    ),
    (
        'company_size >= 50 persona == "x"',
        "syntax",
        1,
        20,
        "expected an operator before 'persona'",
        "join conditions with && (and) or || (or); compare with ==, !=, <, <=, >, >= or in",
    ),
    ('persona == "x', "syntax", 1, 12, 'this string has no closing "', 'add " at the end of the text'),
    (
        "title.",
        "syntax",
        1,
        7,
        "expected a method name after '.'",
        'e.g. title.contains("ops"), title.startsWith("VP"), title.lowerAscii()',
    ),
    (
        'title[0] == "x"',
        "syntax",
        1,
        1,
        "fields have no parts: '[...]' cannot be used here",
        "name a field of the vocabulary directly, e.g. company_size or title",
    ),
    # Literals.
    ("99999999999999999999 > 1", "syntax", 1, 1, "this number is too large", "integers must fit in 64 bits"),
    ("9223372036854775808 > 1", "syntax", 1, 1, "this number is too large", "integers must fit in 64 bits"),
    ("1e999 > 1", "syntax", 1, 1, "this number is too large", "numbers must be below 1.7e308"),
    (
        r'title == "a\q"',
        "syntax",
        1,
        12,
        r"invalid escape sequence '\q'",
        r"write \\ for a backslash; known escapes are \n \t \" \' \\ \xHH \uHHHH",
    ),
    (
        r'title == "\ud800"',
        "syntax",
        1,
        11,
        r"invalid character code '\ud800'",
        "use a Unicode code point that is not a surrogate",
    ),
    # Limits.
    (
        "",
        "empty",
        1,
        1,
        "the rule is empty",
        'write a condition, e.g. downloads_30d >= 1 && persona == "ops_manager"',
    ),
    (
        "  // only a comment\n",
        "empty",
        1,
        1,
        "the rule is empty",
        'write a condition, e.g. downloads_30d >= 1 && persona == "ops_manager"',
    ),
    (
        "true || " * 250 + "true",
        "too_long",
        1,
        2001,
        "the rule is too long (2,004 characters; the limit is 2,000)",
        "split it into separate stage rules, or use 'in' with a list instead of many ||",
    ),
    (
        "-(" * 33 + "1" + ")" * 33 + " < 0",
        "too_deep",
        1,
        63,
        "the rule is nested too deeply (more than 32 levels)",
        DEEP_HINT,
    ),
    (
        " + ".join(["1"] * 70) + " > 0",
        "too_deep",
        1,
        29,
        "the rule is nested too deeply (more than 64 levels)",
        DEEP_HINT,
    ),
]


@pytest.mark.parametrize(
    ("source", "code", "line", "column", "message", "hint"), CASES, ids=[c[0][:40] for c in CASES]
)
def test_error(source: str, code: str, line: int, column: int, message: str, hint: str) -> None:
    errors = validate(source)
    assert len(errors) == 1, errors
    (err,) = errors
    assert (err.code, err.line, err.column, err.message, err.hint) == (code, line, column, message, hint)
    with pytest.raises(RuleError) as raised:
        parse(source)
    assert str(raised.value) == str(err)


def test_error_text_matches_the_editor_format() -> None:
    (err,) = validate('company_size >= 50 && persnoa == "x"')
    assert str(err) == "line 1, column 23: unknown field 'persnoa' — did you mean 'persona'?"
    assert err.offset == 22
    assert err.end_offset == 29
    assert err.as_dict() == {
        "code": "unknown_field",
        "message": "unknown field 'persnoa'",
        "hint": "did you mean 'persona'?",
        "line": 1,
        "column": 23,
        "offset": 22,
        "end_offset": 29,
    }


def test_validate_reports_every_semantic_error_in_order() -> None:
    errors = validate('persnoa == "x" && company_size == "big" && downloads_0d > 1')
    assert [(e.code, e.column) for e in errors] == [("unknown_field", 1), ("type", 35), ("window", 44)]


def test_an_error_does_not_cascade() -> None:
    # The unknown field is the only problem; the comparison and the && around it are not blamed.
    assert [e.code for e in validate("!(persnoa > 1) && true")] == ["unknown_field"]


def test_valid_rules_have_no_errors() -> None:
    assert validate('downloads_30d >= 1 && persona == "ops_manager" && company_size >= 50') == []


def test_errors_pickle_with_their_position() -> None:
    (err,) = validate("persona == 50")
    clone = pickle.loads(pickle.dumps(err))
    assert (clone.line, clone.column, clone.hint, clone.code, str(clone)) == (
        err.line,
        err.column,
        err.hint,
        err.code,
        str(err),
    )


def test_position_of_counts_lines_and_columns_from_one() -> None:
    source = "ab\ncd\n\nef"
    assert position_of(source, 0) == (1, 1)
    assert position_of(source, 2) == (1, 3)
    assert position_of(source, 3) == (2, 1)
    assert position_of(source, 7) == (4, 1)
    assert position_of(source, 99) == (4, 3)
