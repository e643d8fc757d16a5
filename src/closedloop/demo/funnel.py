"""Who the demo's contacts are and how far each gets through the funnel, drawn with numpy.

Conversion rates depend on the first-touch channel (events and referrals convert well, paid social
poorly), the persona and the company size, so that attribution and trait analysis have something
real to find. Seed 002's complaint is built in: many leads are forwarded to sales (SQL) but only a
small share of them qualify into opportunities. Seed 000's campaign brings no one past IQL."""

from dataclasses import dataclass

import numpy as np

from closedloop.crm.names import normalize_company_name
from closedloop.demo import company, vocab
from closedloop.demo.clock import DAY, NEVER, Clock

# Base conversion rates, before channel, persona, size and rep multipliers.
P_IQL, P_MQL, P_SQL, P_OPP, P_WIN, P_CHURN = 0.82, 0.30, 0.55, 0.24, 0.32, 0.3
# Persona multipliers on (IQL→MQL, MQL→SQL, SQL→opportunity, win); order as vocab.PERSONAS.
PERSONA_QUALITY = np.array(
    [
        (1.1, 1.15, 1.25, 1.1),
        (0.9, 0.9, 0.9, 0.9),
        (0.7, 1.0, 1.1, 1.1),
        (1.0, 1.2, 1.1, 1.2),
        (1.3, 0.6, 0.5, 0.7),
    ]
)
# Company size buckets (employees < 20, < 100, < 1000, more): small firms rarely buy, big ones slowly.
SIZE_EDGES = np.array([20, 100, 1000])
SIZE_OPP = np.array([0.35, 0.9, 1.2, 1.0])
SIZE_WIN = np.array([0.6, 1.0, 1.1, 0.85])


@dataclass
class Accounts:
    name: list[str]
    normalized: list[str]
    domain: list[str]
    industry: np.ndarray
    employees: np.ndarray
    revenue: np.ndarray
    country: np.ndarray
    zone: np.ndarray


@dataclass
class Population:
    n: int
    campaign: np.ndarray  # index into company.CAMPAIGNS, -1 for direct
    account: np.ndarray
    zone: np.ndarray
    persona: np.ndarray
    title: list[str]
    first_name: list[str]
    last_name: list[str]
    email: list[str]
    created: np.ndarray
    t_iql: np.ndarray
    t_mql: np.ndarray
    t_sql: np.ndarray
    t_opp: np.ndarray
    t_close: np.ndarray  # planned close; happened when < end
    won: np.ndarray  # outcome if closed
    t_customer: np.ndarray
    t_churn: np.ndarray
    owner: np.ndarray  # index into company.REPS, -1 for none
    amount: np.ndarray
    product: np.ndarray
    lost_reason: np.ndarray
    stage: np.ndarray  # index into STAGES


STAGES = ("visitor", "iql", "mql", "sql", "opportunity", "customer", "churned")


def zones() -> list[str]:
    return [z for _, tzs, _, _ in vocab.COUNTRIES for z, _ in tzs]


def accounts_draw(rng: np.random.Generator, n_accounts: int) -> Accounts:
    countries = vocab.COUNTRIES
    country_p = np.array([c[2] for c in countries])
    country = rng.choice(len(countries), size=n_accounts, p=country_p / country_p.sum())
    zone_offsets = np.cumsum([0] + [len(c[1]) for c in countries])
    zone = np.empty(n_accounts, dtype=np.int64)
    for ci, (_, tzs, _, _) in enumerate(countries):
        mask = country == ci
        w = np.array([w for _, w in tzs])
        zone[mask] = zone_offsets[ci] + rng.choice(len(tzs), size=int(mask.sum()), p=w / w.sum())
    industry_p = np.array(vocab.INDUSTRY_WEIGHTS)
    industry = rng.choice(len(vocab.INDUSTRIES), size=n_accounts, p=industry_p / industry_p.sum())
    employees = np.clip(np.round(rng.lognormal(np.log(180), 1.3, size=n_accounts)), 5, 40_000).astype(
        np.int64
    )
    revenue = np.round(employees * rng.lognormal(np.log(160_000), 0.4, size=n_accounts), -3)

    words = rng.integers(0, 1 << 30, size=(n_accounts, 4))
    names, normalized, domains, seen = [], [], [], set()
    for i in range(n_accounts):
        _, cores = vocab.INDUSTRIES[industry[i]]
        suffixes = countries[country[i]][3]
        w = words[i]
        for attempt in range(50):
            prefix = vocab.NAME_PREFIXES[(w[0] + attempt * 7) % len(vocab.NAME_PREFIXES)]
            qualifier = vocab.NAME_QUALIFIERS[(w[1] + attempt) % len(vocab.NAME_QUALIFIERS)]
            core = cores[(w[2] + attempt) % len(cores)]
            base = f"{qualifier}{prefix} {core}" if attempt < 40 else f"{prefix} {core} {attempt}"
            key = normalize_company_name(base)
            if key not in seen:
                break
        seen.add(key)
        suffix = suffixes[w[3] % len(suffixes)]
        names.append(f"{base} {suffix}".strip())
        normalized.append(key)
        domains.append(key.replace(" ", "") + ".example")
    return Accounts(names, normalized, domains, industry, employees, revenue, country, zone)


