"""Compile a checked rule into a boolean SQL expression, for bulk evaluation by the stage engine.

The SQL is built as a SQLGlot tree and printed per dialect. It must agree with the Python
evaluator row for row, so SQL's three-valued logic is closed off at every condition: a comparison
that could see NULL is wrapped in COALESCE(..., FALSE), which makes AND, OR and NOT two-valued
again. Where dialects disagree on a function (integer division, string tests, lower-casing) the
form is chosen per dialect here rather than left to a translation we would have to trust.
"""

from __future__ import annotations

from sqlglot import exp

from closedloop.rules.dialects import dialect_name
from closedloop.rules.nodes import BOOL, INT, Binary, Call, Field, ListExpr, Literal, Logical, Node, Unary

_COMPARE: dict[str, type[exp.Expression]] = {
    "==": exp.EQ,
    "!=": exp.NEQ,
    "<": exp.LT,
    "<=": exp.LTE,
    ">": exp.GT,
    ">=": exp.GTE,
}
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def to_sql(root: Node, dialect: str = "duckdb", *, table: str | None = None) -> str:
    """The rule as a SQL boolean expression over columns named like the canonical fields."""
    name = dialect_name(dialect)
    return _Compiler(name, table).condition(root).sql(dialect=name)


def _atomic(e: exp.Expression) -> bool:
    if isinstance(e, (exp.Binary, exp.Unary, exp.Connector, exp.Predicate)):
        return False  # some of these are also Func subclasses in SQLGlot (And, Or)
    return isinstance(e, (exp.Column, exp.Boolean, exp.Null, exp.Func, exp.Paren, exp.Cast)) or (
        isinstance(e, exp.Literal) and not e.this.startswith("-")
    )


def _p(e: exp.Expression) -> exp.Expression:
    # SQLGlot prints the tree as given; parentheses keep CEL's precedence whatever the operators.
    return e if _atomic(e) else exp.Paren(this=e)


def _connective(e: exp.Expression) -> exp.Expression:
    return exp.Paren(this=e) if isinstance(e, exp.Connector) else e


def _coalesce_false(e: exp.Expression) -> exp.Expression:
    return exp.Coalesce(this=e, expressions=[exp.false()])


