"""Compile a checked rule into nested Python closures, once, so evaluating it is a few calls.

The semantics are CEL's, made total: a missing or None fact makes any comparison that uses it
false (never an error), `has(field)` tests presence, division by zero has no value, and every
condition is strictly True or False. The SQL compiler implements the same table; the tests hold
them to it on random rules and facts.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from closedloop.rules.nodes import BOOL, INT, Binary, Call, Field, ListExpr, Literal, Logical, Node, Unary

type Facts = Mapping[str, Any]
type Fn = Callable[[Facts], Any]
type Predicate = Callable[[Facts], bool]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# CEL's lowerAscii() changes A-Z only; that is also what SQLite's and ClickHouse's lower() do.
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def compile_predicate(root: Node) -> Predicate:
    """The rule as a function from facts to True/False. `root` must be checked and boolean."""
    return _condition(root)


def _condition(node: Node) -> Predicate:
    match node:
        case Logical(op="&&"):
            return _all([_condition(o) for o in node.operands])
        case Logical(op="||"):
            return _any([_condition(o) for o in node.operands])
        case Unary(op="!"):
            inner = _condition(node.operand)
            return lambda facts: not inner(facts)
        case Binary(op="in"):
            return _membership(node)
        case Binary():
            return _comparison(node)
        case Call(name="has"):
            return _has(node)
        case Call():
            return _string_test(node)
        case Literal():
            constant = bool(node.value)
            return lambda facts: constant
        case Field():
            name = node.spec.name if node.spec else node.written
            # Only yes/no fields are conditions by themselves; no value counts as "no".
            return lambda facts: bool(facts.get(name))
    raise AssertionError(f"not a condition: {node!r}")  # pragma: no cover - the checker ensures it


def _all(parts: list[Predicate]) -> Predicate:
    # Unrolled for the common lengths: a loop costs more than the comparisons themselves.
    if len(parts) == 2:
        a, b = parts
        return lambda facts: a(facts) and b(facts)
    if len(parts) == 3:
        a, b, c = parts
        return lambda facts: a(facts) and b(facts) and c(facts)

    def every(facts: Facts) -> bool:
        return all(part(facts) for part in parts)

    return every


def _any(parts: list[Predicate]) -> Predicate:
    if len(parts) == 2:
        a, b = parts
        return lambda facts: a(facts) or b(facts)
    if len(parts) == 3:
        a, b, c = parts
        return lambda facts: a(facts) or b(facts) or c(facts)

    def some(facts: Facts) -> bool:
        return any(part(facts) for part in parts)

    return some


def _comparison(node: Binary) -> Predicate:
    left, right = node.left, node.right
    if isinstance(right, Literal) and right.value is None:
        return _null_test(left, node.op)
    if isinstance(left, Literal) and left.value is None:
        return _null_test(right, node.op)
    compare = _COMPARE[node.op]
    # The shape of most stage rules, field <op> constant, gets a closure of its own.
    if isinstance(left, Field) and isinstance(right, Literal) and left.spec is not None and left.type != BOOL:
        name, constant, default = left.spec.name, right.value, left.spec.default
        if default is None:

            def field_vs_constant(facts: Facts) -> bool:
                value = facts.get(name)
                return value is not None and compare(value, constant)

            return field_vs_constant

        def count_vs_constant(facts: Facts) -> bool:
            value = facts.get(name)
            return compare(default if value is None else value, constant)

        return count_vs_constant
    left_fn, right_fn = _value(left), _value(right)

    def general(facts: Facts) -> bool:
        a = left_fn(facts)
        if a is None:
            return False
        b = right_fn(facts)
        return b is not None and compare(a, b)

    return general


def _null_test(node: Node, op: str) -> Predicate:
    if isinstance(node, Literal) and node.value is None:
        return (lambda facts: True) if op == "==" else (lambda facts: False)
    fn = _value(node)
    if op == "==":
        return lambda facts: fn(facts) is None
    return lambda facts: fn(facts) is not None


def _membership(node: Binary) -> Predicate:
    assert isinstance(node.right, ListExpr)
    items = node.right.items
    left = _value(node.left)
    if all(isinstance(i, Literal) for i in items):
        constants = frozenset(i.value for i in items if isinstance(i, Literal))
        if not constants:
            return lambda facts: False

        def in_constants(facts: Facts) -> bool:
            value = left(facts)
            return value is not None and value in constants

        return in_constants
    item_fns = [_value(i) for i in items]

    def in_values(facts: Facts) -> bool:
        value = left(facts)
        if value is None:
            return False
        return any(value == v for v in (fn(facts) for fn in item_fns) if v is not None)

    return in_values


def _has(node: Call) -> Predicate:
    field = node.args[0]
    assert isinstance(field, Field) and field.spec is not None
    if field.spec.default is not None:
        return lambda facts: True
    name = field.spec.name
    return lambda facts: facts.get(name) is not None


def _string_test(node: Call) -> Predicate:
    assert node.receiver is not None
    receiver, argument = _value(node.receiver), _value(node.args[0])
    method: Callable[[str, str], bool] = {
        "contains": _contains,
        "startsWith": _starts_with,
        "endsWith": _ends_with,
    }[node.name]

    def test(facts: Facts) -> bool:
        text = receiver(facts)
        if text is None:
            return False
        part = argument(facts)
        return part is not None and method(text, part)

    return test


def _contains(text: str, part: str) -> bool:
    return part in text


def _starts_with(text: str, part: str) -> bool:
    return text.startswith(part)


def _ends_with(text: str, part: str) -> bool:
    return text.endswith(part)


def _value(node: Node) -> Fn:
    """A function computing the value of `node` from facts; None stands for "no value"."""
    if node.type == BOOL:
        return _condition(node)
    match node:
        case Literal():
            constant = node.value
            return lambda facts: constant
        case Field():
            assert node.spec is not None
            name, default = node.spec.name, node.spec.default
            if default is None:
                return lambda facts: facts.get(name)

            def with_default(facts: Facts) -> Any:
                value = facts.get(name)
                return default if value is None else value

            return with_default
        case Unary(op="-"):
            inner = _value(node.operand)

            def negate(facts: Facts) -> Any:
                value = inner(facts)
                return None if value is None else -value

            return negate
        case Binary():
            return _arithmetic(node)
        case Call(name="size"):
            target = node.args[0] if node.receiver is None else node.receiver
            if isinstance(target, ListExpr):
                length = len(target.items)
                return lambda facts: length
            inner = _value(target)

            def size(facts: Facts) -> Any:
                value = inner(facts)
                return None if value is None else len(value)

            return size
        case Call(name="lowerAscii"):
            assert node.receiver is not None
            inner = _value(node.receiver)

            def lower_ascii(facts: Facts) -> Any:
                value = inner(facts)
                return None if value is None else value.translate(ASCII_LOWER)

            return lower_ascii
    raise AssertionError(f"no value for {node!r}")  # pragma: no cover - the checker ensures it


def _arithmetic(node: Binary) -> Fn:
    left, right = _value(node.left), _value(node.right)
    op = node.op
    if op == "/":
        combine: Callable[[Any, Any], Any] = _int_divide if node.type == INT else _divide
    else:
        combine = {"+": operator.add, "-": operator.sub, "*": operator.mul}[op]

    def arithmetic(facts: Facts) -> Any:
        a = left(facts)
        if a is None:
            return None
        b = right(facts)
        if b is None:
            return None
        return combine(a, b)

    return arithmetic


def _divide(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


def _int_divide(a: int, b: int) -> int | None:
    # CEL (and SQL) integer division truncates toward zero; Python's // floors.
    if b == 0:
        return None
    quotient = abs(a) // abs(b)
    return quotient if (a >= 0) == (b > 0) else -quotient
