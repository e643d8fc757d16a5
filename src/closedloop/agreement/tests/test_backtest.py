"""The backtest service, page and API over a few stored contacts, events and deals.

The active version is the default agreement; the draft narrows the SQL rule to
`meeting_booked_30d >= 1 && company_size >= 50`. Expected numbers are worked out in comments.
"""

from datetime import UTC, datetime

import pytest

from closedloop.accounts.services import api_token_create
from closedloop.agreement import services
from closedloop.agreement.backtest_service import backtest_run
from closedloop.engine.backtest import BASELINE, DRAFT
from closedloop.tracking.models import EventType
from tests.factories import AccountFactory, ContactFactory, DealFactory, EventFactory

API = "/api/v1/agreements"
NARROW_SQL = "meeting_booked_30d >= 1 && company_size >= 50"


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, 0, tzinfo=UTC)


@pytest.fixture
def history(db):
    big, small = AccountFactory(employees=100), AccountFactory(employees=10)
    # A: IQL and MQL on Jun 5 (download, ops_manager, 100 people); SQL on Jul 10 under both
    # versions (meeting; 100 >= 50). Won 5000, closed Aug 1.
    a = ContactFactory(account=big, persona="ops_manager")
    EventFactory(contact=a, type=EventType.CONTENT_DOWNLOAD, ts=at(6, 5))
    EventFactory(contact=a, type=EventType.MEETING_BOOKED, ts=at(7, 10))
    DealFactory(contact=a, account=big, stage="won", amount=5000, created_at=at(7, 15), closed_at=at(8, 1))
    # B: SQL on Jul 20 under the active version only (10 people < 50). Won 2000: missed.
    b = ContactFactory(account=small, persona="cfo")
    EventFactory(contact=b, type=EventType.MEETING_BOOKED, ts=at(7, 20))
    DealFactory(contact=b, account=small, stage="won", amount=2000, created_at=at(7, 25), closed_at=at(8, 10))
    # C: lead score 80 — MQL at creation (Jun 1); active SQL on Jun 20 (score >= 70 and a call);
    # no draft SQL (no meeting). Its deal was lost: nothing missed.
    c = ContactFactory(lead_score=80)
    EventFactory(contact=c, type=EventType.CALL, ts=at(6, 20))
    DealFactory(contact=c, stage="lost", amount=900, created_at=at(6, 25), closed_at=at(7, 5))
    return a, b, c


@pytest.fixture
def narrowed(active, maya):
    draft = services.agreement_draft_create(by=maya)
    return services.agreement_draft_update(
        version=draft, by=maya, stage_definitions=[{"stage": "sql", "rule": NARROW_SQL}]
    )


def test_backtest_compares_the_draft_with_the_active_version(
    history, narrowed, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20):  # reads in bulk: never one query per contact
        backtest = backtest_run(draft=narrowed)
    result = backtest.result
    assert backtest.baseline.number == 1 and backtest.draft.number == 2
    assert (backtest.contacts, backtest.events, backtest.deals) == (3, 4, 3)  # A 2, B 1, C 1 events
    # Active SQL: C (Jun 20), A (Jul 10), B (Jul 20); later deals A, B, C = 3/3; wins A, B = 7000.
    base = result.outcome(BASELINE, "sql")
    assert (base.entered, base.converted, base.won, base.won_revenue) == (3, 3, 2, 7000.0)
    # Draft SQL: A only, won 5000.
    draft = result.outcome(DRAFT, "sql")
    assert (draft.entered, draft.converted, draft.won, draft.won_revenue) == (1, 1, 1, 5000.0)
    jun, jul = result.months[0], result.months[1]
    assert result.sales_volume(BASELINE) == [(jun, 1), (jul, 2)]
    assert result.sales_volume(DRAFT) == [(jun, 0), (jul, 1)]
    # MQL is the same rule in both: A (Jun 5) and C (Jun 1).
    assert result.outcome(DRAFT, "mql").entered == result.outcome(BASELINE, "mql").entered == 2
    assert result.entries(DRAFT, "mql", jun) == 2
    assert (result.missed.contacts, result.missed.deals, result.missed.revenue) == (1, 1, 2000.0)
    assert (result.added.contacts, result.added.revenue) == (0, 0.0)


def test_backtest_without_an_active_version_is_none(history, draft):
    assert backtest_run(draft=draft) is None


def auth(user) -> dict:
    _, raw = api_token_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_sales_rep_sees_the_backtest_page(client, history, narrowed, alex):
    client.force_login(alex)
    response = client.get(f"/agreement/versions/{narrowed.number}/backtest")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="backtest-missed"' in html and ("2,000" in html or "2000" in html)
    assert 'id="backtest-stage-sql"' in html
    detail = client.get(f"/agreement/versions/{narrowed.number}/").content.decode()
    assert f"/agreement/versions/{narrowed.number}/backtest" in detail


def test_partner_may_not_see_the_backtest_page(client, narrowed, jamie):
    client.force_login(jamie)
    assert client.get(f"/agreement/versions/{narrowed.number}/backtest").status_code == 403


def test_backtest_api_returns_stage_rows_and_revenue(client, history, narrowed, alex):
    response = client.post(f"{API}/{narrowed.number}/backtest", **auth(alex))
    assert response.status_code == 200
    body = response.json()
    assert (body["draft_number"], body["baseline_number"], body["sales_ready_stage"]) == (2, 1, "sql")
    assert body["missed"] == {"contacts": 1, "deals": 1, "revenue": 2000.0}
    rows = {(r["rule_set"], r["stage"]): r for r in body["stages"]}
    assert rows[("draft", "sql")]["monthly"] == {"2026-06": 0, "2026-07": 1}
    assert rows[("baseline", "sql")]["win_rate"] == pytest.approx(2 / 3)


def test_backtest_api_refuses_partners_and_unknown_versions(client, narrowed, jamie, alex):
    assert client.post(f"{API}/{narrowed.number}/backtest", **auth(jamie)).status_code == 403
    assert client.post(f"{API}/99/backtest", **auth(alex)).status_code == 404


def test_backtest_api_reports_a_rule_that_does_not_parse(client, active, maya, alex):
    draft = services.agreement_draft_create(by=maya)
    draft.stage_definitions.filter(stage="sql").update(rule="meeting_booked_30d >=")
    response = client.post(f"{API}/{draft.number}/backtest", **auth(alex))
    assert response.status_code == 422
    assert "does not parse" in response.json()["errors"][0]["msg"]
