"""Source text to a tree of nodes: the grammar (a subset of CEL's) and readable syntax errors.

The grammar follows the Common Expression Language spec's productions and precedence
(https://github.com/google/cel-spec/blob/master/doc/langdef.md#syntax), minus what rules don't
need (maps, the ternary, bytes, unsigned and raw literals, indexing), so every rule is also a CEL
expression. Lark's LALR parser is table-driven and does not recurse, so hostile input cannot blow
the stack while parsing; tree depth is capped before anything walks the tree recursively.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from closedloop.rules.errors import RuleError
from closedloop.rules.nodes import Binary, Call, Field, ListExpr, Literal, Logical, Node, Unary

MAX_LENGTH = 2_000
MAX_DEPTH = 32

GRAMMAR = r"""
?start: or_expr

?or_expr: and_expr ("||" and_expr)*
?and_expr: relation ("&&" relation)*
?relation: addition ((RELOP | IN) addition)*
?addition: multiplication ((PLUS | MINUS) multiplication)*
?multiplication: unary ((STAR | SLASH) unary)*

?unary: member
      | BANG+ member                         -> not_
      | MINUS+ member                        -> neg

?member: primary
       | member "." IDENT "(" [args] ")"     -> method
       | member "." IDENT                    -> select
       | member "[" or_expr "]"              -> index

?primary: IDENT                              -> ident
        | IDENT "(" [args] ")"               -> call
        | "(" or_expr ")"
        | "[" "]"                            -> list_
        | "[" items "]"                      -> list_
        | FLOAT                              -> float_
        | INT                                -> int_
        | STRING                             -> string
        | "true"                             -> true
        | "false"                            -> false
        | "null"                             -> null

args: or_expr ("," or_expr)*
items: or_expr ("," or_expr)* ","?

RELOP: "==" | "!=" | "<=" | ">=" | "<" | ">"
IN: "in"
PLUS: "+"
MINUS: "-"
STAR: "*"
SLASH: "/"
BANG: "!"
IDENT: /[_a-zA-Z][_a-zA-Z0-9]*/
FLOAT.2: /\d+\.\d+([eE][+-]?\d+)?|\d+[eE][+-]?\d+|\.\d+([eE][+-]?\d+)?/
INT: /0[xX][0-9a-fA-F]+|\d+/
STRING: /"(?:[^"\\\n\r]|\\.)*"/ | /'(?:[^'\\\n\r]|\\.)*'/
COMMENT: /\/\/[^\n]*/

