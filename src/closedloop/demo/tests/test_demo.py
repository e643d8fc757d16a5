"""The demo company: deterministic, consistent, tells seed 000's PPC story, and its logins work."""

import hashlib
import io
import os
import subprocess
import sys
from collections import defaultdict
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Avg, Count, Q, Sum

from closedloop.accounts.models import User
from closedloop.accounts.roles import Role, TeamKind
from closedloop.crm.models import Account, Activity, Contact, Deal, StageTransition
from closedloop.demo import company
from closedloop.demo.generator import demo_generate
from closedloop.tracking.models import Campaign, CampaignCost, Event, LandingPage, VisitorIdentity

END = date(2026, 3, 31)
SIZE = 400
ROOT = Path(__file__).resolve().parents[4]
BEYOND_IQL = ("mql", "sql", "opportunity", "customer", "churned")
OPPORTUNITY_OR_LATER = ("opportunity", "customer", "churned")


@pytest.fixture
def demo(db):
    return demo_generate(seed=11, end_date=END, contacts=SIZE)


def fingerprint() -> str:
    """A hash of every generated value that is not a database id or a wall-clock time."""
    digest = hashlib.sha256()
    queries = [
        Account.objects.order_by("normalized_name").values_list(
            "name", "domain", "industry", "employees", "annual_revenue", "country", "owner__username",
            "created_at",
        ),
        Contact.objects.order_by("email").values_list(
            "email", "first_name", "last_name", "title", "phone", "account__name", "owner__username",
            "persona", "lifecycle_stage", "lead_score", "source_campaign__utm_campaign", "properties",
            "created_at",
        ),
        StageTransition.objects.order_by("contact__email", "at", "id").values_list(
            "contact__email", "from_stage", "to_stage", "at", "cause", "detail"
        ),
        Event.objects.order_by("idempotency_key").values_list(
            "idempotency_key", "type", "ts", "contact__email", "visitor_id", "campaign__utm_campaign",
            "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "url", "properties",
        ),
        VisitorIdentity.objects.order_by("visitor_id").values_list(
            "visitor_id", "contact__email", "identified_at"
        ),
        Deal.objects.order_by("contact__email").values_list(
            "name", "contact__email", "owner__username", "product", "amount", "stage", "lost_reason",
            "source_campaign__utm_campaign", "created_at", "closed_at",
        ),
        Activity.objects.order_by("contact__email", "at", "kind", "subject").values_list(
            "kind", "subject", "body", "contact__email", "deal__name", "user__username", "at"
        ),
        CampaignCost.objects.order_by("campaign__utm_campaign", "date").values_list(
            "campaign__utm_campaign", "date", "amount"
        ),
        Campaign.objects.order_by("utm_campaign").values_list(
            "name", "channel", "utm_campaign", "landing_page__url", "landing_page__reviewed_by_sales_at",
            "tracking_phone", "partner_team__name", "starts_on",
        ),
    ]  # fmt: skip
    for query in queries:
        for row in query:
            digest.update(repr(row).encode())
    return digest.hexdigest()


def demo_delete() -> None:
    # Demo users are actors in the append-only audit log, so they cannot be deleted one by one;
    # flush empties every table, the log included (audit/management/commands/flush.py).
    call_command("flush", interactive=False, verbosity=0)


@pytest.mark.django_db
def test_same_seed_and_end_date_give_the_same_data():
    first = demo_generate(seed=5, end_date=END, contacts=SIZE)
    before = fingerprint()
    demo_delete()
    again = demo_generate(seed=5, end_date=END, contacts=SIZE)
    assert fingerprint() == before
    assert (again.contacts, again.events, again.transitions, again.deals) == (
        first.contacts, first.events, first.transitions, first.deals,
    )  # fmt: skip
    demo_delete()
    demo_generate(seed=6, end_date=END, contacts=SIZE)
    assert fingerprint() != before


def test_every_contact_has_a_stage_history_that_ends_at_its_stage(demo):
    history = defaultdict(list)
    for t in StageTransition.objects.order_by("at", "id"):
        history[t.contact_id].append(t)
    contacts = list(Contact.objects.all())
    assert len(contacts) == SIZE
    for contact in contacts:
        steps = history[contact.pk]
        assert steps, contact.email
        assert (steps[0].from_stage, steps[0].to_stage) == ("", "visitor")
        assert steps[0].at == contact.created_at
        for before, after in pairwise(steps):
            assert after.from_stage == before.to_stage
            assert after.at >= before.at
        assert steps[-1].to_stage == contact.lifecycle_stage
        assert {s.cause for s in steps} == {StageTransition.Cause.DEMO}
        # Sales owns every lead it has accepted, and no one else's.
        is_sales_stage = contact.lifecycle_stage in ("sql", *OPPORTUNITY_OR_LATER)
        assert (contact.owner_id is not None) == is_sales_stage
    stages = set(Contact.objects.values_list("lifecycle_stage", flat=True))
    assert {"visitor", "iql", "mql", "sql", "opportunity", "customer"} <= stages