def contact_counts(rng: np.random.Generator, n: int) -> np.ndarray:
    """Contacts per campaign (last slot: direct). Seed 000's campaign always brings a few."""
    shares = np.array([c.share for c in company.CAMPAIGNS] + [company.DIRECT_SHARE])
    story = max(2, round(n * company.CAMPAIGNS[company.STORY].share))
    rest = shares.copy()
    rest[company.STORY] = 0
    counts = rng.multinomial(n - story, rest / rest.sum())
    counts[company.STORY] = story
    return counts


def arrival_days(
    rng: np.random.Generator, clock: Clock, spec: company.CampaignSpec | None, k: int
) -> np.ndarray:
    days = np.arange(clock.days)
    start = 0 if spec is None else (spec.start_day if spec.start_day >= 0 else clock.days + spec.start_day)
    # A growing company: 60% more leads a day at the end than at the start.
    weight = np.where(days >= start, 1.0 + 0.6 * days / clock.days, 0.0)
    if spec is not None and spec.channel == "events":
        weight = weight * 0.3
        for w in company.WEBINAR_DAYS:
            weight[max(0, w - 10) : min(clock.days, w + 1)] += 2.5
        weight[max(0, company.SUMMIT_DAY - 1) : company.SUMMIT_DAY + 2] += 9.0
    return rng.choice(clock.days, size=k, p=weight / weight.sum())


