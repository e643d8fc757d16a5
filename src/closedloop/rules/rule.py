"""The Rule object and the entry points parse() and validate() that the rest of closedloop uses."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from closedloop.rules.checker import check
from closedloop.rules.describe import describe_node
from closedloop.rules.dialects import dialect_name
from closedloop.rules.errors import RuleError
from closedloop.rules.evaluator import compile_predicate
from closedloop.rules.nodes import Binary, Field, ListExpr, Literal, Node, children
from closedloop.rules.syntax import parse_tree


class Rule:
    """A parsed, checked stage-entry rule, compiled for evaluation.

    Rules are immutable and equal when their source text is equal. Build them with parse() (or
    Rule(source)); both raise RuleError for anything that is not a valid rule.
    """

    __slots__ = ("_predicate", "_root", "source", "variables")

    source: str
    variables: frozenset[str]

    def __init__(self, source: str) -> None:
        root = _checked_tree(source)
        self.source = source
        self._root = root
        self.variables = frozenset(_field_names(root))
        self._predicate = compile_predicate(root)

    def evaluate(self, facts: Mapping[str, Any]) -> bool:
        """True when a contact with these facts meets the rule.

        `facts` maps canonical field names (see `variables`) to values of the vocabulary's types;
        a missing key and None both mean "no value": comparisons with it are false, has() is false,
        and event counts count it as 0.
        """
        return self._predicate(facts)

    def to_sql(self, dialect: str = "duckdb", *, table: str | None = None) -> str:
        """The rule as a boolean SQL expression for "duckdb", "postgres", "clickhouse" or "sqlite".

        Columns are named like `variables` (qualified with `table` when given). The expression is
        never NULL and agrees with evaluate() row for row.
        """
        name = dialect_name(dialect)
        # SQLGlot takes a second to import; only callers that want SQL pay for it.
        from closedloop.rules.sql import to_sql

        return to_sql(self._root, name, table=table)

    def event_windows(self) -> dict[str, int]:
        """The look-back each event type needs to compute this rule's facts, in days (0: all time).

        When a rule counts one event over several windows the longest wins, and all time (0)
        outranks any window; the individual columns are in `variables`.
        """
        windows: dict[str, int] = {}
        for spec in _field_specs(self._root):
            if spec.event is None or spec.window_days is None:
                continue
            current = windows.get(spec.event)
            days = spec.window_days
            if current is None or days == 0 or (current != 0 and days > current):
                windows[spec.event] = days
        return dict(sorted(windows.items()))

    def compared_strings(self, field: str) -> list[tuple[str, int]]:
        """Text literals the rule compares `field` with (==, !=, in [...]), with their offsets:
        `persona in ["ops_manager", "cfo"]` → [("ops_manager", 12), ("cfo", 27)]. Lets the
        agreement check that a rule names only personas it defines."""
        found: list[tuple[str, int]] = []
        for node in _walk(self._root):
            if not isinstance(node, Binary) or node.op not in ("==", "!=", "in"):
                continue
            sides = (node.left, node.right)
            if not any(isinstance(n, Field) and n.spec is not None and n.spec.name == field for n in sides):
                continue
            for side in sides:
                items = side.items if isinstance(side, ListExpr) else [side]
                found.extend(
                    (item.value, item.start)
                    for item in items
                    if isinstance(item, Literal) and isinstance(item.value, str)
                )
        return sorted(found, key=lambda pair: pair[1])

    def describe(self) -> str:
        """The rule in plain language."""
        return describe_node(self._root)

    def __repr__(self) -> str:
        return f"Rule({self.source!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rule) and other.source == self.source

    def __hash__(self) -> int:
        return hash(("Rule", self.source))

    def __reduce__(self) -> tuple[Any, ...]:
        # Compiled closures do not pickle; the source is the rule.
        return (parse, (self.source,))


def _checked_tree(source: object) -> Node:
    if not isinstance(source, str):
        raise RuleError(f"a rule must be text, not {type(source).__name__}", code="syntax")
    root = parse_tree(source)
    errors = check(source, root)
    if errors:
        raise errors[0]
    return root


def _walk(root: Node) -> list[Node]:
    nodes, stack = [], [root]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(children(node))
    return nodes


def _field_specs(root: Node) -> list[Any]:
    return [n.spec for n in _walk(root) if isinstance(n, Field) and n.spec is not None]


def _field_names(root: Node) -> set[str]:
    return {spec.name for spec in _field_specs(root)}


@functools.lru_cache(maxsize=2048)
def _parse_cached(source: str) -> Rule:
    return Rule(source)


def parse(source: str) -> Rule:
    """Parse and check a rule; raise RuleError (with position and hint) if it is not valid.

    Rules are cached by source text, so calling parse() per contact costs a dictionary lookup.
    """
    if not isinstance(source, str):
        raise RuleError(f"a rule must be text, not {type(source).__name__}", code="syntax")
    return _parse_cached(source)


def validate(source: str) -> list[RuleError]:
    """Every error in a rule, in source order; an empty list when it is valid. Never raises."""
    if not isinstance(source, str):
        return [RuleError(f"a rule must be text, not {type(source).__name__}", code="syntax")]
    try:
        root = parse_tree(source)
    except RuleError as err:
        return [err]
    return sorted(check(source, root), key=lambda e: e.offset)


def describe(source_or_rule: str | Rule) -> str:
    """A plain-language rendering of a rule (parsing it first when given its source)."""
    rule = source_or_rule if isinstance(source_or_rule, Rule) else parse(source_or_rule)
    return rule.describe()