def test_history_is_six_months_up_to_the_end_date_and_nothing_later(demo):
    start_ts = StageTransition.objects.order_by("at").first().at
    last_ts = max(
        Event.objects.order_by("-ts").first().ts, StageTransition.objects.order_by("-at").first().at
    )
    assert last_ts.date() < END
    assert last_ts.date() >= END - timedelta(days=7)
    assert start_ts.date() <= END - timedelta(days=170)
    costs = CampaignCost.objects.order_by("date")
    assert costs.first().date == END - timedelta(days=182)
    assert costs.last().date == END - timedelta(days=1)


def test_the_free_trial_ppc_campaign_brings_clicks_and_calls_but_no_qualified_lead(demo):
    story = Campaign.objects.get(name="PPC – Free trial (new landing page)")
    assert story.channel == "ppc"
    assert story.partner_team.name == company.AGENCY
    assert story.starts_on == END - timedelta(days=14)
    assert story.tracking_phone
    clicks = Event.objects.filter(campaign=story, type="ad_click").count()
    calls = Event.objects.filter(campaign=story, type="call").count()
    sourced = Contact.objects.filter(source_campaign=story).count()
    assert sourced >= 1
    assert clicks >= 20 * sourced
    assert calls >= 3
    # High spend: more a day than any other paid search campaign.
    daily = dict(
        CampaignCost.objects.filter(campaign__channel="ppc")
        .values_list("campaign__utm_campaign")
        .annotate(avg=Avg("amount"))
    )
    assert daily[story.utm_campaign] > 2 * max(v for k, v in daily.items() if k != story.utm_campaign)
    touched = Contact.objects.filter(Q(source_campaign=story) | Q(events__campaign=story)).distinct()
    assert touched.exists()
    assert set(touched.values_list("lifecycle_stage", flat=True)) <= {"visitor", "iql"}
    assert not StageTransition.objects.filter(contact__in=touched, to_stage__in=BEYOND_IQL).exists()
    assert not touched.filter(owner__isnull=False).exists()
    assert not Deal.objects.filter(Q(contact__in=touched) | Q(source_campaign=story)).exists()
    # Sales never saw its landing page; they reviewed every other one.
    assert story.landing_page.reviewed_by_sales_at is None
    others = LandingPage.objects.exclude(pk=story.landing_page_id)
    assert others.count() == Campaign.objects.count() - 1
    assert not others.filter(reviewed_by_sales_at__isnull=True).exists()


def test_deals_belong_to_opportunities_and_won_deals_to_customers(demo):
    deals = list(Deal.objects.select_related("contact"))
    assert deals
    assert len({d.contact_id for d in deals}) == len(deals)
    assert {d.contact_id for d in deals} == set(
        Contact.objects.filter(lifecycle_stage__in=OPPORTUNITY_OR_LATER).values_list("pk", flat=True)
    )
    customers = set(
        Contact.objects.filter(lifecycle_stage__in=("customer", "churned")).values_list("pk", flat=True)
    )
    assert {d.contact_id for d in deals if d.stage == "won"} == customers
    opportunity_at = dict(
        StageTransition.objects.filter(to_stage="opportunity").values_list("contact_id", "at")
    )
    won_at = dict(StageTransition.objects.filter(to_stage="customer").values_list("contact_id", "at"))
    for d in deals:
        assert 8_000 <= d.amount <= 120_000
        assert d.created_at == opportunity_at[d.contact_id]
        assert d.owner_id == d.contact.owner_id
        if d.stage in ("won", "lost"):
            assert d.closed_at > d.created_at
        else:
            assert d.closed_at is None
        if d.stage == "won":
            assert d.closed_at == won_at[d.contact_id]
        if d.stage == "lost":
            assert d.lost_reason in ("no budget", "chose competitor", "no decision", "timing", "not a fit")
        else:
            assert d.lost_reason == ""
    assert Activity.objects.filter(user__role=Role.SALES_REP).exists()
    assert not Activity.objects.exclude(user__role=Role.SALES_REP).exists()


def test_many_leads_reach_sales_but_few_qualify_further(demo):
    stages = dict(Contact.objects.values_list("lifecycle_stage").annotate(n=Count("pk")))
    sql_or_later = sum(stages.get(s, 0) for s in ("sql", *OPPORTUNITY_OR_LATER))
    opportunities = sum(stages.get(s, 0) for s in OPPORTUNITY_OR_LATER)
    assert sql_or_later >= 0.06 * SIZE
    assert opportunities < 0.5 * sql_or_later


def test_campaigns_span_channels_with_non_negative_daily_costs(demo):
    assert Campaign.objects.count() >= 8
    assert Campaign.objects.values("channel").distinct().count() >= 6
    assert Campaign.objects.filter(channel="ppc").count() >= 3
    assert Campaign.objects.filter(partner_team__kind=TeamKind.PARTNER).count() >= 2
    assert not CampaignCost.objects.filter(amount__lt=0).exists()
    for campaign in Campaign.objects.all():
        assert campaign.landing_page is not None
        days = CampaignCost.objects.filter(campaign=campaign).count()
        assert days == (END - campaign.starts_on).days, campaign.name
    assert CampaignCost.objects.aggregate(total=Sum("amount"))["total"] > 0


