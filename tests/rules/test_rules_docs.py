"""docs/rules.md stays true: its example rules are valid and its vocabulary table is complete."""

from __future__ import annotations

import re
from pathlib import Path

from closedloop.rules import EVENT_TYPES, FIELDS, parse, validate

DOC = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text()


def _rule_blocks() -> list[str]:
    # Untagged fenced blocks hold rules; several rules in one block are separated by blank lines.
    blocks = re.findall(r"```\n(.*?)```", DOC, flags=re.S)
    rules = []
    for block in blocks:
        rules += [part.strip() for part in re.split(r"\n\s*\n", block) if part.strip()]
    return rules


def test_every_example_rule_in_the_docs_is_valid() -> None:
    rules = _rule_blocks()
    assert len(rules) >= 8
    for rule in rules:
        assert validate(rule) == [], rule


def test_the_docs_list_every_field_and_event() -> None:
    for name in FIELDS:
        assert f"| `{name}`" in DOC, name
    for event in EVENT_TYPES:
        assert f"| `{event}` |" in DOC, event


def test_the_error_table_shows_real_messages() -> None:
    rows = re.findall(
        r"^\| `(.+?)` \| (.+?) \|$", DOC.split("## Errors", 1)[1].split("## For developers")[0], re.M
    )
    assert len(rows) >= 10
    for source, shown in rows:
        errors = validate(source.replace("\\|", "|"))
        assert errors, source
        text = str(errors[0])
        for piece in shown.split("…"):
            assert piece.strip(" —") in text, (source, piece, text)


def test_the_quick_example_evaluates_as_documented() -> None:
    rule = parse('downloads_30d >= 1 && persona == "ops_manager"')
    assert rule.evaluate({"content_download_30d": 2, "persona": "ops_manager"}) is True
    assert rule.to_sql("duckdb") == (
        'COALESCE("content_download_30d", 0) >= 1 AND COALESCE("persona" = \'ops_manager\', FALSE)'
    )
    assert rule.describe() == "at least 1 content download in the last 30 days, and persona is ops_manager"
