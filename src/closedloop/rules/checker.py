"""Name resolution and type checking: a rule that passes here cannot fail at evaluation time.

Every error is collected (not just the first) so the editor can underline all of them at once,
and an expression that already failed is typed "error" so one mistake does not cause a cascade.
"""

from __future__ import annotations

from closedloop.rules.errors import RuleError
from closedloop.rules.nodes import (
    BOOL,
    FLOAT,
    INT,
    NULL,
    NUMBERS,
    STRING,
    Binary,
    Call,
    Field,
    ListExpr,
    Literal,
    Logical,
    Node,
    Unary,
    children,
)
from closedloop.rules.vocabulary import field_spec, field_suggestions, window_problem

ERROR = "error"
# Chains such as 1 + 2 + 3 nest one level per operator, so the tree may be deeper than the
# brackets; this bounds the recursion of every compiler that walks it.
MAX_TREE_DEPTH = 64
_ORDERING = frozenset({"<", "<=", ">", ">="})
_RELATIONS = _ORDERING | {"==", "!=", "in"}
_STRING_METHODS = frozenset({"contains", "startsWith", "endsWith"})
_SUPPORTED = "has(field), size(x), x.size(), x.contains(s), x.startsWith(s), x.endsWith(s), x.lowerAscii()"


def kind_words(type_: str) -> str:
    """A type as a rule author would say it."""
    if type_ in NUMBERS:
        return "a number"
    if type_ == STRING:
        return "text"
    if type_ == BOOL:
        return "a condition (true or false)"
    if type_ == NULL:
        return "null"
    return "a list"


def _kind(type_: str) -> str:
    # Comparable families: ints and floats compare with each other.
    return "number" if type_ in NUMBERS else type_


