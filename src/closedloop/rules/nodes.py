"""The parsed form of a rule: a small tree of typed nodes that every back end walks once.

The syntax module builds it, the checker fills in `type` (and `nullable`), and the evaluator, SQL
compiler and describer each compile it once. Nodes are plain mutable dataclasses because only the
checker writes to them, before any Rule is handed out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from closedloop.rules.vocabulary import FieldSpec

# Types the checker assigns. Lists carry their element type: "list:string", "list:number", "list:any".
INT, FLOAT, STRING, BOOL, NULL = "int", "float", "string", "bool", "null"
NUMBERS = frozenset({INT, FLOAT})


@dataclass(eq=False, slots=True)
class Node:
    start: int
    end: int
    type: str = field(default="", init=False)
    # True when the value may be null at run time (a field without a default, or a division).
    nullable: bool = field(default=False, init=False)


@dataclass(eq=False, slots=True)
class Literal(Node):
    value: int | float | str | bool | None


@dataclass(eq=False, slots=True)
class Field(Node):
    written: str  # as the rule spells it, e.g. "downloads_30d"
    spec: FieldSpec | None = None  # resolved by the checker


@dataclass(eq=False, slots=True)
class Unary(Node):
    op: str  # "!" or "-"
    operand: Node


@dataclass(eq=False, slots=True)
class Binary(Node):
    op: str  # + - * /  == != < <= > >=  in
    left: Node
    right: Node
    op_start: int = 0


@dataclass(eq=False, slots=True)
class Logical(Node):
    op: str  # "&&" or "||"; n-ary so that long rules do not nest deeply
    operands: list[Node]


@dataclass(eq=False, slots=True)
class ListExpr(Node):
    items: list[Node]


@dataclass(eq=False, slots=True)
class Call(Node):
    name: str  # has, size, contains, startsWith, endsWith, lowerAscii
    args: list[Node]
    receiver: Node | None = None  # set for methods: title.contains("ops")
    name_start: int = 0


def children(node: Node) -> list[Node]:
    """The direct sub-expressions of a node, in source order."""
    match node:
        case Unary():
            return [node.operand]
        case Binary():
            return [node.left, node.right]
        case Logical():
            return list(node.operands)
        case ListExpr():
            return list(node.items)
        case Call():
            return ([node.receiver] if node.receiver is not None else []) + list(node.args)
    return []
