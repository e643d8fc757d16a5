"""Rule.compared_strings: the text literals a rule compares one field with, and where they are."""

from closedloop.rules import parse


def test_equality_inequality_and_membership_are_found_with_offsets():
    source = 'persona in ["ops_manager", "cfo"] || persona == "founder" && persona != "analyst"'
    # Offsets are where each literal's opening quote is.
    expected = [(word, source.index(f'"{word}"')) for word in ("ops_manager", "cfo", "founder", "analyst")]
    assert expected[:2] == [("ops_manager", 12), ("cfo", 27)]
    assert parse(source).compared_strings("persona") == expected


def test_other_fields_and_non_text_literals_are_ignored():
    rule = parse('title == "CFO" && company_size >= 50 && "ops_manager" == persona')
    assert rule.compared_strings("persona") == [("ops_manager", 40)]
    assert rule.compared_strings("title") == [("CFO", 9)]
    assert parse("company_size >= 50").compared_strings("persona") == []