def test_anonymous_visits_are_stitched_to_the_contact_they_turned_out_to_be(demo):
    identities = list(VisitorIdentity.objects.all())
    assert len(identities) >= SIZE * 0.9
    for identity in identities[:100]:
        events = Event.objects.filter(visitor_id=identity.visitor_id)
        assert set(events.values_list("contact_id", flat=True)) == {identity.contact_id}
    # Visits before the contact gave their details, now on the contact's timeline.
    stitched_before = sum(
        Event.objects.filter(visitor_id=i.visitor_id, ts__lt=i.identified_at).exists()
        for i in identities[:200]
    )
    assert stitched_before >= 40
    assert Event.objects.filter(contact__isnull=True, visitor_id__startswith="anon-").exists()
    types = set(Event.objects.values_list("type", flat=True))
    assert types == {"ad_click", "page_view", "form_submit", "email_open", "email_click", "content_download",
                     "webinar_attended", "call", "meeting_booked"}  # fmt: skip
    paid = Event.objects.filter(type="ad_click").exclude(utm_source="").first()
    assert (
        paid.utm_medium in ("cpc", "paid_social", "display")
        and paid.utm_campaign == paid.campaign.utm_campaign
    )


def test_demo_users_have_their_roles_and_log_in_with_the_printed_password(demo, client):
    roles = dict(User.objects.values_list("username", "role"))
    assert roles["admin"] == Role.ADMIN
    assert roles["maya"] == Role.HEAD_OF_MARKETING
    assert roles["sam"] == Role.HEAD_OF_SALES
    assert roles["jamie"] == Role.PARTNER
    assert sum(r == Role.MARKETER for r in roles.values()) >= 2
    reps = User.objects.filter(role=Role.SALES_REP)
    assert 6 <= reps.count() <= 8
    assert set(reps.values_list("manager__username", flat=True)) == {"sam"}
    assert set(reps.values_list("team__kind", flat=True)) == {TeamKind.SALES}
    assert User.objects.get(username="jamie").team.kind == TeamKind.PARTNER
    assert User.objects.get(username="admin").is_superuser
    for username, _ in company.BANNER_LOGINS:
        assert client.login(username=username, password=company.DEMO_PASSWORD), username
        client.logout()


@pytest.mark.django_db
def test_command_generates_once_then_reuses_the_data_and_prints_the_logins():
    args = ("demo", "--no-serve", "--contacts", "200", "--end-date", END.isoformat(), "--seed", "3")
    out = io.StringIO()
    call_command(*args, stdout=out)
    first = out.getvalue()
    assert "Generating Northwind Analytics" in first
    assert "http://127.0.0.1:8000/" in first
    assert company.DEMO_PASSWORD in first
    for username, _ in company.BANNER_LOGINS:
        assert f"    {username} " in first
    counts = (Contact.objects.count(), Event.objects.count())
    assert counts[0] == 200

    # Users who acted stay in the audit log and are never deleted; renaming one makes the login vanish.
    User.objects.filter(username="tom").update(username="tom-renamed")
    out = io.StringIO()
    call_command(*args, "--port", "8123", stdout=out)
    second = out.getvalue()
    assert "Reusing the demo data" in second
    assert "Generating" not in second
    assert "http://127.0.0.1:8123/" in second
    assert company.DEMO_PASSWORD in second
    assert (Contact.objects.count(), Event.objects.count()) == counts
    assert User.objects.filter(username="tom", role=Role.MARKETER).exists()  # recreated


@pytest.mark.django_db
def test_command_refuses_a_database_that_holds_other_data():
    Contact.objects.create(email="real@customer.example", created_at="2026-01-05T10:00:00Z")
    with pytest.raises(CommandError, match="not the demo's"):
        call_command("demo", "--no-serve", "--contacts", "100", stdout=io.StringIO())
    assert not User.objects.filter(username="admin").exists()


@pytest.mark.django_db
def test_reset_only_deletes_sqlite_files():
    if connection.vendor == "postgresql":
        with pytest.raises(CommandError, match="postgresql"):
            call_command("demo", "--no-serve", "--reset", stdout=io.StringIO())
    else:
        # The test database lives in memory: there is nothing to delete.
        with pytest.raises(CommandError, match="in memory"):
            call_command("demo", "--no-serve", "--reset", stdout=io.StringIO())


def test_reset_replaces_the_sqlite_file_from_the_command_line(tmp_path):
    # The real thing, in a fresh process: default SQLite file under CLOSEDLOOP_DATA_DIR.
    (tmp_path / "closedloop.sqlite3").write_bytes(b"not a database")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["CLOSEDLOOP_DATA_DIR"] = str(tmp_path)
    command = [sys.executable, "-m", "closedloop", "demo", "--no-serve", "--reset", "--contacts", "60"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Deleted" in result.stdout
    assert "Generated the demo" in result.stdout
    assert company.DEMO_PASSWORD in result.stdout
    assert (tmp_path / "closedloop.sqlite3").stat().st_size > 100_000
