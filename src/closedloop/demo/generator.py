"""`demo_generate`: write the Northwind Analytics demo company into an empty database, in one
transaction; plus the checks and logins `closedloop demo` needs around it."""

import time as clock_time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from random import Random

import numpy as np
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from closedloop.accounts.models import Team, User
from closedloop.crm.models import Account, Activity, Contact, Deal, StageTransition
from closedloop.demo import bulk, company, funnel, journeys, vocab
from closedloop.demo.clock import Clock, timestamps_sql
from closedloop.tracking.models import Campaign, CampaignCost, Event, LandingPage, VisitorIdentity

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
        name: Team.objects.get_or_create(name=name, defaults={"kind": kind})[0] for name, kind in company.TEAMS.items()
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
            if company.SUMMIT_DAY < clock.days:
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
        raise DemoDataConflict("the database already holds data; the demo is only generated into an empty one")
    started = clock_time.perf_counter()
    end_date = end_date or timezone.localdate()
    clock = Clock(end_date=end_date, days=HISTORY_DAYS, time_zones=funnel.zones(), server_tz=timezone.get_default_timezone())
    rng, rnd = np.random.default_rng(seed), Random(seed)
    pg = bulk.is_postgres()

    def stamps(values: list[int] | np.ndarray) -> list[str]:
        return timestamps_sql(np.asarray(values, dtype=np.int64), with_offset=pg)

    def step(message: str, since: float) -> float:
        now = clock_time.perf_counter()
        log(f"  {message} ({now - since:.1f} s)")
        return now

    log(
        f"Generating {company.COMPANY}: {contacts:,} contacts, {clock.start_date} → {end_date} "
        f"(seed {seed})"
    )
    t = clock_time.perf_counter()
    users = demo_users_ensure()
    reps = [users[r.username].pk for r in company.REPS]
    campaigns = _campaigns_create(clock, rnd)
    costs = campaign_costs(rng, clock, contacts / DEFAULT_CONTACTS)
    cost_rows = [
        (campaigns[c].pk, (clock.start_date + timedelta(days=d)).isoformat(), f"{costs[c, d]:.2f}")
        for c in range(len(company.CAMPAIGNS))
        for d in range(clock.days)
        if costs[c, d] > 0
    ]
    bulk.insert(CampaignCost, ("campaign", "date", "amount"), cost_rows)
    t = step(f"{len(company.PEOPLE)} users, {len(campaigns)} campaigns, {len(cost_rows):,} daily costs", t)

    acc, pop = funnel.population_draw(rng, clock, contacts)
    vids = [f"v{x:015x}" for x in rng.integers(0, 1 << 60, size=pop.n).tolist()]
    t = step("people, companies and their way through the funnel", t)
    j = journeys.contact_journeys(rnd, clock, pop, acc.employees, vids)
    counts = np.bincount(pop.campaign[pop.campaign >= 0], minlength=len(company.CAMPAIGNS))
    anonymous = journeys.anonymous_sessions(rnd, clock, costs, counts, sorted(set(pop.zone.tolist())))
    t = step(f"{len(j.events) + len(anonymous):,} touchpoints planned", t)

    account_ids = np.arange(bulk.next_id(Account), bulk.next_id(Account) + len(acc.name))
    contact_ids = np.arange(bulk.next_id(Contact), bulk.next_id(Contact) + pop.n)
    # An account belongs to the rep who got its first sales-qualified lead; it was created with its first contact.
    account_owner = [None] * len(acc.name)
    account_created = np.full(len(acc.name), np.iinfo(np.int64).max)
    np.minimum.at(account_created, pop.account, pop.created)
    for i in np.flatnonzero(pop.owner >= 0)[np.argsort(pop.t_sql[pop.owner >= 0], kind="stable")][::-1]:
        account_owner[pop.account[i]] = reps[pop.owner[i]]
    bulk.insert(
        Account,
        ("id", "name", "normalized_name", "domain", "industry", "employees", "annual_revenue", "country", "owner", "created_at"),
        zip(
            account_ids.tolist(), acc.name, acc.normalized, acc.domain,
            [vocab.INDUSTRIES[k][0] for k in acc.industry], acc.employees.tolist(),
            [f"{v:.2f}" for v in acc.revenue], [vocab.COUNTRIES[k][0] for k in acc.country],
            account_owner, stamps(account_created), strict=True,
        ),
    )  # fmt: skip
    campaign_ids = [campaigns[c].pk if c >= 0 else None for c in range(len(company.CAMPAIGNS))] + [None]
    bulk.insert(
        Contact,
        ("id", "email", "first_name", "last_name", "title", "phone", "account", "owner", "persona",
         "lifecycle_stage", "lead_score", "source_campaign", "properties", "created_at", "updated_at"),
        zip(
            contact_ids.tolist(), pop.email, pop.first_name, pop.last_name, pop.title, j.phone,
            account_ids[pop.account].tolist(), [reps[o] if o >= 0 else None for o in pop.owner.tolist()],
            [vocab.PERSONAS[p][0] for p in pop.persona], [funnel.STAGES[s] for s in pop.stage],
            j.lead_score, [campaign_ids[c] for c in pop.campaign.tolist()],
            [f'{{"time_zone":"{funnel.zones()[z]}"}}' for z in pop.zone.tolist()],
            stamps(pop.created), stamps(j.updated), strict=True,
        ),
    )  # fmt: skip
    t = step(f"{len(acc.name):,} accounts and {pop.n:,} contacts written", t)

    cid = contact_ids.tolist()
    bulk.insert(
        StageTransition,
        ("contact", "from_stage", "to_stage", "at", "cause", "detail"),
        zip(
            [cid[x[0]] for x in j.transitions], [x[1] for x in j.transitions], [x[2] for x in j.transitions],
            stamps([x[3] for x in j.transitions]), [DEMO] * len(j.transitions), [x[4] for x in j.transitions],
            strict=True,
        ),
    )  # fmt: skip
    bulk.insert(
        VisitorIdentity,
        ("visitor_id", "contact", "identified_at"),
        zip([x[0] for x in j.identities], [cid[x[1]] for x in j.identities], stamps([x[2] for x in j.identities]), strict=True),
    )
    t = step(f"{len(j.transitions):,} stage transitions and {len(j.identities):,} visitor identities written", t)

    n_events = _events_write(j.events + anonymous, cid, campaigns, stamps)
    t = step(f"{n_events:,} events written", t)

    deal_ids = list(range(bulk.next_id(Deal), bulk.next_id(Deal) + len(j.deals)))
    bulk.insert(
        Deal,
        ("id", "name", "account", "contact", "owner", "product", "amount", "stage", "lost_reason",
         "source_campaign", "created_at", "closed_at"),
        zip(
            deal_ids, [f"{acc.name[d[0]]} – {d[3]}" for d in j.deals], [int(account_ids[d[0]]) for d in j.deals],
            [cid[d[1]] for d in j.deals], [reps[d[2]] for d in j.deals], [d[3] for d in j.deals],
            [f"{d[4]:.2f}" for d in j.deals], [d[5] for d in j.deals], [d[6] for d in j.deals],
            [campaign_ids[d[7]] for d in j.deals], stamps([d[8] for d in j.deals]),
            [s if d[9] >= 0 else None for s, d in zip(stamps([max(d[9], 0) for d in j.deals]), j.deals, strict=True)],
            strict=True,
        ),
    )  # fmt: skip
    bulk.insert(
        Activity,
        ("kind", "subject", "body", "contact", "deal", "user", "at"),
        zip(
            [a[0] for a in j.activities], [a[1] for a in j.activities], [a[2] for a in j.activities],
            [cid[a[3]] for a in j.activities], [deal_ids[a[4]] if a[4] >= 0 else None for a in j.activities],
            [reps[a[5]] for a in j.activities], stamps([a[6] for a in j.activities]), strict=True,
        ),
    )  # fmt: skip
    bulk.sequences_reset([Account, Contact, Deal])
    step(f"{len(j.deals):,} deals and {len(j.activities):,} activities written", t)
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
        seconds=clock_time.perf_counter() - started,
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


def _events_write(events: list[tuple], cid: list[int], campaigns: list[Campaign], stamps: Callable) -> int:
    utm = [(c.utm_campaign, spec.utm_source, spec.utm_medium) for c, spec in zip(campaigns, company.CAMPAIGNS, strict=True)]
    fields = ("idempotency_key", "type", "ts", "contact", "visitor_id", "campaign", "utm_source", "utm_medium",
              "utm_campaign", "utm_term", "utm_content", "url", "properties", "received_at")  # fmt: skip
    written = 0
    chunk = 50_000
    for start in range(0, len(events), chunk):
        part = events[start : start + chunk]
        ts = stamps([e[0] for e in part])
        rows = []
        for k, (e, when) in enumerate(zip(part, ts, strict=True)):
            c = e[4]
            key, source, medium = utm[c] if c >= 0 else ("", "", "")
            rows.append(
                (f"demo-{start + k + 1:07d}", e[1], when, cid[e[2]] if e[2] >= 0 else None, e[3],
                 campaigns[c].pk if c >= 0 else None, source, medium, key, e[5], e[6], e[7], e[8], when)
            )  # fmt: skip
        written += bulk.insert(Event, fields, rows)
    return written

