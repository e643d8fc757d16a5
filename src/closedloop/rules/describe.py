"""Plain-language rendering of a rule, shown next to it in the agreement so both teams read it alike.

The wording favours what a head of sales would say ("at least 1 content download in the last 30
days") over a literal transcription of the operators; when no phrase fits it falls back to the
operators themselves, so every rule gets a faithful description.
"""

from __future__ import annotations

import re

from closedloop.rules.nodes import Binary, Call, Field, ListExpr, Literal, Logical, Node, Unary
from closedloop.rules.vocabulary import EVENT_TYPES, FieldSpec

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_IS = {
    "==": "is",
    "!=": "is not",
    "<": "is less than",
    "<=": "is at most",
    ">": "is more than",
    ">=": "is at least",
}
_COUNT = {
    "<": "fewer than",
    "<=": "at most",
    ">": "more than",
    ">=": "at least",
    "==": "exactly",
    "!=": "not exactly",
}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
_PLAIN = re.compile(r"^[\w.@+-]+$")


def describe_node(node: Node) -> str:
    """Describe a checked, boolean rule tree."""
    return _condition(node, top=True)


def _condition(node: Node, top: bool = False) -> str:
    match node:
        case Logical():
            joiner = ", and " if node.op == "&&" else ", or "
            parts = [_condition(o) for o in node.operands]
            if not top:
                flat = all(not isinstance(o, Logical) for o in node.operands)
                word = "both " if node.op == "&&" else "either "
                if flat and len(parts) == 2:
                    return word + parts[0] + (" and " if node.op == "&&" else " or ") + parts[1]
                return "(" + joiner.join(parts).lstrip(", ") + ")"
            return joiner.join(parts)
        case Unary(op="!"):
            inner = node.operand
            if isinstance(inner, Call) and inner.name == "has":
                return f"{_value(inner.args[0])} is unknown"
            if isinstance(inner, Literal):
                return "never" if inner.value else "always"
            return f"not ({_condition(inner, top=True)})"
        case Binary(op="in"):
            assert isinstance(node.right, ListExpr)
            items = [_value(i) for i in node.right.items]
            if not items:
                return "never (the list is empty)"
            if len(items) == 1:
                return f"{_value(node.left)} is {items[0]}"
            return f"{_value(node.left)} is one of {', '.join(items[:-1])} or {items[-1]}"
        case Binary():
            return _comparison(node)
        case Call(name="has"):
            return f"{_value(node.args[0])} is known"
        case Call():
            assert node.receiver is not None
            verb = {"contains": "contains", "startsWith": "starts with", "endsWith": "ends with"}[node.name]
            return f"{_value(node.receiver)} {verb} {_quoted(node.args[0])}"
        case Literal():
            return "always" if node.value else "never"
        case Field():
            return _value(node)
    return "?"  # pragma: no cover - the checker admits only the cases above


def _comparison(node: Binary) -> str:
    left, right, op = node.left, node.right, node.op
    if isinstance(left, Literal) and not isinstance(right, Literal):
        left, right, op = right, left, _FLIP[op]
    if isinstance(right, Literal) and right.value is None:
        return f"{_value(left)} is {'unknown' if op == '==' else 'known'}"
    spec = left.spec if isinstance(left, Field) else None
    if (
        spec is not None
        and spec.event is not None
        and isinstance(right, Literal)
        and isinstance(right.value, int)
    ):
        return _count(spec, op, right.value)
    return f"{_value(left)} {_IS[op]} {_value(right)}"


def _count(spec: FieldSpec, op: str, n: int) -> str:
    assert spec.event is not None
    kind = EVENT_TYPES[spec.event]
    when = _window(spec.window_days or 0)
    if (op == "==" and n == 0) or (op == "<" and n == 1) or (op == "<=" and n == 0):
        return f"no {kind.plural} {when}"
    noun = kind.singular if n == 1 else kind.plural
    return f"{_COUNT[op]} {_number(n)} {noun} {when}"


def _window(days: int) -> str:
    if days == 0:
        return "ever"
    return "in the last day" if days == 1 else f"in the last {days} days"


def _value(node: Node, parent_precedence: int = 0) -> str:
    match node:
        case Literal():
            return _literal(node.value)
        case Field():
            spec = node.spec
            if spec is None:  # pragma: no cover - described rules are checked
                return node.written
            if spec.event is not None:
                return f"the number of {EVENT_TYPES[spec.event].plural} {_window(spec.window_days or 0)}"
            return spec.label or spec.name
        case Unary(op="-"):
            return "-" + _value(node.operand, 3)
        case Binary() if node.op in _PRECEDENCE:
            precedence = _PRECEDENCE[node.op]
            # The right operand needs brackets at equal precedence: a - (b - c).
            text = f"{_value(node.left, precedence)} {node.op} {_value(node.right, precedence + 1)}"
            return f"({text})" if precedence < parent_precedence else text
        case Call(name="size"):
            target = node.args[0] if node.receiver is None else node.receiver
            if isinstance(target, ListExpr):
                return str(len(target.items))
            return f"the length of {_value(target)}"
        case Call(name="lowerAscii"):
            assert node.receiver is not None
            return f"lower-case {_value(node.receiver)}"
    return f"({_condition(node, top=True)})"


def _quoted(node: Node) -> str:
    if isinstance(node, Literal) and isinstance(node.value, str):
        return '"' + node.value.replace('"', '\\"') + '"'
    return _value(node)


def _literal(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    text = str(value)
    return text if _PLAIN.match(text) else '"' + text.replace('"', '\\"') + '"'


def _number(value: int | float) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return repr(value)
