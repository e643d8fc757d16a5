"""Insights API: the same reports as JSON, validation errors in the house shape, partner scoping."""

import pytest

from closedloop.accounts.roles import Role
from closedloop.accounts.services import api_token_create
from closedloop.insights.tests.report_data import build_attribution_data, build_cohort_data, build_funnel_data
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
JUNE = "start=2025-06-01&end=2025-06-30"


def bearer(role: str, **kwargs) -> dict[str, str]:
    _, raw = api_token_create(user=UserFactory(role=role, **kwargs), name="test")
    return {"Authorization": f"Bearer {raw}"}


def test_funnel_json_with_breakdown(client):
    build_funnel_data()
    response = client.get(
        f"/api/v1/insights/funnel?{JUNE}&steps=mql,sql,customer&window_days=10&breakdown=channel",
        headers=bearer(Role.MARKETER),
    )
    assert response.status_code == 200
    body = response.json()
    assert [s["reached"] for s in body["steps"]] == [5, 2, 1]
    assert [s["in_progress"] for s in body["steps"]] == [0, 1, 0]
    assert body["as_of"] == "2025-07-01T00:00:00+00:00"
    assert {b["value"]: [s["reached"] for s in b["steps"]] for b in body["breakdowns"]} == {
        "Paid search (PPC)": [2, 1, 1],
        "Email": [2, 1, 0],
        "(none)": [1, 0, 0],
    }
    # c1 went mql (2 Jun 12:00) → customer (9 Jun 12:00): 7 days, the only completed journey.
    assert body["median_seconds_to_convert"] == 7 * 86400


@pytest.mark.parametrize(
    ("query", "loc", "msg"),
    [
        ("steps=mql,bogus", ["steps"], "unknown step(s): bogus"),
        ("window_days=0", ["window_days"], "the window must be 1 to 365 days"),
        ("breakdown=shoe", ["breakdown"], "breakdown must be one of channel, campaign, persona"),
        ("start=2025-07-01&end=2025-06-01", ["start"], "start is after end"),
        ("channel=tv", ["channel"], None),
        ("start=yesterday", ["start"], None),
        ("campaign_id=999999", ["campaign_id"], "no campaign 999999 that you may see"),
    ],
)
def test_bad_input_names_the_field(client, query, loc, msg):
    response = client.get(f"/api/v1/insights/funnel?{query}", headers=bearer(Role.MARKETER))
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["loc"] == loc
    if msg:
        assert error["msg"] == msg


def test_attribution_json(client):
    build_attribution_data()
    body = client.get(
        f"/api/v1/insights/attribution?{JUNE}&by=campaign", headers=bearer(Role.HEAD_OF_SALES)
    ).json()
    assert (body["conversions"], body["revenue"], body["unattributed"]) == (2, 4000.0, 1)
    rows = {r["key"]: r for r in body["rows"]}
    assert rows["A Search"]["revenue"]["first"] == pytest.approx(1000)
    assert rows["C Expo"]["conversions"]["linear"] == pytest.approx(1 / 3)
    assert body["models"] == [
        "first",
        "last",
        "linear",
        "u_shaped",
        "w_shaped",
        "time_decay",
        "markov",
        "shapley",
    ]


def test_cohorts_json(client):
    build_cohort_data()
    body = client.get(
        "/api/v1/insights/cohorts?start=2025-01-01&end=2025-06-30", headers=bearer(Role.ADMIN)
    ).json()
    assert [(c["cohort"], c["customers"]) for c in body["cohorts"]] == [("2025-01-01", 2), ("2025-02-01", 1)]
    assert body["cohorts"][0]["retention"][:7] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, None]
    march = next(m for m in body["churn"] if m["month"] == "2025-03-01")
    assert (march["active_at_start"], march["churned"], march["churn_rate"]) == (2, 1, 0.5)


def test_kpis_json(client):
    build_funnel_data()
    body = client.get(f"/api/v1/insights/kpis?{JUNE}", headers=bearer(Role.SALES_REP)).json()
    (june,) = body["months"]
    assert (june["spend"], june["new_mqls"], june["cpa"], june["cac"]) == (800.0, 5, 160.0, 400.0)
    assert june["win_rate"] == pytest.approx(2 / 3)
    assert [f["name"] for f in body["forecasts"]] == ["New MQLs per week", "Pipeline created per week"]


def test_partner_api_numbers_are_scoped(client):
    co = build_funnel_data()
    headers = bearer(Role.PARTNER, team=co.agency)
    body = client.get(
        f"/api/v1/insights/funnel?{JUNE}&steps=mql,sql,customer&window_days=10", headers=headers
    ).json()
    assert [s["reached"] for s in body["steps"]] == [2, 1, 1]
    refused = client.get(f"/api/v1/insights/kpis?{JUNE}&campaign_id={co.b.pk}", headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["campaign_id"]


def test_anonymous_api_calls_are_refused(client):
    for report in ["funnel", "attribution", "cohorts", "kpis", "friction"]:
        response = client.get(f"/api/v1/insights/{report}")
        assert response.status_code == 401
        assert response.json() == {"errors": [{"loc": ["Authorization"], "msg": "authentication required"}]}


def test_a_token_of_a_user_without_a_known_role_is_refused(client):
    response = client.get("/api/v1/insights/kpis", headers=bearer("intern"))
    assert response.status_code == 403
