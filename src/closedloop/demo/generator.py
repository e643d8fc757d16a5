"""`demo_generate`: write the Northwind Analytics demo company into an empty database, in one
transaction; plus the checks and logins `closedloop demo` needs around it."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from random import Random
from time import perf_counter

import numpy as np
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from closedloop.accounts.models import Team, User
from closedloop.agreement.services import agreement_demo_ensure
from closedloop.crm.models import Account, Activity, Contact, Deal, StageTransition
from closedloop.demo import bulk, company, funnel, journeys, writer
from closedloop.demo.clock import Clock
from closedloop.tracking.models import Campaign, CampaignCost, Event, LandingPage

DEFAULT_SEED = 2718
DEFAULT_CONTACTS = 20_000
HISTORY_DAYS = 182  # about six months
DEMO = StageTransition.Cause.DEMO


@dataclass(frozen=True)
class DemoSummary:
    start_date: date
    end_date: date
    contacts: int
    accounts: int
    events: int
    transitions: int
    deals: int
    activities: int
    campaigns: int
    seconds: float = 0.0


class DemoDataConflict(Exception):
    """The database holds data that is not the demo's; the demo never mixes with real data."""


def demo_state() -> str:
    """'demo' if the demo was generated here, 'other' if the database holds other data, else 'empty'."""
    if StageTransition.objects.filter(cause=DEMO).exists():
        return "demo"
    if Contact.objects.exists() or Campaign.objects.exists() or Event.objects.exists():
        return "other"
    return "empty"


def demo_users_ensure() -> dict[str, User]:
    """Create the teams and the cast's logins that are missing; existing ones are left as they are."""
    teams = {
        name: Team.objects.get_or_create(name=name, defaults={"kind": kind})[0]
        for name, kind in company.TEAMS.items()
    }
    users = {u.username: u for u in User.objects.filter(username__in=[p.username for p in company.PEOPLE])}
    # One hash for the shared password: Argon2 is slow on purpose, and fourteen of them would
    # dominate a small demo run (and every test that builds one).
    password = None
    for person in company.PEOPLE:
        if person.username in users:
            continue
        password = password or make_password(company.DEMO_PASSWORD)
        users[person.username] = User.objects.create(
            username=person.username,
            password=password,
            email=person.email,
            first_name=person.first_name,
            last_name=person.last_name,
            role=person.role,
            team=teams[person.team] if person.team else None,
            manager=users.get(person.manager) if person.manager else None,
            is_staff=person.role == "admin",
            is_superuser=person.role == "admin",
        )
    return users


def demo_summary_read() -> DemoSummary:
    span = CampaignCost.objects.aggregate(first=Min("date"), last=Max("date"))
    return DemoSummary(
        start_date=span["first"],
        end_date=span["last"] + timedelta(days=1) if span["last"] else timezone.localdate(),
        contacts=Contact.objects.count(),
        accounts=Account.objects.count(),
        events=Event.objects.count(),
        transitions=StageTransition.objects.count(),
        deals=Deal.objects.count(),
        activities=Activity.objects.count(),
        campaigns=Campaign.objects.count(),
    )


def campaign_costs(rng: np.random.Generator, clock: Clock, scale: float) -> np.ndarray:
    """Daily spend per campaign (rows: campaigns, columns: days); zero before a campaign starts."""
    days = np.arange(clock.days)
    weekend = (clock.start_date.weekday() + days) % 7 >= 5
    costs = np.zeros((len(company.CAMPAIGNS), clock.days))
    for c, spec in enumerate(company.CAMPAIGNS):
        noise = rng.lognormal(0.0, 0.18, clock.days)
        start = spec.start_day if spec.start_day >= 0 else clock.days + spec.start_day
        daily = spec.daily_cost * np.where(weekend, spec.weekend_spend, 1.0) * noise
        if spec.channel == "events":
            for w in company.WEBINAR_DAYS:  # promotion in the week before each webinar
                daily[max(0, w - 7) : max(0, min(clock.days, w + 1))] += company.WEBINAR_COST / 8 * noise[0]
            if clock.days > company.SUMMIT_DAY:
                daily[company.SUMMIT_DAY] += company.SUMMIT_COST
        costs[c] = np.where(days >= start, np.round(daily * scale, 2), 0.0)
    return costs


