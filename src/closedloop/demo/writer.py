"""Writes the planned demo into the database, table by table, as plain rows (see bulk.py)."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from closedloop.crm.models import Account, Activity, Contact, Deal, StageTransition
from closedloop.demo import bulk, company, funnel, vocab
from closedloop.demo.clock import timestamps_sql
from closedloop.demo.journeys import Journeys
from closedloop.tracking.models import Campaign, CampaignCost, Event, VisitorIdentity

Stamps = Callable[[list[int] | np.ndarray], list[str]]


@dataclass
class Ids:
    """Database ids by the planner's indexes. Index -1 (no campaign, no owner) maps to None."""

    reps: list[int | None]
    campaigns: list[int | None]
    accounts: list[int]
    contacts: list[int]


def stamper(*, postgres: bool) -> Stamps:
    def stamps(epochs: list[int] | np.ndarray) -> list[str]:
        return timestamps_sql(np.asarray(epochs, dtype=np.int64), with_offset=postgres)

    return stamps


def costs_write(campaigns: list[Campaign], costs: np.ndarray, start_date_iso: list[str]) -> int:
    rows = [
        (campaign.pk, start_date_iso[d], f"{costs[c, d]:.2f}")
        for c, campaign in enumerate(campaigns)
        for d in np.flatnonzero(costs[c] > 0).tolist()
    ]
    return bulk.insert(CampaignCost, ("campaign", "date", "amount"), rows)


def accounts_write(acc: funnel.Accounts, pop: funnel.Population, ids: Ids, stamps: Stamps) -> None:
    # An account belongs to the rep of its first sales-qualified lead and was created with its first contact.
    owner: list[int | None] = [None] * len(acc.name)
    sql_contacts = np.flatnonzero(pop.owner >= 0)
    for i in sql_contacts[np.argsort(pop.t_sql[sql_contacts], kind="stable")][::-1].tolist():
        owner[pop.account[i]] = ids.reps[pop.owner[i]]
    created = np.full(len(acc.name), np.iinfo(np.int64).max)
    np.minimum.at(created, pop.account, pop.created)
    fields = ("id", "name", "normalized_name", "domain", "industry", "employees", "annual_revenue", "country",
              "owner", "created_at")  # fmt: skip
    rows = zip(
        ids.accounts, acc.name, acc.normalized, acc.domain,
        [vocab.INDUSTRIES[k][0] for k in acc.industry.tolist()], acc.employees.tolist(),
        [f"{v:.2f}" for v in acc.revenue.tolist()], [vocab.COUNTRIES[k][0] for k in acc.country.tolist()],
        owner, stamps(created), strict=True,
    )  # fmt: skip
    bulk.insert(Account, fields, rows)


def contacts_write(pop: funnel.Population, j: Journeys, ids: Ids, stamps: Stamps) -> None:
    zones = funnel.zones()
    fields = ("id", "email", "first_name", "last_name", "title", "phone", "account", "owner", "persona",
              "lifecycle_stage", "lead_score", "source_campaign", "properties", "created_at",
              "updated_at")  # fmt: skip
    rows = zip(
        ids.contacts, pop.email, pop.first_name, pop.last_name, pop.title, j.phone,
        [ids.accounts[a] for a in pop.account.tolist()], [ids.reps[o] for o in pop.owner.tolist()],
        [vocab.PERSONAS[p][0] for p in pop.persona.tolist()],
        [funnel.STAGES[s] for s in pop.stage.tolist()], j.lead_score,
        [ids.campaigns[c] for c in pop.campaign.tolist()],
        [f'{{"time_zone":"{zones[z]}"}}' for z in pop.zone.tolist()], stamps(pop.created), stamps(j.updated),
        strict=True,
    )  # fmt: skip
    bulk.insert(Contact, fields, rows)


def transitions_write(j: Journeys, ids: Ids, stamps: Stamps) -> None:
    at = stamps([t[3] for t in j.transitions])
    rows = (
        (ids.contacts[contact], before, after, when, StageTransition.Cause.DEMO.value, detail)
        for (contact, before, after, _, detail), when in zip(j.transitions, at, strict=True)
    )
    bulk.insert(StageTransition, ("contact", "from_stage", "to_stage", "at", "cause", "detail"), rows)


def identities_write(j: Journeys, ids: Ids, stamps: Stamps) -> None:
    at = stamps([x[2] for x in j.identities])
    rows = ((vid, ids.contacts[c], when) for (vid, c, _), when in zip(j.identities, at, strict=True))
    bulk.insert(VisitorIdentity, ("visitor_id", "contact", "identified_at"), rows)


def events_write(events: list[tuple], ids: Ids, stamps: Stamps) -> int:
    utm = [(spec.key, spec.utm_source, spec.utm_medium) for spec in company.CAMPAIGNS] + [("", "", "")]
    fields = ("idempotency_key", "type", "ts", "contact", "visitor_id", "campaign", "utm_source",
              "utm_medium", "utm_campaign", "utm_term", "utm_content", "url", "properties",
              "received_at")  # fmt: skip
    contacts = [*ids.contacts, None]  # index -1: an anonymous visitor
    written, chunk = 0, 50_000
    for start in range(0, len(events), chunk):
        part = events[start : start + chunk]
        rows = []
        for n, (e, ts) in enumerate(zip(part, stamps([e[0] for e in part]), strict=True), start=start + 1):
            key, source, medium = utm[e[4]]
            rows.append(
                (f"demo-{n:07d}", e[1], ts, contacts[e[2]], e[3], ids.campaigns[e[4]], source, medium, key,
                 e[5], e[6], e[7], e[8], ts)
            )  # fmt: skip
        written += bulk.insert(Event, fields, rows)
    return written


def deals_write(j: Journeys, acc: funnel.Accounts, ids: Ids, stamps: Stamps) -> list[int]:
    first = bulk.next_id(Deal)
    deal_ids = list(range(first, first + len(j.deals)))
    created = stamps([d[8] for d in j.deals])
    closed = stamps([max(d[9], 0) for d in j.deals])
    fields = ("id", "name", "account", "contact", "owner", "product", "amount", "stage", "lost_reason",
              "source_campaign", "created_at", "closed_at")  # fmt: skip
    rows = (
        (deal_id, f"{acc.name[account]} – {product}", ids.accounts[account], ids.contacts[contact],
         ids.reps[rep], product, f"{amount:.2f}", stage, lost_reason, ids.campaigns[campaign], created_at,
         closed_at if closed_ts >= 0 else None)
        for deal_id, (account, contact, rep, product, amount, stage, lost_reason, campaign, _, closed_ts),
        created_at, closed_at in zip(deal_ids, j.deals, created, closed, strict=True)
    )  # fmt: skip
    bulk.insert(Deal, fields, rows)
    return deal_ids


def activities_write(j: Journeys, ids: Ids, deal_ids: list[int], stamps: Stamps) -> None:
    deals = [*deal_ids, None]  # index -1: not about a deal
    at = stamps([a[6] for a in j.activities])
    rows = (
        (kind, subject, body, ids.contacts[contact], deals[deal], ids.reps[rep], when)
        for (kind, subject, body, contact, deal, rep, _), when in zip(j.activities, at, strict=True)
    )
    bulk.insert(Activity, ("kind", "subject", "body", "contact", "deal", "user", "at"), rows)
