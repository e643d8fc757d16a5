"""A marketer signs in, imports a HubSpot contacts export through the mapping UI, and sees the
dashboard funnel change — the whole Foundation path in a real browser."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from closedloop.accounts.roles import Role
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def funnel_reached(page, stage: str) -> int:
    text = page.locator(f'tr[data-stage="{stage}"] .reached').inner_text()
    return int(text.replace(",", ""))


def hubspot_export(tmp_path) -> str:
    created = (date.today() - timedelta(days=3)).isoformat()
    rows = [
        "First Name,Last Name,Email,Company Name,Job Title,Lifecycle Stage,Create Date",
        f"Ada,Lovelace,ada@analytical.example,Analytical Engines Ltd,COO,Marketing Qualified Lead,{created}",
        f"Grace,Hopper,grace@navy.example,US Navy,Director of IT,Customer,{created}",
        f"Zoë,Müller,zoe@zurich.example,Café Zürich GmbH,Ops Manager,Lead,{created}",
    ]
    path = tmp_path / "hubspot-contacts.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


def test_login_import_csv_and_see_the_funnel_change(page, tmp_path):
    UserFactory(username="maya", role=Role.HEAD_OF_MARKETING, first_name="Maya")

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill("input[name=username]", "maya")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_have_text("Dashboard")
    assert funnel_reached(page, "visitor") == 0

    page.goto("/imports/")
    page.set_input_files("input[name=file]", hubspot_export(tmp_path))
    page.select_option("select[name=target]", "contacts")
    page.get_by_role("button", name="Upload").click()

    # The HubSpot preset is recognised from the headers and fills in the mapping.
    expect(page.locator("#map-5")).to_have_value("lifecycle_stage")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("3", exact=False).first).to_be_visible()
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Import finished")).to_be_visible(timeout=30_000)

    page.goto("/")
    # Reached counts: all three are at least visitors and IQLs; Ada (MQL) and Grace (customer)
    # reached MQL; only Grace reached customer.
    assert funnel_reached(page, "visitor") == 3
    assert funnel_reached(page, "iql") == 3
    assert funnel_reached(page, "mql") == 2
    assert funnel_reached(page, "customer") == 1
