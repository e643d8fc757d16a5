"""Seed 003 end to end, through the real SMTP server and the tracking links: email all IQLs an
ebook → remind those who did not open → a different email to those who opened but did not
download → thank the downloaders and offer extra content → whoever accesses the extra content
becomes an SQL → notify sales."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from closedloop.automation import services
from closedloop.automation.executor import timers_run_due
from closedloop.automation.mail import SmtpSession
from closedloop.automation.models import Enrollment
from closedloop.automation.outbox import emails_send_due
from closedloop.automation.templates_library import SEED_003_EBOOK_NURTURE
from closedloop.automation.tests.builders import contact_in_stage
from closedloop.crm.models import StageTransition
from closedloop.notifications.models import Notification
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def _work(now, capture):
    """One worker round: due steps, then the outbox (as `closedloop worker` does)."""
    with capture(execute=True):
        timers_run_due(now=now)
    session = SmtpSession()
    emails_send_due(session=session, now=now)
    session.close()


def _links(received, kind):
    text = received.message.get_body(("plain",)).get_content()
    return [
        u.removeprefix("http://testserver")
        for u in re.findall(rf"http://testserver/api/v1/automation/t/{kind}/\S+", text)
    ]


def _pixel(received):
    html = received.message.get_body(("html",)).get_content()
    return re.search(r'src="http://testserver(/api/v1/automation/t/o/[^"]+)"', html).group(1)


def test_seed_003_ebook_nurture_ends_in_an_sql_and_a_sales_notification(
    smtp, client, django_capture_on_commit_callbacks
):
    sales = TeamFactory(name="Sales", kind="sales")
    rep = UserFactory(role="sales_rep", team=sales, email="rep@acme.example.com")
    marketer = UserFactory(role="marketer")
    ann = contact_in_stage("iql", first_name="Ann", email="ann@reader.example.com", owner=rep)
    bob = contact_in_stage("iql", first_name="Bob", email="bob@busy.example.com")
    cy = contact_in_stage("iql", first_name="Cy", email="cy@browser.example.com")
    contact_in_stage("mql", email="already@further.example.com")  # not an IQL: not emailed

    wf = services.workflow_create(name="Ebook nurture", definition=SEED_003_EBOOK_NURTURE, by=marketer)
    assert services.workflow_activate(workflow=wf, by=marketer) == 3  # "email all IQLs"
    t0 = timezone.now()
    _work(t0, django_capture_on_commit_callbacks)
    assert sorted(r.recipients[0] for r in smtp.received) == sorted([ann.email, bob.email, cy.email])
    [ann_ebook] = smtp.to(ann.email)
    assert ann_ebook.message["Subject"] == "Ann, your ebook: 10 ways to run leaner operations"

    # Ann downloads the ebook; Cy only opens the email (the pixel); Bob does nothing.
    assert client.get(_links(ann_ebook, "d")[0])["Location"].endswith("ops-efficiency-ebook.pdf")
    assert client.get(_pixel(smtp.to(cy.email)[0])).status_code == 200
    _work(timezone.now(), django_capture_on_commit_callbacks)

    [_, ann_thanks] = smtp.to(ann.email)
    assert ann_thanks.message["Subject"].startswith("Thanks for reading, Ann")
    [_, cy_nudge] = smtp.to(cy.email)
    assert cy_nudge.message["Subject"] == "The three pages of the ebook our customers quote most"
    assert len(smtp.to(bob.email)) == 1  # still inside his three days

    # Bob's three days pass without an open: the reminder.
    _work(t0 + timedelta(days=3, minutes=1), django_capture_on_commit_callbacks)
    [_, bob_reminder] = smtp.to(bob.email)
    assert bob_reminder.message["Subject"] == "Did you see your ebook, Bob?"

    # Ann opens the extra content: she becomes an SQL and sales is told.
    toolkit = _links(ann_thanks, "d")[0]
    assert client.get(toolkit)["Location"].endswith("ops-benchmark-toolkit.xlsx")
    _work(timezone.now(), django_capture_on_commit_callbacks)
    ann.refresh_from_db()
    assert ann.lifecycle_stage == "sql"
    assert StageTransition.objects.get(contact=ann, to_stage="sql").cause == "automation"
    note = Notification.objects.get(recipient=rep, kind="automation")
    assert note.title == f"New SQL: {ann.full_name} opened the benchmark toolkit"
    assert note.link == f"/contacts/{ann.pk}/"
    # The email to sales, through the same server (the handoff app also routes the new SQL to the rep).
    assert note.title in [r.message["Subject"] for r in smtp.to(rep.email)]
    assert Enrollment.objects.get(workflow=wf, contact=ann).status == Enrollment.Status.COMPLETED
    bob.refresh_from_db()
    cy.refresh_from_db()
    assert (bob.lifecycle_stage, cy.lifecycle_stage) == ("iql", "iql")
    # Nobody got any email twice.
    subjects = [(r.recipients[0], r.message["Subject"]) for r in smtp.received]
    assert len(subjects) == len(set(subjects))
    marketing = [s for s in subjects if s[0] != rep.email]
    assert len(marketing) == 6  # 3 ebooks, the thank-you, the nudge, the reminder