def population_draw(rng: np.random.Generator, clock: Clock, n: int) -> tuple[Accounts, Population]:
    n_accounts = max(20, int(n / 2.6))
    acc = accounts_draw(rng, n_accounts)
    # Every account gets one contact, the rest go preferably to bigger companies.
    size_w = np.sqrt(acc.employees.astype(float))
    account = np.concatenate(
        [
            rng.permutation(n_accounts),
            rng.choice(n_accounts, size=max(0, n - n_accounts), p=size_w / size_w.sum()),
        ]
    )[:n]
    zone = acc.zone[account]

    counts = contact_counts(rng, n)
    campaign = np.repeat(np.arange(-1, len(company.CAMPAIGNS)), np.roll(counts, 1))
    # np.repeat above put direct (-1) first; the arrival day, not this order, decides contact order.
    day = np.empty(n, dtype=np.int64)
    for ci in range(-1, len(company.CAMPAIGNS)):
        mask = campaign == ci
        spec = None if ci < 0 else company.CAMPAIGNS[ci]
        day[mask] = arrival_days(rng, clock, spec, int(mask.sum()))
    created = clock.at(rng, day, zone)
    created = np.where(created >= clock.end_ts, created - DAY, created)
    story_start = clock.day_start[zone, clock.days - company.STORY_DAYS]
    created = np.where((campaign == company.STORY) & (created < story_start), story_start + 9 * 3600, created)
    order = np.argsort(created, kind="stable")
    campaign, account, zone, created = campaign[order], account[order], zone[order], created[order]

    persona_p = np.array([p[2] for p in vocab.PERSONAS])
    persona = rng.choice(len(vocab.PERSONAS), size=n, p=persona_p / persona_p.sum())
    small = acc.employees[account] < 60
    persona = np.where(small & (rng.random(n) < 0.35), 3, persona)  # founders answer in small firms
    title_pick = rng.integers(0, 1 << 30, size=n)
    title = [
        vocab.PERSONAS[p][1][t % len(vocab.PERSONAS[p][1])] for p, t in zip(persona, title_pick, strict=True)
    ]
    first_i = rng.integers(0, len(vocab.FIRST_NAMES), size=n)
    last_i = rng.integers(0, len(vocab.LAST_NAMES), size=n)
    first = [vocab.FIRST_NAMES[i] for i in first_i]
    last = [vocab.LAST_NAMES[i] for i in last_i]
    emails, taken = [], set()
    for i in range(n):
        local = f"{first[i]}.{last[i]}".lower()
        domain = acc.domain[account[i]]
        email, k = f"{local}@{domain}", 1
        while email in taken:
            k += 1
            email = f"{local}{k}@{domain}"
        taken.add(email)
        emails.append(email)

    quality = np.array([c.quality for c in company.CAMPAIGNS] + [company.DIRECT_QUALITY])[campaign]
    pq = PERSONA_QUALITY[persona]
    size = np.searchsorted(SIZE_EDGES, acc.employees[account], side="right")
    is_story = campaign == company.STORY

    def stage(prev: np.ndarray, p: np.ndarray, lag_days: np.ndarray) -> np.ndarray:
        u = rng.random(n)
        t = clock.snap(rng, prev + (lag_days * DAY).astype(np.int64), zone, prev)
        return np.where((prev < clock.end_ts) & (u < np.minimum(p, 0.95)) & (t < clock.end_ts), t, NEVER)

    # IQL: most download something in the same visit as they give their details.
    same_visit = rng.random(n) < 0.65
    iql_soon = created + rng.integers(30, 600, size=n)
    iql_later = clock.snap(rng, created + (rng.exponential(5.0, n) * DAY).astype(np.int64), zone, created)
    t_iql = np.where(same_visit, iql_soon, iql_later)
    t_iql = np.where(is_story, created + 1, t_iql)  # the trial form itself is their IQL moment
    p_iql = np.where(is_story, 0.6, P_IQL)
    t_iql = np.where((rng.random(n) < p_iql) & (t_iql < clock.end_ts), t_iql, NEVER)

    t_mql = stage(t_iql, P_MQL * quality[:, 0] * pq[:, 0], rng.gamma(2.0, 7.0, n))
    t_sql = stage(t_mql, P_SQL * quality[:, 1] * pq[:, 1], rng.gamma(1.5, 5.0, n))

    # Routing: round robin over the reps in the order leads became SQL, a few by territory.
    reps = len(company.REPS)
    owner = np.full(n, -1, dtype=np.int64)
    sql_idx = np.flatnonzero(t_sql < clock.end_ts)
    sql_idx = sql_idx[np.argsort(t_sql[sql_idx], kind="stable")]
    owner[sql_idx] = np.arange(sql_idx.size) % reps
    reassign = rng.random(n) < 0.2
    owner = np.where((owner >= 0) & reassign, rng.integers(0, reps, size=n), owner)
    skill = np.array([r.skill for r in company.REPS] + [1.0])[owner]

    t_opp = stage(t_sql, P_OPP * quality[:, 2] * pq[:, 2] * SIZE_OPP[size] * skill, rng.gamma(2.0, 3.0, n))

    employees = acc.employees[account].astype(float)
    amount = 8000 * (employees / 40) ** 0.42 * rng.lognormal(0, 0.25, n)
    amount = np.round(np.clip(amount, 8000, 120_000) / 500) * 500
    product = np.searchsorted(np.array([100, 1000]), employees, side="right")
    cycle = 14 + rng.gamma(2.5, 10.0, n) * (amount / 25_000) ** 0.35
    t_close = clock.snap(rng, t_opp + (cycle * DAY).astype(np.int64), zone, t_opp)
    p_win = P_WIN * quality[:, 3] * pq[:, 3] * SIZE_WIN[size] * skill
    won = rng.random(n) < np.minimum(p_win, 0.9)
    closed = (t_opp < clock.end_ts) & (t_close < clock.end_ts)
    t_customer = np.where(closed & won, t_close, NEVER)
    churn_after = (50 + rng.gamma(2.0, 40.0, n)) * DAY
    t_churn = clock.snap(rng, t_customer + churn_after.astype(np.int64), zone, t_customer)
    t_churn = np.where((rng.random(n) < P_CHURN) & (t_churn < clock.end_ts), t_churn, NEVER)
    reason_p = np.array(vocab.LOST_REASON_WEIGHTS)
    lost_reason = rng.choice(len(vocab.LOST_REASONS), size=n, p=reason_p / reason_p.sum())
    lost_reason = np.where(size == 0, 4, lost_reason)  # tiny companies: "not a fit"

    end = clock.end_ts
    stage_idx = (
        (t_iql < end).astype(np.int64)
        + (t_mql < end)
        + (t_sql < end)
        + (t_opp < end)
        + (t_customer < end)
        + (t_churn < end)
    )
    assert not np.any(is_story & (stage_idx > 1)), "seed 000's campaign must bring no one past IQL"
    pop = Population(
        n=n, campaign=campaign, account=account, zone=zone, persona=persona, title=title,
        first_name=first, last_name=last, email=emails, created=created, t_iql=t_iql, t_mql=t_mql,
        t_sql=t_sql, t_opp=t_opp, t_close=t_close, won=won & closed, t_customer=t_customer,
        t_churn=t_churn, owner=np.where(t_sql < end, owner, -1), amount=amount, product=product,
        lost_reason=lost_reason, stage=stage_idx,
    )  # fmt: skip
    return acc, pop
