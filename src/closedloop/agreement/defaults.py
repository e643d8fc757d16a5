"""The starting agreement: seed 003's IQL/MQL/SQL definitions written as rules over the rule
language's vocabulary, seed 002's roles, DESIGN §2's SLA terms. A new install's first draft and
the demo company's signed v1 both start from here; the teams then edit it."""

from typing import Any

DEFAULT_STAGE_ORDER: tuple[str, ...] = ("visitor", "iql", "mql", "sql", "opportunity", "customer", "churned")
DEFAULT_SALES_READY_STAGE = "sql"

TITLE = "Sales and marketing agreement"

PURPOSE = (
    "Marketing and sales work towards one goal: revenue. This agreement is how we make sure we "
    "mean the same thing when we say *lead*. It defines each stage of our funnel, who owns it, "
    "what each team promises the other, and the buyer personas we sell to.\n\n"
    "Both heads sign it. Every lead that changes stage records the version that moved it, so when "
    "we disagree about lead quality we look at the same numbers, then change the agreement "
    "together."
)

MARKETING_RESPONSIBILITIES = "\n".join(
    [
        "- Attract visitors and turn them into IQLs and MQLs with content sales has reviewed.",
        "- Score and nurture leads until they meet the SQL definition; never forward a lead that does not.",
        "- Deliver the agreed volume of MQLs every month and report it on the shared dashboard.",
        "- Recycle leads that sales rejects into nurture, using the rejection reason.",
        "- Build the buyer personas with direct input from sales.",
    ]
)
SALES_RESPONSIBILITIES = "\n".join(
    [
        "- Contact every SQL within the agreed time and accept or reject it.",
        "- Give a reason for every rejected lead so marketing can learn from it.",
        "- Keep deal stages and outcomes up to date: they close the loop for marketing.",
        "- Tell marketing which content helps close deals and which questions prospects ask.",
        "- Attend the monthly alignment meeting with the numbers from this agreement.",
    ]
)

STAGES: tuple[dict[str, str], ...] = (
    {
        "stage": "visitor",
        "rule": "",
        "owner_team": "marketing",
        "explanation": (
            "Anyone we can track: an anonymous visitor from a campaign, a caller on a tracked "
            "number, or a contact we imported. Everyone starts here; there is no rule to meet."
        ),
    },
    {
        "stage": "iql",
        "rule": "form_submit_total >= 1 || downloads_total >= 1",
        "owner_team": "marketing",
        "explanation": (
            "**Information-qualified lead.** The person gave us their contact details in exchange "
            "for content: they filled in a form or downloaded an ebook, guide or report. They are "
            "researching a problem, not yet a vendor."
        ),
    },
    {
        "stage": "mql",
        "rule": (
            '(downloads_30d >= 1 && persona in ["ops_manager", "it_director", "cfo", "founder"] '
            "&& company_size >= 20) || lead_score >= 50"
        ),
        "owner_team": "marketing",
        "explanation": (
            "**Marketing-qualified lead.** An IQL who fits our buyer and is still engaged: they "
            "downloaded something in the last 30 days, hold one of our buying personas and work "
            "at a company with at least 20 people — or their lead score reached 50. Marketing "
            "nurtures MQLs until they show buying intent."
        ),
    },
    {
        "stage": "sql",
        "rule": "meeting_booked_30d >= 1 || (lead_score >= 70 && call_30d >= 1)",
        "owner_team": "sales",
        "explanation": (
            "**Sales-qualified lead.** The lead asked to talk to us: they booked a meeting or a "
            "demo in the last 30 days, or they scored 70 or more and called us in that time. "
            "Entering this stage hands the lead to sales, and the SLA clocks start."
        ),
    },
    {
        "stage": "opportunity",
        "rule": "",
        "owner_team": "sales",
        "explanation": (
            "Sales accepted the lead and opened a deal after a qualifying conversation (budget, "
            "need and timing confirmed). Entered when the deal is created."
        ),
    },
    {
        "stage": "customer",
        "rule": "",
        "owner_team": "sales",
        "explanation": "The deal was won and the customer signed. Entered when the deal is marked won.",
    },
    {
        "stage": "churned",
        "rule": "",
        "owner_team": "sales",
        "explanation": "A former customer who cancelled or did not renew.",
    },
)

SLA_TERMS: tuple[dict[str, Any], ...] = (
    {
        "kind": "first_contact_within",
        "amount": 4,
        "unit": "business_hours",
        "stage": "sql",
        "owner_team": "sales",
        "description": "Sales makes first contact with every SQL within 4 business hours.",
    },
    {
        "kind": "accept_within",
        "amount": 2,
        "unit": "business_days",
        "stage": "sql",
        "owner_team": "sales",
        "description": "Sales accepts or rejects every SQL within 2 business days.",
    },
    {
        "kind": "rejection_reason_within",
        "amount": 2,
        "unit": "days",
        "stage": "sql",
        "owner_team": "sales",
        "description": "Every rejected lead gets a reason within 2 days, so marketing can recycle it.",
    },
    {
        "kind": "volume_per_month",
        "amount": 300,
        "unit": "count",
        "stage": "mql",
        "owner_team": "marketing",
        "description": "Marketing delivers 300 MQLs a month.",
    },
)

PERSONAS: tuple[dict[str, str], ...] = (
    {
        "key": "ops_manager",
        "name": "Olivia, the operations manager",
        "description": (
            "Runs day-to-day operations and owns the KPIs our product reports. Feels the pain first, "
            "champions the purchase, and usually books the demo."
        ),
    },
    {
        "key": "it_director",
        "name": "Ian, the IT director",
        "description": "Approves integrations and security. Rarely starts the search but can stop it.",
    },
    {
        "key": "cfo",
        "name": "Carla, the CFO",
        "description": "Signs the budget. Wants payback in months and a clear total cost.",
    },
    {
        "key": "founder",
        "name": "Felix, the founder",
        "description": "In smaller companies the founder buys directly and decides fast.",
    },
    {
        "key": "analyst",
        "name": "Ana, the analyst",
        "description": (
            "Downloads a lot and attends webinars, but seldom buys. Nurture, don't forward to sales."
        ),
    },
)


def default_content() -> dict[str, Any]:
    """Fresh copies of the default content, in `agreement_draft_update`'s keyword shape."""
    return {
        "title": TITLE,
        "purpose": PURPOSE,
        "stage_order": list(DEFAULT_STAGE_ORDER),
        "sales_ready_stage": DEFAULT_SALES_READY_STAGE,
        "marketing_responsibilities": MARKETING_RESPONSIBILITIES,
        "sales_responsibilities": SALES_RESPONSIBILITIES,
        "stage_definitions": [dict(s) for s in STAGES],
        "sla_terms": [dict(t) for t in SLA_TERMS],
        "personas": [dict(p) for p in PERSONAS],
    }