@transaction.atomic
def demo_generate(
    *,
    seed: int = DEFAULT_SEED,
    end_date: date | None = None,
    contacts: int = DEFAULT_CONTACTS,
    log: Callable[[str], None] = lambda line: None,
) -> DemoSummary:
    """Generate the demo: same seed and end date, same data. Refuses a database that holds data."""
    if contacts < 50:
        raise ValueError("contacts: the demo needs at least 50 contacts")
    if demo_state() != "empty":
        raise DemoDataConflict("the database already holds data; the demo only goes into an empty one")
    started = perf_counter()
    end_date = end_date or timezone.localdate()
    tz = timezone.get_default_timezone()
    clock = Clock(end_date=end_date, days=HISTORY_DAYS, time_zones=funnel.zones(), server_tz=tz)
    rng, rnd = np.random.default_rng(seed), Random(seed)
    stamps = writer.stamper(postgres=bulk.is_postgres())
    lap = [perf_counter()]

    def step(message: str) -> None:
        now = perf_counter()
        log(f"  {message} ({now - lap[0]:.1f} s)")
        lap[0] = now

    last_day = end_date - timedelta(days=1)
    log(
        f"Generating {company.COMPANY}: {contacts:,} contacts, {clock.start_date} to {last_day} (seed {seed})"
    )
    users = demo_users_ensure()
    campaigns = _campaigns_create(clock, rnd)
    costs = campaign_costs(rng, clock, contacts / DEFAULT_CONTACTS)
    days_iso = [(clock.start_date + timedelta(days=d)).isoformat() for d in range(clock.days)]
    n_costs = writer.costs_write(campaigns, costs, days_iso)
    step(f"{len(company.PEOPLE)} users, {len(campaigns)} campaigns, {n_costs:,} daily costs")

    acc, pop = funnel.population_draw(rng, clock, contacts)
    visitor_ids = [f"v{x:015x}" for x in rng.integers(0, 1 << 60, size=pop.n).tolist()]
    step("people, companies and how far each gets in the funnel")
    j = journeys.contact_journeys(rnd, clock, pop, acc.employees, visitor_ids)
    per_campaign = np.bincount(pop.campaign[pop.campaign >= 0], minlength=len(company.CAMPAIGNS))
    anonymous = journeys.anonymous_sessions(rnd, clock, costs, per_campaign, sorted(set(pop.zone.tolist())))
    step(f"{len(j.events) + len(anonymous):,} touchpoints planned")

    first_account, first_contact = bulk.next_id(Account), bulk.next_id(Contact)
    ids = writer.Ids(
        reps=[*(users[r.username].pk for r in company.REPS), None],
        campaigns=[*(c.pk for c in campaigns), None],
        accounts=list(range(first_account, first_account + len(acc.name))),
        contacts=list(range(first_contact, first_contact + pop.n)),
    )
    writer.accounts_write(acc, pop, ids, stamps)
    writer.contacts_write(pop, j, ids, stamps)
    step(f"{len(acc.name):,} accounts and {pop.n:,} contacts written")
    writer.transitions_write(j, ids, stamps)
    writer.identities_write(j, ids, stamps)
    step(f"{len(j.transitions):,} stage transitions and {len(j.identities):,} visitor identities written")
    n_events = writer.events_write(j.events + anonymous, ids, stamps)
    step(f"{n_events:,} events written")
    deal_ids = writer.deals_write(j, acc, ids, stamps)
    writer.activities_write(j, ids, deal_ids, stamps)
    bulk.sequences_reset([Account, Contact, Deal])
    step(f"{len(j.deals):,} deals and {len(j.activities):,} activities written")
    # Seed 003: both heads signed the written agreement two weeks before the history starts.
    kickoff = clock.start_date - timedelta(days=14)
    agreement = agreement_demo_ensure(
        head_of_marketing=users["maya"],
        head_of_sales=users["sam"],
        qualifiers=[users["alex"], users["chen"]],
        at=datetime(kickoff.year, kickoff.month, kickoff.day, 10, 0, tzinfo=tz),
    )
    step(f"agreement v{agreement.number} signed by both heads and active")
    return DemoSummary(
        start_date=clock.start_date,
        end_date=end_date,
        contacts=pop.n,
        accounts=len(acc.name),
        events=n_events,
        transitions=len(j.transitions),
        deals=len(j.deals),
        activities=len(j.activities),
        campaigns=len(campaigns),
        seconds=perf_counter() - started,
    )


def _campaigns_create(clock: Clock, rnd: Random) -> list[Campaign]:
    agency = Team.objects.get(name=company.AGENCY)
    out = []
    for spec in company.CAMPAIGNS:
        start = spec.start_day if spec.start_day >= 0 else clock.days + spec.start_day
        starts_on = clock.start_date + timedelta(days=start)
        # Seed 000: nobody in sales ever saw the free-trial page; every other page was reviewed.
        reviewed = None
        if spec.key != company.STORY_KEY:
            day = starts_on - timedelta(days=rnd.randint(3, 20))
            reviewed = datetime(day.year, day.month, day.day, 15, 30, tzinfo=timezone.get_default_timezone())
        page = LandingPage.objects.create(
            url=f"{company.SITE}{spec.landing_path}", title=spec.landing_title, reviewed_by_sales_at=reviewed
        )
        out.append(
            Campaign.objects.create(
                name=spec.name,
                channel=spec.channel,
                utm_campaign=spec.key,
                landing_page=page,
                tracking_phone=spec.tracking_phone,
                partner_team=agency if spec.agency else None,
                starts_on=starts_on,
            )
        )
    return out
