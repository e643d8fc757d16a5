"""to_sql() agrees with evaluate() on every engine, on a corpus of rules over awkward facts."""

from __future__ import annotations

import pytest

from closedloop.rules import DIALECTS, parse
from tests.rules.facts_sql import run_duckdb, run_engine, run_sqlite

CORPUS = [
    'downloads_30d >= 1 && persona == "ops_manager" && company_size >= 50',
    'persona != "ops_manager"',
    '!(persona == "ops_manager")',
    'persona in ["ops_manager", "cfo"]',
    '!(persona in ["ops_manager", "cfo"])',
    "company_size in [10, 50, 200]",
    "company_size in []",
    "has(title) && !has(industry)",
    "title == null || country != null",
    "downloads_30d == 0",
    "downloads_30d < 1 || webinar_attended_total >= 2",
    "has(downloads_30d)",
    "downloads_30d + webinar_attended_total + page_view_7d >= 3",
    "company_size / 3 == 16",
    "company_size / -3 == -16",
    "company_size / created_days_ago >= 1",
    "annual_revenue / company_size > 10000.5",
    "annual_revenue / 0 > 0 || true",
    "-company_size < -49",
    "- -company_size == company_size",
    "lead_score * 2 > 100.25",
    "lead_score - company_size > 0",
    "annual_revenue >= 1e6",
    "annual_revenue < 0.1",
    "company_size * 3000000000 > 6000000000",
    "2147483647 + 1 > company_size",
    'title.contains("Ops")',
    'title.lowerAscii().contains("ops")',
    'title.startsWith("VP")',
    'title.endsWith("ger")',
    'title.endsWith("")',
    "title.contains(persona)",
    'email_domain.endsWith(".edu") || email_domain.startsWith("mail.")',
    "size(title) > 10",
    "title.size() == 0",
    'title.lowerAscii() == "vp sales"',
    'country.lowerAscii() in ["de", "at", "ch"]',
    'industry == "it\'s \\"quoted\\" \\\\ here"',
    "industry == 'école'",
    "(company_size >= 50) == (annual_revenue >= 1e6)",
    "(company_size >= 50) != true",
    "true",
    "false || !true",
    '!(company_size > 10 && (persona == "cfo" || !has(title)))',
    "meeting_booked_30d >= 1 || page_view_7d > 5 && score >= 70",
]

ROWS: list[dict[str, object]] = [
    {},
    {"persona": "ops_manager", "company_size": 50, "content_download_30d": 1, "title": "Ops Manager"},
    {"persona": "cfo", "company_size": 49, "annual_revenue": 1e6, "title": "VP Sales", "created_days_ago": 0},
    {
        "persona": "",
        "title": "",
        "company_size": 0,
        "annual_revenue": 0.0,
        "lead_score": 0.0,
        "country": "DE",
    },
    {
        "company_size": -50,
        "created_days_ago": 3,
        "annual_revenue": -1.5,
        "lead_score": 70.5,
        "page_view_7d": 6,
    },
    {
        "title": "vp SALES",
        "country": "At",
        "email_domain": "mit.edu",
        "industry": "école",
        "company_size": 200,
    },
    {"industry": 'it\'s "quoted" \\ here', "email_domain": "mail.example.com", "webinar_attended_total": 2},
    {
        "title": "ÉCOLE Ops",
        "persona": "Ops",
        "company_size": 10,
        "annual_revenue": 100000.0,
        "lead_score": 100.0,
    },
    {"company_size": 48, "created_days_ago": -7, "annual_revenue": 2e6, "meeting_booked_30d": 1},
    {"content_download_30d": 0, "webinar_attended_total": 1, "page_view_7d": 2, "lead_score": 50.25},
]


def _python(rules: list[str]) -> list[list[bool]]:
    return [[parse(rule).evaluate(row) for row in ROWS] for rule in rules]


def _mismatches(engine: str, got: list[list[bool | None]]) -> list[str]:
    expected = _python(CORPUS)
    return [
        f"{engine}: {rule!r} row {i}: python {e}, sql {g}\n  {parse(rule).to_sql(engine)}"
        for rule, exp_row, got_row in zip(CORPUS, expected, got, strict=True)
        for i, (e, g) in enumerate(zip(exp_row, got_row, strict=True))
        if e is not g
    ]


def test_duckdb_matches_python() -> None:
    assert _mismatches("duckdb", run_duckdb([parse(r).to_sql("duckdb") for r in CORPUS], ROWS)) == []


def test_sqlite_matches_python() -> None:
    assert _mismatches("sqlite", run_sqlite([parse(r).to_sql("sqlite") for r in CORPUS], ROWS)) == []


@pytest.mark.parametrize("engine", ["postgres", "clickhouse"])
def test_server_engines_match_python(engine: str) -> None:
    got = run_engine(engine, [parse(r).to_sql(engine) for r in CORPUS], ROWS)
    assert _mismatches(engine, got) == []


def test_the_sql_of_the_design_example() -> None:
    rule = parse('downloads_30d >= 1 && persona == "ops_manager" && company_size >= 50')
    # Event counts default to 0; other comparisons are closed against NULL.
    assert rule.to_sql() == (
        'COALESCE("content_download_30d", 0) >= 1 AND COALESCE("persona" = \'ops_manager\', FALSE) '
        'AND COALESCE("company_size" >= 50, FALSE)'
    )
    assert rule.to_sql("duckdb", table="f").startswith('COALESCE("f"."content_download_30d", 0) >= 1')


def test_every_dialect_compiles_and_names_are_checked() -> None:
    rule = parse('title.endsWith("x") && company_size / 2 > 1 && title.lowerAscii() == "x"')
    assert {d: bool(rule.to_sql(d)) for d in DIALECTS} == dict.fromkeys(DIALECTS, True)
    assert rule.to_sql("PostgreSQL") == rule.to_sql("postgres")
    with pytest.raises(ValueError, match="unknown SQL dialect 'oracle'; expected one of: duckdb, postgres"):
        rule.to_sql("oracle")


def test_deepest_allowed_rule_compiles_everywhere() -> None:
    source = " + ".join(["company_size"] * 60) + " > 0"
    rule = parse(source)
    assert rule.evaluate({"company_size": 1}) is True
    assert run_duckdb([rule.to_sql("duckdb")], [{"company_size": 1}, {}]) == [[True, False]]
