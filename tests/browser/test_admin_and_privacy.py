"""An admin's and a head's day with the data-protection pages, in a real browser: the admin makes
a rep a marketer and gives them an ingest-only token, which works on ingest and is refused
elsewhere; the head of sales erases a contact who asked to be forgotten, after typing the address;
the audit log shows each step and nothing of the erased person."""

import re

import pytest
from playwright.sync_api import expect

from closedloop.accounts.models import ApiToken, User
from closedloop.accounts.roles import Role
from closedloop.crm.models import Contact
from tests.factories import PASSWORD, ContactFactory, EventFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_role_change_scoped_token_and_erasure(page, live_server, client):
    UserFactory(username="ada", role=Role.ADMIN)
    UserFactory(username="sam", role=Role.HEAD_OF_SALES)
    rep = UserFactory(username="ravi", first_name="Ravi", role=Role.SALES_REP)
    person = ContactFactory(email="zoe.forget@example.com", first_name="Zoë", last_name="Forget")
    EventFactory(contact=person, type="page_view")

    sign_in(page, "ada")
    page.get_by_role("link", name="Users").click()
    page.get_by_role("link", name="ravi").click()
    page.locator("#user-change select[name=role]").select_option(Role.MARKETER)
    page.locator("#user-change").get_by_role("button", name="Save").click()
    expect(page.locator("#user-change select[name=role]")).to_have_value(Role.MARKETER)
    page.locator("#token-new input[name=name]").fill("website tracker")
    page.locator("#token-new").get_by_label("ingest_events").check()
    page.locator("#token-new").get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token code").inner_text().strip()
    assert secret.startswith("cl_")
    assert ApiToken.objects.get(user=rep).scopes == ["ingest_events"]
    assert User.objects.get(pk=rep.pk).role == Role.MARKETER

    bearer = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    events = {"events": [{"type": "page_view", "visitor_id": "v-1", "ts": "2026-11-01T10:00:00Z",
                          "idempotency_key": "k-1", "url": "https://example.com/"}]}  # fmt: skip
    assert (
        client.post("/api/v1/events/batch", events, content_type="application/json", **bearer).status_code
        == 200
    )
    refused = client.get("/api/v1/contacts", **bearer)
    assert refused.status_code == 403 and "view_contacts" in refused.json()["errors"][0]["msg"]

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "sam")
    page.goto(f"/contacts/{person.pk}/")
    page.locator("#personal-data-link").click()
    page.locator("#erase-link").click()
    page.fill("input[name=confirm]", "not the address")
    page.get_by_role("button", name="Erase permanently").click()
    expect(page.locator(".error").first).to_be_visible()
    assert Contact.objects.get(pk=person.pk).email == "zoe.forget@example.com"
    page.fill("input[name=confirm]", "zoe.forget@example.com")
    page.get_by_role("button", name="Erase permanently").click()
    expect(page.locator("#erased-notice")).to_contain_text("Erased on")
    erased = Contact.objects.get(pk=person.pk)
    assert (erased.email, erased.first_name, erased.last_name) in ((None, "", ""), ("", "", ""))

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "ada")
    page.get_by_role("link", name="Audit").click()
    log = page.locator("main")
    for action in ("user.role_change", "token.create", "privacy.erase"):
        expect(log).to_contain_text(action)
    text = log.inner_text()
    assert "zoe.forget@example.com" not in text and "Forget" not in text
    assert re.search(r"sales_rep\W+marketer", text)
