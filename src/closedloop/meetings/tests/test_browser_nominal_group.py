"""A nominal group brainstorm in a real browser with three people: the facilitator asks the
question, each writes an idea unseen by the others, everyone votes, the winner becomes an action item.
Debian's chromium is driven by Playwright against pytest-django's live server."""

import os
import re

import pytest

from closedloop.accounts.roles import Role
from closedloop.meetings.models import ActionItem, Idea
from tests.factories import PASSWORD, UserFactory

# Playwright's sync API runs an event loop in the test thread; the ORM needs to be told it is a test.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUESTION = "What would make you call a lead within the hour?"


def signed_in(browser, live_server, username):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/accounts/login/", timeout=120_000)  # the first request loads every app
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^(?!.*login).*$"))
    return page


def test_three_people_run_a_nominal_group_brainstorm(browser, live_server):
    from playwright.sync_api import expect

    maya = UserFactory(username="maya", first_name="Maya", role=Role.HEAD_OF_MARKETING)
    sam = UserFactory(username="sam", first_name="Sam", role=Role.HEAD_OF_SALES)
    alex = UserFactory(username="alex", first_name="Alex", role=Role.SALES_REP)
    facilitator, head, rep = (signed_in(browser, live_server, u) for u in ("maya", "sam", "alex"))

    facilitator.goto("/meetings/brainstorms/")
    expect(facilitator.locator(".rotation-next").first).to_have_text("Alex")  # the rep who never joined
    facilitator.fill("input[name=question]", QUESTION)
    facilitator.select_option("select[name=technique]", "nominal_group")
    facilitator.select_option("select[name=participants]", [str(maya.pk), str(sam.pk), str(alex.pk)])
    facilitator.get_by_role("button", name="Start").click()
    expect(facilitator.locator("h1.question")).to_have_text(QUESTION)
    url = facilitator.url

    ideas = {facilitator: "Show reps the pages a lead read", head: "Alert within 5 minutes of a demo request",
             rep: "Text the lead a calendar link"}  # fmt: skip
    for page, text in ideas.items():
        page.goto(url)
        page.fill("textarea[name=text]", text)
        page.get_by_role("button", name="Submit idea").click()
        expect(page.get_by_text("Idea received, anonymously.")).to_be_visible()
    # Silent writing: nobody sees the others' ideas until voting starts, only how many there are.
    head.goto(url)
    expect(head.get_by_text("3 ideas in so far")).to_be_visible()
    expect(head.get_by_text("Text the lead a calendar link")).to_have_count(0)

    facilitator.goto(url)
    facilitator.get_by_role("button", name="Start voting").click()
    expect(facilitator.locator(".status")).to_have_text("Voting")

    def vote(page, text):
        page.goto(url)
        page.locator("li.idea", has_text=text).get_by_role("button", name="Vote").click()

    vote(facilitator, "Alert within 5 minutes")
    vote(head, "Alert within 5 minutes")
    vote(rep, "Alert within 5 minutes")
    vote(rep, "Text the lead")
    expect(rep.locator("#votes-left")).to_have_text("1")

    facilitator.goto(url)
    facilitator.get_by_role("button", name="Close and show results").click()
    first = facilitator.locator("li.idea").first
    expect(first.locator(".idea-text")).to_have_text("Alert within 5 minutes of a demo request")
    expect(first.locator(".idea-votes")).to_have_text("3 votes")
    # No name anywhere next to an idea (the owner picker of the "action item" form aside).
    for li in facilitator.locator("li.idea").all():
        shown = li.evaluate(
            "el => { const c = el.cloneNode(true); c.querySelectorAll('form').forEach(f => f.remove()); return c.innerText; }"
        )
        assert not any(name in shown for name in ("Maya", "Sam", "Alex")), shown
    first.locator("select[name=owner]").select_option(str(sam.pk))
    first.locator("input[name=due_on]").fill("2026-12-31")
    first.get_by_role("button", name="Make it an action item").click()
    expect(facilitator.get_by_text("The idea is now an action item.")).to_be_visible()

    item = ActionItem.objects.get()
    assert (item.title, item.owner.username) == ("Alert within 5 minutes of a demo request", "sam")
    assert Idea.objects.count() == 3
