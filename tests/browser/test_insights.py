"""A head of marketing opens the insights pages on generated data: the funnel chart renders, the
cohort heatmap is coloured, and the funnel table downloads as CSV."""

import csv
import io

import pytest
from playwright.sync_api import expect

from closedloop.accounts.roles import Role
from closedloop.insights.tests.report_data import build_attribution_data, build_cohort_data, build_funnel_data
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
JUNE = "period=custom&start=2025-06-01&end=2025-06-30"


def test_insights_charts_render_and_a_table_downloads_as_csv(page, settings):
    settings.TIME_ZONE = "UTC"
    build_funnel_data()
    build_attribution_data()
    build_cohort_data()
    UserFactory(username="maya", role=Role.HEAD_OF_MARKETING)

    # The first pages compile templates and load the analytics engine: generous on a busy machine.
    page.set_default_timeout(60_000)
    page.set_default_navigation_timeout(60_000)
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"/insights/?{JUNE}&step=mql&step=sql&step=customer&window_days=10&breakdown=channel")
    expect(page.locator("h1")).to_have_text("Funnel")
    canvas = page.locator('canvas[data-insights-chart="funnel"]')
    expect(canvas).to_have_attribute("data-rendered", "true")
    # Chart.js drew the bars: the canvas has a size and holds a Chart instance.
    assert page.evaluate(
        "() => !!Chart.getChart(document.querySelector('canvas[data-insights-chart=funnel]'))"
    )
    assert canvas.bounding_box()["height"] > 50

    with page.expect_download() as info:
        page.locator(".csv-link").click()
    download = info.value
    assert download.suggested_filename == "funnel-20250601-20250630.csv"
    with open(download.path(), encoding="utf-8") as f:
        rows = list(csv.reader(io.StringIO(f.read())))
    assert rows[0][:4] == ["breakdown", "step", "name", "reached"]
    assert [r[3] for r in rows[1:4]] == ["5", "2", "1"]

    page.get_by_role("link", name="Attribution").click()
    expect(page.locator('canvas[data-insights-chart="attribution"]')).to_have_attribute(
        "data-rendered", "true"
    )

    page.goto("/insights/cohorts/?period=custom&start=2025-01-01&end=2025-06-30")
    first_cell = page.locator('tr[data-cohort="2025-01"] td.cell').first
    expect(first_cell).to_have_text("100%")
    assert "rgba(22, 163, 74" in first_cell.evaluate("el => el.style.backgroundColor")

    page.goto(f"/insights/kpis/?{JUNE}")
    expect(page.locator('canvas[data-insights-chart="kpi-money"]')).to_have_attribute("data-rendered", "true")
