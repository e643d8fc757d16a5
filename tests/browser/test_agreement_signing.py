"""The Agreement's whole life in a real browser: a marketer drafts v2 from the active v1, the
editor catches a broken rule as it is typed, the backtest compares v2 with v1, the draft is
proposed, the marketer cannot sign, the head of marketing and then the head of sales sign, and v2
becomes the active agreement everyone reads."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from closedloop.accounts.roles import Role
from closedloop.agreement import services
from closedloop.agreement.models import AgreementVersion, Status
from tests.factories import PASSWORD, AccountFactory, ContactFactory, EventFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARROWER_MQL = "downloads_30d >= 2 && company_size >= 200"


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/|/$"))


@pytest.fixture
def people_and_v1(db):
    maya = UserFactory(username="maya", first_name="Maya", role=Role.HEAD_OF_MARKETING)
    sam = UserFactory(username="sam", first_name="Sam", role=Role.HEAD_OF_SALES)
    UserFactory(username="tom", first_name="Tom", role=Role.MARKETER)
    v1 = services.agreement_propose(version=services.agreement_draft_create(by=maya), by=maya)
    services.agreement_sign(version=v1, user=maya, side="marketing")
    services.agreement_sign(version=v1, user=sam, side="sales")
    # A little history for the backtest: a small company that downloaded once (an MQL under v1's
    # persona rule, not under the narrower draft) and a big one that downloaded twice.
    now = timezone.now()
    for employees, downloads in ((30, 1), (500, 2)):
        contact = ContactFactory(account=AccountFactory(employees=employees), persona="ops_manager")
        for day in range(downloads):
            EventFactory(contact=contact, type="download", ts=now - timedelta(days=5 + day))
    return v1


def test_draft_backtest_both_signatures_active(page, people_and_v1):
    sign_in(page, "tom")
    page.goto("/agreement/versions/1/")
    page.get_by_role("button", name="New draft from v1").click()
    expect(page.locator("h1")).to_contain_text("v2")
    expect(page.locator("#version-status")).to_have_text("Draft")

    rule = page.locator("#edit-stage-mql textarea").first
    rule.fill("downloads_30d >= && company_size")
    expect(page.locator("#rule-check-mql .rule-error")).to_contain_text("Line 1, column")
    rule.fill(NARROWER_MQL)
    expect(page.locator("#rule-check-mql .rule-ok")).to_be_visible()
    page.get_by_role("button", name="Save draft").first.click()
    expect(page.locator(".message-success")).to_contain_text("Saved v2")
    assert AgreementVersion.objects.get(number=2).stage_definitions.get(stage="mql").rule == NARROWER_MQL

    page.locator("#backtest-link").click()
    expect(page.locator("#backtest-stages")).to_be_visible(timeout=30_000)
    expect(page.locator("#backtest-stage-mql")).to_be_visible()

    page.goto("/agreement/versions/2/")
    page.get_by_role("button", name="Propose for signature").click()
    expect(page.locator("#version-status")).to_have_text("Proposed")
    expect(page.locator("[data-sign]")).to_have_count(0)  # a marketer signs for nobody
    sign_out(page)

    sign_in(page, "maya")
    page.goto("/agreement/versions/2/")
    expect(page.locator("[data-sign]")).to_have_count(1)
    page.locator('[data-sign="marketing"]').click()
    expect(page.locator("#version-status")).to_have_text("Proposed")  # one signature is not enough
    sign_out(page)

    sign_in(page, "sam")
    page.goto("/agreement/versions/2/")
    page.locator('[data-sign="sales"]').click()
    expect(page.locator("#version-status")).to_have_text("Active")
    assert AgreementVersion.objects.get(number=1).status == Status.SUPERSEDED

    page.goto("/agreement/")
    expect(page.locator(".doc-meta")).to_contain_text("Version 2 · Active")
    expect(page.locator("main")).to_contain_text("company_size >= 200")