def check(source: str, root: Node) -> list[RuleError]:
    """Type `root` in place and return every error found (empty when the rule is valid)."""
    checker = _Checker(source)
    depth_error = checker.depth(root)
    if depth_error is not None:
        return [depth_error]
    checker.visit(root)
    if root.type not in (BOOL, ERROR):
        what = kind_words(root.type)
        example = "company_size + 1 >= 10" if root.type in NUMBERS else 'persona == "ops_manager"'
        checker.report(
            f"the rule is {what}, not a condition",
            root,
            hint=f"a rule must be true or false for each contact; compare it, e.g. {example}",
            code="not_boolean",
        )
    return checker.errors


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[RuleError] = []

    def depth(self, root: Node) -> RuleError | None:
        # Chains such as a + b + c fold into nested nodes, so measure before recursing.
        stack = [(root, 1)]
        while stack:
            node, level = stack.pop()
            if level > MAX_TREE_DEPTH:
                return RuleError(
                    f"the rule is nested too deeply (more than {MAX_TREE_DEPTH} levels)",
                    source=self.source,
                    offset=node.start,
                    end_offset=node.end,
                    hint="flatten it: a && b && c needs no parentheses, and 'in' replaces chains of ||",
                    code="too_deep",
                )
            stack.extend((child, level + 1) for child in children(node))
        return None

    def text(self, node: Node) -> str:
        text = " ".join(self.source[node.start : node.end].split())
        return text if len(text) <= 30 else text[:27] + "..."

    def report(
        self, message: str, node: Node, *, hint: str = "", code: str = "type", start: int | None = None
    ) -> None:
        self.errors.append(
            RuleError(
                message,
                source=self.source,
                offset=node.start if start is None else start,
                end_offset=node.end,
                hint=hint,
                code=code,
            )
        )

    def visit(self, node: Node) -> str:
        match node:
            case Literal():
                node.type = _literal_type(node.value)
            case Field():
                self.field(node)
            case Unary():
                self.unary(node)
            case Binary():
                self.binary(node)
            case Logical():
                self.logical(node)
            case ListExpr():
                self.list_(node)
            case Call():
                self.call(node)
        return node.type

    def field(self, node: Field) -> None:
        spec = field_spec(node.written)
        if spec is not None:
            node.spec = spec
            node.type = spec.type
            # A yes/no field without a value counts as "no", so only other fields can be null.
            node.nullable = spec.default is None and spec.type != BOOL
            return
        node.type = ERROR
        problem = window_problem(node.written)
        if problem is not None:
            stem = node.written.rsplit("_", 1)[0]
            days = int(node.written.rsplit("_", 1)[1][:-1])
            hint = (
                f"use {stem}_total to count all time"
                if days == 0
                else f"use {stem}_365d for the last year, or {stem}_total for all time"
            )
            self.report(problem, node, hint=hint, code="window")
            return
        suggestions = field_suggestions(node.written)
        hint = (
            f"did you mean '{suggestions[0]}'?"
            if suggestions
            else "see docs/rules.md for the fields a rule can use"
        )
        self.report(f"unknown field '{node.written}'", node, hint=hint, code="unknown_field")

    def unary(self, node: Unary) -> None:
        operand = self.visit(node.operand)
        node.nullable = node.operand.nullable
        if operand == ERROR:
            node.type = ERROR
        elif node.op == "!":
            node.type = BOOL
            if operand != BOOL:
                self.report(
                    f"'!' needs a condition, but {self.text(node.operand)} is {kind_words(operand)}",
                    node.operand,
                    hint='put ! in front of a comparison, e.g. !(persona == "student")',
                )
        else:
            node.type = operand if operand in NUMBERS else ERROR
            if operand not in NUMBERS:
                self.report(
                    f"'-' needs a number, but {self.text(node.operand)} is {kind_words(operand)}",
                    node.operand,
                )

    def logical(self, node: Logical) -> None:
        node.type = BOOL
        for operand in node.operands:
            type_ = self.visit(operand)
            if type_ not in (BOOL, ERROR):
                example = (
                    f"{self.text(operand)} >= 1" if type_ in NUMBERS else f'{self.text(operand)} == "..."'
                )
                self.report(
                    f"{node.op} joins conditions, but {self.text(operand)} is {kind_words(type_)}",
                    operand,
                    hint=f"compare it, e.g. {example}",
                )

    def list_(self, node: ListExpr) -> None:
        kinds: set[str] = set()
        for item in node.items:
            type_ = self.visit(item)
            node.nullable = node.nullable or item.nullable
            if type_ == NULL:
                self.report(
                    "a list cannot contain null", item, hint="use has(field) to test for a missing value"
                )
            elif type_.startswith("list"):
                self.report("lists cannot contain lists", item)
            elif type_ != ERROR:
                kinds.add(_kind(type_))
        if len(kinds) > 1:
            self.report(
                "a list must hold values of one kind",
                node,
                hint='write text in quotes and numbers without: ["a", "b"] or [1, 2]',
            )
        node.type = "list:" + (kinds.pop() if len(kinds) == 1 else "any")

    def binary(self, node: Binary) -> None:
        left, right = self.visit(node.left), self.visit(node.right)
        if node.op in "+-*/":
            self.arithmetic(node, left, right)
            return
        node.type = BOOL
        if ERROR in (left, right):
            return
        if node.op == "in":
            self.membership(node, left, right)
        elif NULL in (left, right):
            self.null_comparison(node, left, right)
        elif left.startswith("list") or right.startswith("list"):
            side = node.left if left.startswith("list") else node.right
            self.report(
                f"lists can only be used on the right of 'in', not with '{node.op}'",
                side,
                hint='to test membership write a value on the left, e.g. persona in ["a", "b"]',
            )
        elif _kind(left) != _kind(right):
            self.mismatch(node, left, right)
        elif node.op in _ORDERING and left not in NUMBERS:
            self.report(
                f"'{node.op}' compares numbers, but {self.text(node.left)} is {kind_words(left)}",
                node.left,
                hint="text can only be compared with ==, != or in"
                if left == STRING
                else "conditions can only be compared with == or !=",
            )

    def arithmetic(self, node: Binary, left: str, right: str) -> None:
        node.nullable = node.left.nullable or node.right.nullable
        if node.op == "/" and not (isinstance(node.right, Literal) and node.right.value != 0):
            node.nullable = True  # division by zero has no value
        if ERROR in (left, right):
            node.type = ERROR
            return
        for side, type_ in ((node.left, left), (node.right, right)):
            if type_ not in NUMBERS:
                node.type = ERROR
                self.report(
                    f"'{node.op}' works on numbers, but {self.text(side)} is {kind_words(type_)}",
                    side,
                    hint="arithmetic is for numeric fields such as company_size or annual_revenue",
                )
                return
        node.type = INT if left == right == INT else FLOAT

    def membership(self, node: Binary, left: str, right: str) -> None:
        if not right.startswith("list"):
            self.report(
                f"the right side of 'in' must be a list, but {self.text(node.right)} is {kind_words(right)}",
                node.right,
                hint=f'write a list in brackets, e.g. {self.text(node.left)} in ["a", "b"]',
            )
            return
        element = right.split(":", 1)[1]
        if left == NULL or left.startswith("list"):
            self.report(f"'in' needs a single value on its left, not {kind_words(left)}", node.left)
        elif element not in ("any", _kind(left)):
            self.report(
                f"{self.text(node.left)} is {kind_words(left)} but the list holds "
                f"{kind_words(INT if element == 'number' else element)}",
                node.right,
                hint=_compare_hint(self.text(node.left), left),
            )

    def null_comparison(self, node: Binary, left: str, right: str) -> None:
        other = node.right if left == NULL else node.left
        if node.op not in ("==", "!="):
            self.report(
                f"'{node.op}' cannot compare with null",
                node,
                hint=f"test for a value with has({self.text(other)})",
            )
        elif other.type.startswith("list"):
            self.report("a list is never null", other)

    def mismatch(self, node: Binary, left: str, right: str) -> None:
        if isinstance(node.left, Binary) and node.left.op in _RELATIONS:
            self.report(
                "comparisons cannot be chained",
                node,
                hint=f"write each comparison separately and join them with &&, e.g. "
                f"{self.text(node.left)} && {self.text(node.left.right)} {node.op} {self.text(node.right)}",
                start=node.op_start,
            )
            return
        # Point at the side that is not a field: that is the one the author has to rewrite.
        field, other = (
            (node.left, node.right) if not isinstance(node.right, Field) else (node.right, node.left)
        )
        self.report(
            f"cannot compare {kind_words(field.type)} with {kind_words(other.type)}",
            other,
            hint=_compare_hint(self.text(field), field.type),
        )

    def call(self, node: Call) -> None:
        name = node.name
        arg_types = [self.visit(arg) for arg in node.args]
        receiver = self.visit(node.receiver) if node.receiver is not None else None
        node.type = ERROR
        if receiver == ERROR or ERROR in arg_types:
            return
        where = node.name_start
        if name == "has" and node.receiver is None:
            if len(node.args) != 1 or not isinstance(node.args[0], Field):
                self.report("has() takes one field name", node, hint="e.g. has(title)", start=where)
                return
            node.type = BOOL
            return
        if name == "size" and (node.receiver is None) == (len(node.args) == 1) and len(node.args) <= 1:
            target = node.args[0] if node.receiver is None else node.receiver
            if target.type != STRING and not target.type.startswith("list"):
                self.report(
                    f"size() needs text or a list, but {self.text(target)} is {kind_words(target.type)}",
                    target,
                )
                return
            node.type, node.nullable = INT, target.nullable
            return
        if node.receiver is not None and name in _STRING_METHODS | {"lowerAscii"}:
            wanted = 0 if name == "lowerAscii" else 1
            if receiver != STRING:
                self.report(
                    f".{name}() works on text, but {self.text(node.receiver)} is {kind_words(receiver or '')}",
                    node.receiver,
                    hint=f"use it on a text field, e.g. title.{name}({'' if wanted == 0 else chr(34) + 'ops' + chr(34)})",
                )
                return
            if len(node.args) != wanted or any(t != STRING for t in arg_types):
                what = "no arguments" if wanted == 0 else "one quoted string"
                self.report(
                    f".{name}() takes {what}",
                    node,
                    hint=f"e.g. title.{name}({'' if wanted == 0 else chr(34) + 'ops' + chr(34)})",
                    start=where,
                )
                return
            node.type = STRING if name == "lowerAscii" else BOOL
            node.nullable = node.receiver.nullable if name == "lowerAscii" else False
            return
        self.report(
            f"unknown function '{name}'",
            node,
            hint=_function_hint(node),
            start=where,
            code="unknown_function",
        )


def _literal_type(value: object) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    return STRING


def _compare_hint(name: str, type_: str) -> str:
    if type_ == STRING:
        return f"{name} is text; compare it with a quoted string"
    if type_ in NUMBERS:
        return f"{name} is a number; compare it with a number, without quotes"
    return f"{name} is {kind_words(type_)}; compare it with true or false"


def _function_hint(node: Call) -> str:
    name = node.name
    if name in ("lower", "lowercase", "toLowerCase", "lowerCase"):
        return "write title.lowerAscii() to ignore case"
    if name in ("matches", "like", "regex"):
        return "patterns are not supported; use contains, startsWith or endsWith"
    if name in _STRING_METHODS and node.receiver is None:
        return f'write it as a method: title.{name}("ops")'
    if name == "has" and node.receiver is not None:
        return "write has(field)"
    return f"the functions are {_SUPPORTED}"
