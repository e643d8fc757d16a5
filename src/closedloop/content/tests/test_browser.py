"""A rep finds content by search, personalises it for a deal, shares the tracked link, and sees
the prospect's opening and reading time recorded: the whole path in a real browser."""

import os
import re

import pytest

from closedloop.accounts.roles import Role, TeamKind
from closedloop.content.models import LinkView
from closedloop.content.tests.conftest import published_asset
from closedloop.notifications.models import Notification
from closedloop.tracking.models import Event
from tests.factories import PASSWORD, ContactFactory, DealFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_search_personalise_share_and_the_open_is_recorded(browser, live_server):
    from playwright.sync_api import expect

    marketer = UserFactory(
        username="tom", role=Role.MARKETER, team=TeamFactory(name="Marketing", kind=TeamKind.MARKETING)
    )
    rep = UserFactory(
        username="alex",
        role=Role.SALES_REP,
        first_name="Alex",
        team=TeamFactory(name="Sales", kind=TeamKind.SALES),
    )
    published_asset(marketer, rep, title="Handling the 'too expensive' objection", asset_type="sales_script",
                    body="<p>Reframe on the cost of late orders and downtime.</p>")  # fmt: skip
    published_asset(marketer, rep, title="Warehouse throughput checklist", asset_type="one_pager",
                    body="<p>Pick rates and dock scheduling.</p>")  # fmt: skip
    contact = ContactFactory(email="ana@harbor.example", first_name="Ana", last_name="Silva")
    DealFactory(name="Harbor Freight rollout", contact=contact, stage="proposal", owner=rep)

    rep_context = browser.new_context(base_url=live_server.url)
    page = rep_context.new_page()
    page.set_default_timeout(60_000)
    page.goto("/accounts/login/?next=/content/")
    page.fill("input[name=username]", "alex")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.fill("input[name=q]", "prospect says we are too expensive")
    page.get_by_role("button", name="Search").click()
    first = page.locator("#search-results .asset-title").first
    expect(first).to_have_text("Handling the 'too expensive' objection")
    first.click()
    page.locator("#personalise").click()
    page.select_option("#share-deal", label="Harbor Freight rollout — Ana Silva")
    page.fill("textarea[name=intro]", "Ana, the second paragraph answers your CFO.")
    page.fill("textarea[name=body_html]", "<p>For Harbor Freight: late orders cost you 40k a month.</p>")
    page.get_by_role("button", name="Create tracked link").click()
    expect(page.locator("#open-count")).to_have_text("0")
    url = page.locator("#share-url").input_value()
    assert re.search(r"/api/v1/content/s/[\w-]+:[\w-]+$", url)

    prospect = browser.new_context()  # no login: a prospect's browser
    public = prospect.new_page()
    public.goto(url)
    expect(public.locator("h1")).to_have_text("Handling the 'too expensive' objection")
    expect(public.get_by_text("late orders cost you 40k a month")).to_be_visible()
    public.wait_for_timeout(6_500)  # the page reports visible time every 5 s
    prospect.close()  # pagehide sends the last beacon

    page.reload()
    expect(page.locator("#open-count")).to_have_text("1")
    view = LinkView.objects.get()
    assert view.seconds >= 5
    event = Event.objects.get(contact=contact)
    assert event.type == "content_download" and event.properties["seconds"] >= 5
    assert Notification.objects.get(recipient=rep).title.startswith("Ana Silva opened")
    rep_context.close()
