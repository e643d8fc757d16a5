"""Plain-language descriptions, written out by hand for the rules people actually write."""

from __future__ import annotations

import pytest

from closedloop.rules import describe

CASES = [
    (
        'downloads_30d >= 1 && persona == "ops_manager" && company_size >= 50',
        "at least 1 content download in the last 30 days, and persona is ops_manager, and company size is at least 50",
    ),
    (
        'persona in ["ops_manager", "cfo"] && (company_size >= 50 || annual_revenue >= 1000000)',
        "persona is one of ops_manager or cfo, and either company size is at least 50 or annual revenue is at least 1,000,000",
    ),
    (
        "webinar_attended_90d >= 1 || downloads_90d >= 2",
        "at least 1 webinar attended in the last 90 days, or at least 2 content downloads in the last 90 days",
    ),
    ("meeting_booked_total == 0", "no meetings booked ever"),
    ("downloads_7d < 1", "no content downloads in the last 7 days"),
    ("call_1d > 2", "more than 2 calls in the last day"),
    ("1 <= downloads_7d", "at least 1 content download in the last 7 days"),
    ("page_view_30d != 3", "not exactly 3 page views in the last 30 days"),
    ("!has(title)", "title is unknown"),
    ("has(title)", "title is known"),
    ("email_domain != null", "email domain is known"),
    ('title.lowerAscii().contains("ops")', 'lower-case title contains "ops"'),
    ('title.startsWith("VP")', 'title starts with "VP"'),
    ("annual_revenue / company_size >= 100000", "annual revenue / company size is at least 100,000"),
    ("(company_size - 10) * 2 > 4", "(company size - 10) * 2 is more than 4"),
    ("score >= 70.5", "lead score is at least 70.5"),
    ('!(persona == "student")', "not (persona is student)"),
    ('title == "Head of Ops"', 'title is "Head of Ops"'),
    ('country in ["DE"]', "country is DE"),
    ("size(title) > 40", "the length of title is more than 40"),
    (
        "downloads_30d + webinar_attended_30d >= 2",
        "the number of content downloads in the last 30 days + the number of webinars attended in the last 30 days"
        " is at least 2",
    ),
    ("true", "always"),
    ("false || true", "never, or always"),
]


@pytest.mark.parametrize(("source", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_describe(source: str, expected: str) -> None:
    assert describe(source) == expected
