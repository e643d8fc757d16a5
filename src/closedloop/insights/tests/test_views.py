"""Insights pages and CSV exports: every role may read them, partners only their own people,
anonymous visitors are sent to log in, and every export is a CSV with formula cells neutralised."""

import csv
import io

import pytest

from closedloop.accounts.roles import Role, TeamKind
from closedloop.insights.tests.report_data import build_attribution_data, build_funnel_data
from tests.factories import CampaignFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
JUNE = "period=custom&start=2025-06-01&end=2025-06-30"
PAGES = [
    "/insights/",
    "/insights/attribution/",
    "/insights/cohorts/",
    "/insights/kpis/",
    "/insights/friction/",
]
EXPORTS = ["funnel", "attribution", "cohorts", "churn", "kpis", "forecast", "friction"]


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_role_sees_every_insights_page(client, role):
    build_funnel_data()
    client.force_login(UserFactory(role=role))
    for page in PAGES:
        response = client.get(f"{page}?{JUNE}")
        assert response.status_code == 200, page
        assert b'class="insights-tabs"' in response.content


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in [*PAGES, "/insights/export/funnel.csv"]:
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_a_user_without_a_known_role_is_refused(client):
    client.force_login(UserFactory(role="intern"))
    assert client.get("/insights/").status_code == 403
    assert client.get("/insights/export/kpis.csv").status_code == 403


def test_the_funnel_page_shows_the_chosen_steps_and_the_chart_data(client):
    build_funnel_data()
    client.force_login(UserFactory(role=Role.MARKETER))
    url = f"/insights/?{JUNE}&step=mql&step=sql&step=customer&window_days=10&breakdown=channel"
    response = client.get(url)
    html = response.content.decode()
    assert "MQL → SQL → Customer" in html
    assert 'data-insights-chart="funnel"' in html and 'id="funnel-data"' in html
    report = response.context["report"]
    assert [s.reached for s in report.result.steps] == [5, 2, 1]
    assert report.breakdown == "channel"


def test_a_bad_funnel_step_is_reported_and_the_default_funnel_shown(client):
    build_funnel_data()
    client.force_login(UserFactory(role=Role.MARKETER))
    response = client.get(f"/insights/?{JUNE}&step=mql&step=mql")
    assert "Steps: a step may appear only once." in response.content.decode()
    assert response.context["report"].steps == ("mql", "sql", "opportunity", "customer")


def test_the_funnel_csv_matches_the_page(client):
    build_funnel_data()
    client.force_login(UserFactory(role=Role.HEAD_OF_SALES))
    response = client.get(
        f"/insights/export/funnel.csv?{JUNE}&step=mql&step=sql&step=customer&window_days=10"
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="funnel-20250601-20250630.csv"'
    rows = csv_rows(response)
    assert rows[0][:4] == ["breakdown", "step", "name", "reached"]
    assert [r[3] for r in rows[1:]] == ["5", "2", "1"]


@pytest.mark.parametrize("table", EXPORTS)
def test_every_table_exports(client, table):
    build_funnel_data()
    client.force_login(UserFactory(role=Role.ADMIN))
    response = client.get(f"/insights/export/{table}.csv?{JUNE}&excel=1")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    assert len(body.splitlines()) >= 1


def test_an_unknown_export_is_not_found(client):
    client.force_login(UserFactory(role=Role.ADMIN))
    assert client.get("/insights/export/salaries.csv").status_code == 404


def test_a_campaign_named_like_a_formula_is_exported_as_text(client):
    co = build_attribution_data()
    co.b.name = '=HYPERLINK("http://evil.example","click")'
    co.b.save()
    client.force_login(UserFactory(role=Role.MARKETER))
    rows = csv_rows(client.get(f"/insights/export/attribution.csv?{JUNE}&by=campaign"))
    keys = {r[0] for r in rows[1:]}
    assert '\'=HYPERLINK("http://evil.example","click")' in keys
    assert not any(k.startswith("=") for k in keys)


def test_partners_see_only_the_people_their_campaigns_brought_in(client):
    co = build_funnel_data()
    client.force_login(UserFactory(role=Role.PARTNER, team=co.agency))
    response = client.get(f"/insights/?{JUNE}&step=mql&step=sql&step=customer&window_days=10")
    assert [s.reached for s in response.context["report"].result.steps] == [2, 1, 1]  # c1, c2
    assert "your agency" in response.content.decode()
    rows = csv_rows(client.get(f"/insights/export/kpis.csv?{JUNE}"))
    header, june = rows[0], rows[1]
    # Only A's spend (100 + 200) and A's first MQL entries (c1, c2).
    assert june[header.index("spend")] == "300.0"
    assert june[header.index("new_mqls")] == "2"


def test_a_partner_cannot_filter_on_another_agencys_campaign(client):
    co = build_funnel_data()
    client.force_login(UserFactory(role=Role.PARTNER, team=co.agency))
    response = client.get(
        f"/insights/?{JUNE}&campaign={co.b.pk}&step=mql&step=sql&step=customer&window_days=10"
    )
    assert "Select a valid choice" in response.content.decode()
    # The invalid filter falls back to the partner's own scope, never to everyone's numbers.
    assert response.context["report"].result.steps[0].reached <= 2


def test_a_partner_without_campaigns_sees_nothing(client):
    build_funnel_data()
    client.force_login(
        UserFactory(role=Role.PARTNER, team=TeamFactory(name="New Agency", kind=TeamKind.PARTNER))
    )
    response = client.get(f"/insights/?{JUNE}")
    assert response.context["report"].result.steps[0].reached == 0


def test_attribution_page_lists_models_side_by_side(client):
    build_attribution_data()
    CampaignFactory(name="Unused")
    client.force_login(UserFactory(role=Role.HEAD_OF_MARKETING))
    html = client.get(f"/insights/attribution/?{JUNE}&by=campaign&measure=revenue").content.decode()
    for label in [
        "First touch",
        "Last touch",
        "Linear",
        "U-shaped",
        "W-shaped",
        "Time decay",
        "Markov",
        "Shapley",
    ]:
        assert f">{label}<" in html
    assert 'data-kpi="conversions">2<' in html