class _Compiler:
    def __init__(self, dialect: str, table: str | None) -> None:
        self.dialect = dialect
        self.table = table

    def column(self, name: str) -> exp.Column:
        return exp.column(name, table=self.table, quoted=True)

    # --- conditions: never NULL --------------------------------------------------------------

    def condition(self, node: Node) -> exp.Expression:
        match node:
            case Logical():
                # Comparisons bind tighter than AND and OR in every dialect; only nested
                # connectives need brackets.
                parts = [_connective(self.condition(o)) for o in node.operands]
                joiner = exp.And if node.op == "&&" else exp.Or
                result = parts[0]
                for part in parts[1:]:
                    result = joiner(this=result, expression=part)
                return result
            case Unary(op="!"):
                inner = self.condition(node.operand)
                if isinstance(inner, exp.Not):
                    negated: exp.Expression = inner.this
                    return negated  # conditions are never NULL, so NOT NOT x is x
                return exp.Not(this=_p(inner))
            case Binary(op="in"):
                return self.membership(node)
            case Binary():
                return self.comparison(node)
            case Call(name="has"):
                field = node.args[0]
                assert isinstance(field, Field) and field.spec is not None
                if field.spec.default is not None:
                    return exp.true()
                return exp.Not(this=exp.Is(this=self.column(field.spec.name), expression=exp.Null()))
            case Call():
                return self.string_test(node)
            case Literal():
                return exp.true() if node.value else exp.false()
            case Field():
                assert node.spec is not None
                return _coalesce_false(self.column(node.spec.name))
        raise AssertionError(f"not a condition: {node!r}")  # pragma: no cover

    def comparison(self, node: Binary) -> exp.Expression:
        left, right = node.left, node.right
        for value, other in ((right, left), (left, right)):
            if isinstance(value, Literal) and value.value is None:
                if isinstance(other, Literal) and other.value is None:
                    return exp.true() if node.op == "==" else exp.false()
                test = exp.Is(this=_p(self.value(other)), expression=exp.Null())
                return test if node.op == "==" else exp.Not(this=test)
        result = _COMPARE[node.op](this=_p(self.value(left)), expression=_p(self.value(right)))
        return _coalesce_false(result) if left.nullable or right.nullable else result

    def membership(self, node: Binary) -> exp.Expression:
        assert isinstance(node.right, ListExpr)
        items = node.right.items
        if not items:
            return exp.false()
        result = exp.In(this=_p(self.value(node.left)), expressions=[self.value(i) for i in items])
        # x IN (a, NULL) is NULL, not FALSE, when x matches nothing: close it off like a comparison.
        nullable = node.left.nullable or any(i.nullable for i in items)
        return _coalesce_false(result) if nullable else result

    def string_test(self, node: Call) -> exp.Expression:
        assert node.receiver is not None
        text, part = self.value(node.receiver), self.value(node.args[0])
        d = self.dialect
        result: exp.Expression
        if node.name == "contains":
            result = exp.GT(this=exp.StrPosition(this=text, substr=part), expression=exp.Literal.number(0))
        elif node.name == "startsWith" and d != "sqlite":
            result = exp.StartsWith(this=text, expression=part)
        elif node.name == "startsWith":
            prefix = exp.Substring(this=text, start=exp.Literal.number(1), length=exp.Length(this=part))
            result = exp.EQ(this=prefix, expression=part)
        elif d in ("duckdb", "clickhouse"):
            result = exp.EndsWith(this=text, expression=part)
        elif d == "postgres":
            result = exp.EQ(this=exp.Right(this=text, expression=exp.Length(this=part)), expression=part)
        else:
            # SQLite has neither RIGHT nor ENDS_WITH; and SUBSTR with a start below 1 counts from
            # the end there, so check the lengths first.
            long_enough = exp.GTE(this=exp.Length(this=text), expression=exp.Length(this=part))
            start = exp.Add(
                this=exp.Sub(this=exp.Length(this=text), expression=exp.Length(this=part)),
                expression=exp.Literal.number(1),
            )
            tail = exp.EQ(this=exp.Substring(this=text, start=start), expression=part)
            result = exp.And(this=long_enough, expression=tail)
        nullable = node.receiver.nullable or node.args[0].nullable
        return _coalesce_false(result) if nullable else result

    # --- values: may be NULL exactly when the node is nullable --------------------------------

    def value(self, node: Node) -> exp.Expression:
        if node.type == BOOL:
            return self.condition(node)
        match node:
            case Literal():
                return self.literal(node.value)
            case Field():
                assert node.spec is not None
                column = self.column(node.spec.name)
                if node.spec.default is not None:
                    return exp.Coalesce(this=column, expressions=[self.literal(node.spec.default)])
                return column
            case Unary(op="-"):
                return exp.Paren(this=exp.Neg(this=exp.Paren(this=self.value(node.operand))))
            case Binary():
                return self.arithmetic(node)
            case Call(name="size"):
                target = node.args[0] if node.receiver is None else node.receiver
                if isinstance(target, ListExpr):
                    return exp.Literal.number(len(target.items))
                return exp.Length(this=self.value(target))
            case Call(name="lowerAscii"):
                assert node.receiver is not None
                text = self.value(node.receiver)
                if self.dialect in ("sqlite", "clickhouse"):
                    return exp.Lower(this=text)  # ASCII-only in both, as CEL's lowerAscii()
                return exp.Translate(
                    this=text, from_=exp.Literal.string(_UPPER), to=exp.Literal.string(_UPPER.lower())
                )
        raise AssertionError(f"no value for {node!r}")  # pragma: no cover

    def literal(self, value: object) -> exp.Expression:
        if value is None:
            return exp.Null()
        if isinstance(value, bool):
            return exp.true() if value else exp.false()
        if isinstance(value, int):
            return exp.Literal.number(value)
        if isinstance(value, float):
            # An exponent makes every engine read a double, not a DECIMAL (DuckDB) or NUMERIC
            # (PostgreSQL) whose arithmetic would round differently from Python's floats.
            text = repr(value)
            if "e" not in text:
                text += "e0"
            return exp.cast(exp.Literal.number(text), exp.DataType.Type.DOUBLE)
        return exp.Literal.string(str(value))

    def arithmetic(self, node: Binary) -> exp.Expression:
        left, right = self.operand(node.left), self.operand(node.right)
        if node.op == "+":
            return exp.Add(this=left, expression=right)
        if node.op == "-":
            return exp.Sub(this=left, expression=right)
        if node.op == "*":
            return exp.Mul(this=left, expression=right)
        divisor = exp.Nullif(this=right, expression=exp.Literal.number(0))
        if node.type == INT:
            # CEL truncates integer division toward zero; so do these, and Python's // does not.
            if self.dialect == "duckdb":
                return exp.IntDiv(this=left, expression=divisor)
            if self.dialect == "clickhouse":
                return exp.Anonymous(this="intDiv", expressions=[left, divisor])
            return exp.Div(this=left, expression=divisor, typed=True)
        dividend = exp.cast(left, exp.DataType.Type.DOUBLE)
        return exp.Div(this=dividend, expression=divisor, typed=True)

    def operand(self, node: Node) -> exp.Expression:
        value = self.value(node)
        if isinstance(node, Literal) and node.type == INT:
            # DuckDB types small literals as INTEGER and raises on 32-bit overflow in 2 * 3000000000.
            return exp.cast(value, exp.DataType.Type.BIGINT)
        return _p(value)