%ignore /[ \t\r\n\f]+/
%ignore COMMENT
"""

INT64_MAX = 2**63 - 1

# Tokens that can start a value, for "expected an operator before ..." after a complete value.
_VALUE_STARTS = frozenset(
    {"IDENT", "INT", "FLOAT", "STRING", "TRUE", "FALSE", "NULL", "LPAR", "LSQB", "BANG", "MINUS"}
)
# Tokens the parser wants only where a value must come; "(" and "[" also follow a complete
# value (calls, indexing), so they cannot tell the two situations apart.
_VALUE_ONLY = frozenset({"IDENT", "INT", "FLOAT", "STRING"})
# Words from SQL and Python that people type for &&, || and !.
_WORD_OPERATORS = frozenset({"and", "or", "not"})


@functools.cache
def _parser() -> Lark:
    # Built on first use: constructing the LALR tables costs a few milliseconds.
    return Lark(GRAMMAR, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=True)


def parse_tree(source: str) -> Node:
    """Parse `source` into nodes; raise RuleError for empty, over-long, deep or malformed input."""
    if len(source) > MAX_LENGTH:
        raise RuleError(
            f"the rule is too long ({len(source):,} characters; the limit is {MAX_LENGTH:,})",
            source=source,
            offset=MAX_LENGTH,
            end_offset=len(source),
            hint="split it into separate stage rules, or use 'in' with a list instead of many ||",
            code="too_long",
        )
    if not _strip_comments(source).strip():
        raise RuleError(
            "the rule is empty",
            source=source,
            offset=0,
            hint='write a condition, e.g. downloads_30d >= 1 && persona == "ops_manager"',
            code="empty",
        )
    try:
        tree = _parser().parse(source)
    except UnexpectedInput as err:
        raise _syntax_error(source, err) from None
    except LarkError as err:  # pragma: no cover - lark raises UnexpectedInput for bad input
        raise RuleError(f"cannot read the rule: {err}", source=source) from None
    _check_depth(source, tree)
    return _Builder(source).build(tree)


def _strip_comments(source: str) -> str:
    return re.sub(r"//[^\n]*", "", source)


def _check_depth(source: str, tree: Tree[Token] | Token) -> None:
    # Iterative on purpose: this runs before anything recursive touches the tree.
    stack: list[tuple[Tree[Token] | Token, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, Tree):
            continue
        if depth > MAX_DEPTH:
            start = getattr(node.meta, "start_pos", 0)
            raise RuleError(
                f"the rule is nested too deeply (more than {MAX_DEPTH} levels)",
                source=source,
                offset=start,
                hint="flatten it: a && b && c needs no parentheses, and 'in' replaces chains of ||",
                code="too_deep",
            )
        stack.extend((child, depth + 1) for child in node.children if child is not None)


# --- Syntax errors ---------------------------------------------------------------------------


def _tokens_before(source: str, offset: int) -> list[Token]:
    tokens: list[Token] = []
    try:
        for token in _parser().lex(source):
            if token.start_pos is None or token.start_pos >= offset:
                break
            tokens.append(token)
    except LarkError:
        pass
    return tokens


def _show(token: Token) -> str:
    text = str(token)
    return f"'{text}'" if len(text) <= 20 else f"'{text[:17]}...'"


def _open_bracket(tokens: list[Token], opener: str, closer: str) -> Token | None:
    # The innermost bracket still open when the error happened, to point at it in the message.
    open_stack: list[Token] = []
    for token in tokens:
        if token == opener:
            open_stack.append(token)
        elif token == closer and open_stack:
            open_stack.pop()
    return open_stack[-1] if open_stack else None


def _syntax_error(source: str, err: UnexpectedInput) -> RuleError:
    offset = err.pos_in_stream if err.pos_in_stream is not None else len(source)
    if isinstance(err, UnexpectedCharacters):
        return _bad_character(source, offset)
    assert isinstance(err, UnexpectedToken)
    token = err.token
    at_end = token.type == "$END"
    if at_end:
        offset = len(source.rstrip())
    before = _tokens_before(source, offset)
    previous = before[-1] if before else None
    expected = set(err.expected)
    wants_value = bool(expected & _VALUE_ONLY)
    after = f" after {_show(previous)}" if previous is not None else " at the start of the rule"

    word_token = None
    if not at_end and token.type == "IDENT" and str(token).lower() in _WORD_OPERATORS:
        word_token = token
    elif previous is not None and previous.type == "IDENT" and str(previous).lower() in _WORD_OPERATORS:
        word_token = previous  # "not a": the word parsed as a field, the error shows up after it
    if word_token is not None:
        token, offset = word_token, word_token.start_pos or 0
        word = str(token).lower()
        symbol = {"and": "&&", "or": "||", "not": "!"}[word]
        return RuleError(
            f"unexpected word '{token}'",
            source=source,
            offset=offset,
            end_offset=offset + len(token),
            hint=f"use {symbol} instead of '{word}'",
        )
    if previous is not None and previous.type == "DOT":
        return RuleError(
            "expected a method name after '.'",
            source=source,
            offset=offset,
            end_offset=offset + (0 if at_end else len(token)),
            hint='e.g. title.contains("ops"), title.startsWith("VP"), title.lowerAscii()',
        )
    if (
        token.type in ("RPAR", "RSQB")
        and _open_bracket(before, "(" if token.type == "RPAR" else "[", str(token)) is None
    ):
        return RuleError(
            f"this '{token}' has no matching '{'(' if token.type == 'RPAR' else '['}'",
            source=source,
            offset=offset,
            end_offset=offset + 1,
            hint="remove it, or add the opening bracket where the group starts",
        )
    if wants_value:
        where = "the rule ends too early: " if at_end else ""
        found = "" if at_end else f", found {_show(token)}"
        return RuleError(
            f"{where}expected a value{after}{found}",
            source=source,
            offset=offset,
            end_offset=offset + (0 if at_end else len(token)),
            hint="a value is a field, a number, a quoted string, true/false, a list [...] or (...)",
        )
    for opener, closer, what in (("(", "RPAR", "'('"), ("[", "RSQB", "list '['")):
        if closer in expected:
            bracket = _open_bracket(before, opener, ")" if closer == "RPAR" else "]")
            if bracket is not None and (at_end or closer == "RSQB" or token.type != "RPAR"):
                closing = "')'" if closer == "RPAR" else "']'"
                col = bracket.column
                return RuleError(
                    f"expected {closing} to close the {what} at column {col}"
                    + ("" if at_end else f", found {_show(token)}"),
                    source=source,
                    offset=offset,
                    end_offset=offset + (0 if at_end else len(token)),
                    hint=f"add {closing}, or an operator such as && between the two parts"
                    if not at_end
                    else f"add {closing}",
                )
    if at_end:  # pragma: no cover - every incomplete rule expects a value or a bracket
        return RuleError("the rule ends too early", source=source, offset=offset)
    if token.type in _VALUE_STARTS:
        return RuleError(
            f"expected an operator before {_show(token)}",
            source=source,
            offset=offset,
            end_offset=offset + len(token),
            hint="join conditions with && (and) or || (or); compare with ==, !=, <, <=, >, >= or in",
        )
    return RuleError(
        f"unexpected {_show(token)}{after}",
        source=source,
        offset=offset,
        end_offset=offset + len(token),
        hint="check the operators and brackets around this point",
    )


def _bad_character(source: str, offset: int) -> RuleError:
    char = source[offset] if offset < len(source) else ""
    nxt = source[offset + 1 : offset + 2]
    prev = source[offset - 1 : offset] if offset else ""

    def error(message: str, hint: str, length: int = 1) -> RuleError:
        return RuleError(message, source=source, offset=offset, end_offset=offset + length, hint=hint)

    if char == "=" and prev not in "=!<>" and nxt != "=":
        return error("unexpected '='", "use == to compare")
    if char == "&":
        return error("unexpected '&'", "use && for 'and'")
    if char == "|":
        return error("unexpected '|'", "use || for 'or'")
    if char in "\"'":
        return error(
            f"this string has no closing {char}", f"add {char} at the end of the text", len(source) - offset
        )
    if char == "%":
        return error("the % operator is not supported", "rules support + - * / on numbers")
    if char in "{}":
        return error("maps are not supported", 'use a list instead, e.g. persona in ["ops_manager", "cfo"]')
    if char == "?" or char == ":":
        return error(f"unexpected '{char}'", "the conditional operator ?: is not supported; use && and ||")
    return error(f"unexpected character {char!r}", "rules use fields, numbers, quoted strings and operators")


# --- Tree to nodes ---------------------------------------------------------------------------

_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "`": "`",
    "?": "?",
}
_ESCAPE = re.compile(
    r"\\(?:([abfnrtv\\'\"`?])|[xX]([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-3][0-7]{2}))"
)


class _Builder:
    """Turns lark's parse tree into nodes, checking literals (escapes, ranges) on the way."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, message: str, start: int, end: int, hint: str = "", code: str = "syntax") -> RuleError:
        return RuleError(message, source=self.source, offset=start, end_offset=end, hint=hint, code=code)

    def build(self, tree: Tree[Token] | Token) -> Node:
        if isinstance(tree, Token):  # pragma: no cover - every token sits under a rule node
            raise self.error(f"unexpected {_show(tree)}", tree.start_pos or 0, tree.end_pos or 0)
        meta = tree.meta
        start, end = getattr(meta, "start_pos", 0), getattr(meta, "end_pos", 0)
        kids: list[Any] = tree.children
        method = getattr(self, f"_{tree.data}", None)
        if method is None:  # pragma: no cover - the grammar and this class change together
            raise self.error(f"unsupported construct {tree.data}", start, end)
        node: Node = method(kids, start, end)
        return node

    def _or_expr(self, kids: list[Any], start: int, end: int) -> Node:
        return Logical(start, end, "||", [self.build(k) for k in kids])

    def _and_expr(self, kids: list[Any], start: int, end: int) -> Node:
        return Logical(start, end, "&&", [self.build(k) for k in kids])

    def _binary_chain(self, kids: list[Any]) -> Node:
        # a + b - c arrives flat as [a, +, b, -, c]; fold left, as CEL's grammar associates.
        left = self.build(kids[0])
        for op, right_tree in zip(kids[1::2], kids[2::2], strict=True):
            right = self.build(right_tree)
            left = Binary(left.start, right.end, str(op), left, right, op_start=op.start_pos or 0)
        return left

    def _relation(self, kids: list[Any], start: int, end: int) -> Node:
        return self._binary_chain(kids)

    _addition = _multiplication = _relation

    def _not_(self, kids: list[Any], start: int, end: int) -> Node:
        node = self.build(kids[-1])
        for bang in reversed(kids[:-1]):
            node = Unary(bang.start_pos, node.end, "!", node)
        return node

    def _neg(self, kids: list[Any], start: int, end: int) -> Node:
        node = self.build(kids[-1])
        for minus in reversed(kids[:-1]):
            if isinstance(node, Literal) and type(node.value) in (int, float) and node.start == minus.end_pos:
                # "-5" is one number, so that -9223372036854775808 fits like it does in CEL.
                node = Literal(minus.start_pos, node.end, -node.value)  # type: ignore[operator]
            else:
                node = Unary(minus.start_pos, node.end, "-", node)
        if isinstance(node, Literal) and isinstance(node.value, int) and node.value > INT64_MAX:
            raise self.error("this number is too large", node.start, node.end, "integers must fit in 64 bits")
        return node

    def _method(self, kids: list[Any], start: int, end: int) -> Node:
        receiver, name, args = kids
        return Call(
            start,
            end,
            str(name),
            [self.build(a) for a in (args.children if args else [])],
            self.build(receiver),
            name_start=name.start_pos,
        )

    def _select(self, kids: list[Any], start: int, end: int) -> Node:
        _receiver, name = kids
        return self._no_nesting(start, end, f".{name}")

    def _index(self, kids: list[Any], start: int, end: int) -> Node:
        return self._no_nesting(start, end, "[...]")

    def _no_nesting(self, start: int, end: int, what: str) -> Node:
        raise self.error(
            f"fields have no parts: '{what}' cannot be used here",
            start,
            end,
            "name a field of the vocabulary directly, e.g. company_size or title",
        )

    def _ident(self, kids: list[Any], start: int, end: int) -> Node:
        (token,) = kids
        return Field(token.start_pos, token.end_pos, str(token))

    def _call(self, kids: list[Any], start: int, end: int) -> Node:
        name, args = kids
        return Call(
            start,
            end,
            str(name),
            [self.build(a) for a in (args.children if args else [])],
            name_start=name.start_pos,
        )

    def _list_(self, kids: list[Any], start: int, end: int) -> Node:
        args = kids[0] if kids else None
        return ListExpr(start, end, [self.build(a) for a in (args.children if args else [])])

    def _float_(self, kids: list[Any], start: int, end: int) -> Node:
        (token,) = kids
        value = float(str(token))
        if value in (float("inf"), float("-inf")):
            raise self.error("this number is too large", start, end, "numbers must be below 1.7e308")
        return Literal(start, end, value)

    def _int_(self, kids: list[Any], start: int, end: int) -> Node:
        (token,) = kids
        text = str(token)
        value = int(text, 16) if text[:2] in ("0x", "0X") else int(text)
        # One above the maximum is allowed here because a minus sign may follow (see _neg).
        if value > INT64_MAX + 1 or (value == INT64_MAX + 1 and not self._negated(start)):
            raise self.error("this number is too large", start, end, "integers must fit in 64 bits")
        return Literal(start, end, value)

    def _negated(self, start: int) -> bool:
        return start > 0 and self.source[start - 1] == "-"

    def _string(self, kids: list[Any], start: int, end: int) -> Node:
        (token,) = kids
        return Literal(start, end, self._unescape(str(token), start))

    def _true(self, kids: list[Any], start: int, end: int) -> Node:
        return Literal(start, end, True)

    def _false(self, kids: list[Any], start: int, end: int) -> Node:
        return Literal(start, end, False)

    def _null(self, kids: list[Any], start: int, end: int) -> Node:
        return Literal(start, end, None)

    def _unescape(self, text: str, start: int) -> str:
        body = text[1:-1]
        out: list[str] = []
        i = 0
        while i < len(body):
            slash = body.find("\\", i)
            if slash < 0:
                out.append(body[i:])
                break
            out.append(body[i:slash])
            match = _ESCAPE.match(body, slash)
            at = start + 1 + slash
            if match is None:
                raise self.error(
                    f"invalid escape sequence '{body[slash : slash + 2]}'",
                    at,
                    at + 2,
                    r"write \\ for a backslash; known escapes are \n \t \" \' \\ \xHH \uHHHH",
                )
            simple, hex2, hex4, hex8, octal = match.groups()
            if simple is not None:
                out.append(_ESCAPES[simple])
            else:
                code = int(hex2 or hex4 or hex8, 16) if octal is None else int(octal, 8)
                if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                    raise self.error(
                        f"invalid character code '{match.group(0)}'",
                        at,
                        at + len(match.group(0)),
                        "use a Unicode code point that is not a surrogate",
                    )
                out.append(chr(code))
            i = match.end()
        return "".join(out)
