"""Properties on random rules and facts: SQL agrees with Python, and bad text only raises RuleError."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closedloop.rules import RuleError, parse, validate
from tests.rules.facts_sql import COLUMNS, column_type, run_duckdb, run_sqlite

INT_FIELDS = ["company_size", "created_days_ago", "downloads_30d", "webinar_attended_total", "page_view_7d"]
FLOAT_FIELDS = ["annual_revenue", "lead_score", "score"]
STR_FIELDS = ["persona", "title", "country", "industry"]
ALPHABET = list("aAbBzZ éÉ'\"\\-.")

PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def cel_string(text: str, single: bool) -> str:
    quote = "'" if single else '"'
    return quote + text.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


texts = st.text(alphabet=ALPHABET, max_size=4)
str_literals = st.builds(cel_string, texts, st.booleans())
int_literals = st.integers(-20, 20).map(str)
float_literals = st.sampled_from(["0.5", "2.25", "-1.5", "1e1", ".25", "0.0", "3.0", "1e-1"])

strings = st.recursive(
    st.one_of(st.sampled_from(STR_FIELDS), str_literals),
    lambda inner: inner.map(lambda s: f"{s}.lowerAscii()"),
    max_leaves=2,
)
numbers = st.recursive(
    st.one_of(
        st.sampled_from(INT_FIELDS + FLOAT_FIELDS),
        int_literals,
        float_literals,
        strings.map(lambda s: f"size({s})"),
    ),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        inner.map(lambda n: f"-({n})"),
    ),
    max_leaves=4,
)


def _join(parts: list[str], op: str, bracket: bool) -> str:
    return f" {op} ".join(f"({p})" if bracket else p for p in parts)


atoms = st.one_of(
    st.tuples(numbers, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), numbers).map(" ".join),
    st.tuples(strings, st.sampled_from(["==", "!="]), strings).map(" ".join),
    st.tuples(strings, st.lists(st.one_of(str_literals, st.sampled_from(STR_FIELDS)), max_size=3)).map(
        lambda t: f"{t[0]} in [{', '.join(t[1])}]"
    ),
    st.tuples(numbers, st.lists(st.one_of(int_literals, float_literals), max_size=3)).map(
        lambda t: f"{t[0]} in [{', '.join(t[1])}]"
    ),
    st.sampled_from(INT_FIELDS + FLOAT_FIELDS + STR_FIELDS).map(lambda f: f"has({f})"),
    st.tuples(st.sampled_from(INT_FIELDS + FLOAT_FIELDS + STR_FIELDS), st.sampled_from(["==", "!="])).map(
        lambda t: f"{t[0]} {t[1]} null"
    ),
    st.tuples(strings, st.sampled_from(["contains", "startsWith", "endsWith"]), strings).map(
        lambda t: f"{t[0]}.{t[1]}({t[2]})"
    ),
    st.sampled_from(["true", "false"]),
)
conditions = st.recursive(
    atoms,
    lambda inner: st.one_of(
        inner.map(lambda c: f"!({c})"),
        st.tuples(st.lists(inner, min_size=2, max_size=3), st.sampled_from(["&&", "||"]), st.booleans()).map(
            lambda t: _join(t[0], t[1], t[2])
        ),
        st.tuples(inner, st.sampled_from(["==", "!="]), inner).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
    ),
    max_leaves=6,
)

VALUES = {
    "int": st.integers(-1000, 1000),
    "float": st.one_of(st.sampled_from([0.0, -0.0, 0.5, 2.25, 1e6]), st.floats(-1e4, 1e4, allow_nan=False)),
    "string": texts,
}
rows = st.lists(
    st.fixed_dictionaries({c: st.one_of(st.none(), VALUES[column_type(c)]) for c in COLUMNS}),
    min_size=1,
    max_size=6,
)


@PROPERTY_SETTINGS
@given(source=conditions, facts=rows)
def test_sql_agrees_with_python_on_random_rules(source: str, facts: list[dict[str, object]]) -> None:
    assert validate(source) == [], source
    rule = parse(source)
    python = [rule.evaluate(row) for row in facts]
    assert all(type(v) is bool for v in python)
    duck = run_duckdb([rule.to_sql("duckdb")], facts)[0]
    lite = run_sqlite([rule.to_sql("sqlite")], facts)[0]
    assert duck == python, (source, rule.to_sql("duckdb"))
    assert lite == python, (source, rule.to_sql("sqlite"))
    assert rule.describe()


def _only_rule_errors(source: str) -> None:
    try:
        rule = parse(source)
    except RuleError as err:
        assert err.line >= 1 and err.column >= 1 and 0 <= err.offset <= len(source)
        assert err.message
        assert validate(source), source
        return
    # Whatever parses must evaluate on empty facts and compile.
    assert validate(source) == []
    assert type(rule.evaluate({})) is bool
    assert rule.to_sql("sqlite")
    assert rule.describe()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_raises_only_rule_errors(source: str) -> None:
    _only_rule_errors(source)


TOKENS = [
    "persona", "company_size", "downloads_30d", "score", "title", "has", "size", "contains", "lowerAscii",
    "x", "and", "not", "in", "true", "false", "null", "0", "1", "-1", "2.5", "1e400", "0x", "99999999999999999999",
    '"a"', "'b'", '"\\q"', '"', "(", ")", "[", "]", ",", ".", "!", "-", "+", "*", "/", "%", "==", "!=", "<", "<=",
    ">", ">=", "=", "&&", "||", "&", "|", "?", ":", "{", "}", "//", "\n",
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join))
def test_token_soup_raises_only_rule_errors(source: str) -> None:
    _only_rule_errors(source)
