"""Definition checks: every problem is reported with its location and the step it is in."""

from datetime import timedelta

import pytest

from closedloop.automation.workflows import definition_errors, flow_parse, parse_duration

VALID = {
    "trigger": {"type": "stage", "stage": "iql"},
    "steps": [
        {"id": "hello", "type": "send_email", "subject": "Hi {{ first_name }}", "text": "Hello"},
        {"id": "pause", "type": "wait", "duration": "3d"},
        {"id": "opened", "type": "branch", "condition": {"opened": "hello"}, "then": "sql", "else": "end"},
        {"id": "sql", "type": "update_stage", "stage": "sql"},
    ],
}


def _errors(definition):
    return [(list(e.loc), e.msg) for e in definition_errors(definition)]


def test_valid_definition_parses_with_default_next_steps():
    flow = flow_parse(VALID)
    assert flow.start == "hello"
    assert flow.steps["hello"].next == "pause"
    assert flow.steps["opened"].branches == ("sql", None)
    assert flow.steps["sql"].next is None  # the last step ends the flow
    assert flow.reentry == "never"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("30s", 30), ("15m", 900), ("4h", 14400), ("3d", 259200), ("2w", 1209600), (45, 45)],
)
def test_durations(value, seconds):
    assert parse_duration(value) == timedelta(seconds=seconds)


@pytest.mark.parametrize("value", ["3x", "", "-1d", "d3", True, -5])
def test_bad_durations(value):
    assert parse_duration(value) is None


def test_bad_wait_duration_names_the_step_and_field():
    definition = {**VALID, "steps": [*VALID["steps"]]}
    definition["steps"][1] = {"id": "pause", "type": "wait", "duration": "3 days"}
    errors = _errors(definition)
    assert errors == [
        (["steps", 1, "duration"], "step \"pause\": duration '3 days' is not like 30m, 4h, 3d or 2w")
    ]


def test_every_error_is_reported_at_once():
    definition = {
        "trigger": {"type": "stage", "stage": "lead"},
        "steps": [
            {"id": "a", "type": "send_email", "subject": "", "text": "x {{ oops"},
            {"id": "b", "type": "branch", "condition": {"opened": "nope"}, "then": "zzz", "else": "end"},
            {"id": "c", "type": "teleport"},
        ],
    }
    errors = _errors(definition)
    locs = [loc for loc, _ in errors]
    assert ["trigger", "stage"] in locs
    assert ["steps", 0, "subject"] in locs
    assert ["steps", 0, "text"] in locs  # template syntax error
    assert ["steps", 1, "condition", "opened"] in locs
    assert ["steps", 1, "then"] in locs
    assert ["steps", 2, "type"] in locs
    assert any(msg.startswith('step "b": then names no step: "zzz"') for _, msg in errors)


def test_loops_are_refused():
    definition = {
        "trigger": {"type": "manual"},
        "steps": [
            {"id": "a", "type": "wait", "duration": "1d"},
            {
                "id": "b",
                "type": "branch",
                "condition": {"rule": "lead_score > 10"},
                "then": "a",
                "else": "end",
            },
        ],
    }
    assert any("loops back" in msg and "a → b → a" in msg for _, msg in _errors(definition))


def test_rule_conditions_use_the_rules_language():
    definition = {
        "trigger": {"type": "manual"},
        "steps": [
            {
                "id": "b",
                "type": "branch",
                "condition": {"rule": "downloads_30d >= "},
                "then": "end",
                "else": "end",
            }
        ],
    }
    [(loc, msg)] = _errors(definition)
    assert loc == ["steps", 0, "condition", "rule"]
    assert msg.startswith('step "b": rule:')


def test_duplicate_ids_and_unknown_keys():
    definition = {
        "trigger": {"type": "manual"},
        "steps": [{"id": "x", "type": "end"}, {"id": "x", "type": "end"}],
        "colour": "blue",
    }
    locs = [loc for loc, _ in _errors(definition)]
    assert ["colour"] in locs
    assert ["steps", 1, "id"] in locs


def test_webhook_and_notify_targets_are_checked():
    definition = {
        "trigger": {"type": "manual"},
        "steps": [
            {"id": "w", "type": "webhook", "url": "ftp://example.com/x"},
            {"id": "n", "type": "notify", "title": "New SQL", "to": ["owner", "boss"]},
        ],
    }
    locs = [loc for loc, _ in _errors(definition)]
    assert locs == [["steps", 0, "url"], ["steps", 1, "to", 1]]


def test_date_trigger_needs_time_and_one_audience():
    definition = {"trigger": {"type": "date", "at": "2026-12-01"}, "steps": [{"id": "e", "type": "end"}]}
    locs = [loc for loc, _ in _errors(definition)]
    assert ["trigger", "at"] in locs  # no offset: ambiguous
    assert ["trigger"] in locs


def test_not_an_object():
    assert _errors([]) == [([], "the definition must be a JSON object with trigger and steps")]
