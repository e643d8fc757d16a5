"""Seed 003's lead definitions (IQL, MQL, SQL) written as rules, checked on example contacts.

The article: "IQLs typically provide contact details – email address and name – in exchange for
some type of useful content. MQLs are similar, but specifically responded positively to some sort
of marketing endeavor like a webinar, slide deck, guest post, or video." SQLs are "ready and
reaching out to get specific details in order to buy", and in its ebook workflow "a customer who
accesses the additional piece of content is likely now an SQL".
"""

from __future__ import annotations

import pytest

from closedloop.rules import describe, parse

IQL = "has(email_domain) && (downloads_total >= 1 || form_submit_total >= 1)"
MQL = (
    "(webinar_attended_90d >= 1 || downloads_90d >= 2 || email_click_30d >= 1)"
    ' && persona in ["ops_manager", "head_of_operations"] && company_size >= 50'
)
SQL = 'meeting_booked_30d >= 1 || call_14d >= 1 || lifecycle_stage == "mql" && downloads_30d >= 2'

# Contacts as the stage engine would compute their facts.
ANONYMOUS_READER = {"content_download_total": 1}
EBOOK_DOWNLOADER = {"email_domain": "acme.example", "content_download_total": 1, "content_download_90d": 1}
WEBINAR_OPS_MANAGER = {
    **EBOOK_DOWNLOADER,
    "webinar_attended_90d": 1,
    "persona": "ops_manager",
    "company_size": 120,
}
STUDENT_AT_WEBINAR = {**WEBINAR_OPS_MANAGER, "persona": "student", "company_size": None}
SECOND_EBOOK_MQL = {**WEBINAR_OPS_MANAGER, "lifecycle_stage": "mql", "content_download_30d": 2}
CALLER = {"call_14d": 1}


@pytest.mark.parametrize(
    ("facts", "iql", "mql", "sql"),
    [
        (ANONYMOUS_READER, False, False, False),  # content, but no contact details
        (EBOOK_DOWNLOADER, True, False, False),
        (WEBINAR_OPS_MANAGER, True, True, False),
        (STUDENT_AT_WEBINAR, True, False, False),  # engaged, but not the persona or company the teams agreed
        (SECOND_EBOOK_MQL, True, True, True),  # the ebook workflow's follow-up content
        (CALLER, False, False, True),  # reached out to buy
    ],
)
def test_seed_definitions(facts: dict[str, object], iql: bool, mql: bool, sql: bool) -> None:
    assert (parse(IQL).evaluate(facts), parse(MQL).evaluate(facts), parse(SQL).evaluate(facts)) == (
        iql,
        mql,
        sql,
    )


def test_seed_definitions_read_back_in_plain_language() -> None:
    assert describe(IQL) == (
        "email domain is known, and either at least 1 content download ever or at least 1 form submission ever"
    )
    assert describe(SQL) == (
        "at least 1 meeting booked in the last 30 days, or at least 1 call in the last 14 days,"
        " or both lifecycle stage is mql and at least 2 content downloads in the last 30 days"
    )


def test_seed_definitions_name_their_facts() -> None:
    assert parse(MQL).event_windows() == {"content_download": 90, "email_click": 30, "webinar_attended": 90}
    assert parse(IQL).variables == frozenset({"email_domain", "content_download_total", "form_submit_total"})
