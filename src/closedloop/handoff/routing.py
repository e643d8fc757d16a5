"""Who gets a sales-ready lead: routing rules in priority order, then round robin among the reps who
are in the office and under their cap, then the head of sales. Reads only; services.py writes."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from closedloop.accounts.models import User
from closedloop.accounts.roles import Role
from closedloop.crm.models import Contact
from closedloop.handoff.models import HandoffStatus, RoutingRule
from closedloop.rules import RuleError, parse


@dataclass(frozen=True)
class RoutingDecision:
    rep: User
    rule: RoutingRule | None
    reason: str


def contact_facts(contact: Contact, *, now: datetime) -> dict[str, Any]:
    """The rule-language facts a routing condition can test (docs/rules.md). Event counts are not
    computed here: routing is about who the lead is, and a missing count reads as 0."""
    account = contact.account
    campaign = contact.source_campaign
    email = contact.email or ""
    country = (contact.properties or {}).get("country") or (account.country if account else "")
    return {
        "persona": contact.persona or None,
        "title": contact.title or None,
        "country": country or None,
        "lifecycle_stage": contact.lifecycle_stage,
        "lead_score": float(contact.lead_score),
        "email_domain": email.rpartition("@")[2] or None,
        "created_days_ago": (now - contact.created_at).days,
        "company_size": account.employees if account else None,
        "industry": (account.industry or None) if account else None,
        "annual_revenue": float(account.annual_revenue) if account and account.annual_revenue else None,
        "campaign": campaign.name if campaign else None,
        "channel": campaign.channel if campaign else None,
    }


def _reps_with_load() -> QuerySet[User]:
    # One query: each rep's open handoffs (for the cap) and latest handoff id (for fairness: ids only
    # grow, so they order assignments even when a batch shares one timestamp).
    return User.objects.select_related("availability").annotate(
        open_handoffs=Count("handoffs", filter=Q(handoffs__status=HandoffStatus.PENDING)),
        last_handoff_id=Max("handoffs__id"),
    )


def _why_unavailable(rep: User, now: datetime) -> str:
    if not rep.is_active:
        return "inactive"
    availability = getattr(rep, "availability", None)
    if availability is None:
        return ""
    if availability.out_of_office_until and availability.out_of_office_until > now:
        return "out of office"
    cap = availability.max_open_handoffs
    if cap is not None and rep.open_handoffs >= cap:  # type: ignore[attr-defined]
        return "at capacity"
    return ""


def _least_recently_assigned(reps: list[User]) -> User:
    return min(reps, key=lambda r: (r.last_handoff_id or 0, r.pk))  # type: ignore[attr-defined]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _skipped(skipped: dict[str, list[str]]) -> str:
    parts = [f"{', '.join(names)} {why}" for why, names in skipped.items()]
    return "; ".join(parts)


def route_decide(contact: Contact, *, now: datetime) -> RoutingDecision | None:
    """Pick the owner for `contact`; None only when there is neither an eligible rep nor a head of sales."""
    facts = contact_facts(contact, now=now)
    reps = list(_reps_with_load().filter(role=Role.SALES_REP).order_by("id"))
    skipped: dict[str, list[str]] = {}
    eligible: list[User] = []
    for rep in reps:
        why = _why_unavailable(rep, now)
        if why:
            skipped.setdefault(why, []).append(rep.display_name)
        else:
            eligible.append(rep)

    for rule in RoutingRule.objects.filter(active=True).select_related("target_user", "target_team"):
        try:
            matches = parse(rule.condition).evaluate(facts)
        except RuleError:
            continue  # rules are validated when saved; a vocabulary change must not stop routing
        if not matches:
            continue
        if rule.target_user_id is not None:
            targets = [r for r in eligible if r.pk == rule.target_user_id]
        else:
            targets = [r for r in eligible if r.team_id == rule.target_team_id]
        if targets:
            rep = _least_recently_assigned(targets)
            return RoutingDecision(rep, rule, f"Rule “{rule.name}” ({rule.condition})"[:300])
        # The rule's reps are all away or full: fall through, so the lead still gets an owner.

    if eligible:
        rep = _least_recently_assigned(eligible)
        return RoutingDecision(
            rep, None, f"Round robin among {_plural(len(eligible), 'available rep')}"[:300]
        )

    head = User.objects.filter(role=Role.HEAD_OF_SALES, is_active=True).order_by("id").first()
    if head is None:
        return None
    detail = _skipped(skipped) or "no sales reps"
    return RoutingDecision(head, None, f"No eligible rep ({detail}): assigned to the head of sales"[:300])
