"""closedloop.rules: the Agreement's definition language, rules as data (a subset of CEL, never eval).

    >>> rule = parse('downloads_30d >= 1 && persona == "ops_manager" && company_size >= 50')
    >>> rule.evaluate({"content_download_30d": 2, "persona": "ops_manager", "company_size": 80})
    True
    >>> sorted(rule.variables)
    ['company_size', 'content_download_30d', 'persona']

The package imports no Django: the stage engine, the backtest and the agreement editor all use it.
See docs/rules.md for the language.
"""

from closedloop.rules.dialects import DIALECTS
from closedloop.rules.errors import RuleError
from closedloop.rules.rule import Rule, describe, parse, validate
from closedloop.rules.vocabulary import (
    ALIASES,
    EVENT_ALIASES,
    EVENT_TYPES,
    FIELDS,
    MAX_WINDOW_DAYS,
    EventType,
    FieldSpec,
    event_field_name,
    field_spec,
)

__all__ = [
    "ALIASES",
    "DIALECTS",
    "EVENT_ALIASES",
    "EVENT_TYPES",
    "FIELDS",
    "MAX_WINDOW_DAYS",
    "EventType",
    "FieldSpec",
    "Rule",
    "RuleError",
    "describe",
    "event_field_name",
    "field_spec",
    "parse",
    "validate",
]
