"""Backtest a draft agreement against a baseline (the active version by default): read the stored
history in bulk — one query each for contacts, events and deals — and replay both versions' stage
rules with the engine (closedloop.engine.backtest, where the semantics are written down)."""

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from closedloop.agreement.models import AgreementVersion
from closedloop.agreement.selectors import AgreementTerms, agreement_terms_get
from closedloop.crm.models import Contact, Deal
from closedloop.engine.backtest import BASELINE, DRAFT, BacktestResult, backtest_replay, rules_compile
from closedloop.tracking.models import Event

# Vocabulary field → the Contact column it reads (through its account and first-touch campaign);
# the same mapping as the stage engine's facts, so a replay means what the live engine does.
_COLUMNS: dict[str, str] = {
    "persona": "persona",
    "title": "title",
    "lifecycle_stage": "lifecycle_stage",
    "lead_score": "lead_score",
    "email_domain": "email",
    "company_size": "account__employees",
    "industry": "account__industry",
    "annual_revenue": "account__annual_revenue",
    "campaign": "source_campaign__utm_campaign",
    "channel": "source_campaign__channel",
}
_TYPES: dict[str, pa.DataType] = {
    "lead_score": pa.float64(),
    "annual_revenue": pa.float64(),
    "company_size": pa.int64(),
}


@dataclass(frozen=True)
class Backtest:
    """A backtest's result together with the two versions it compared."""

    draft: AgreementTerms
    baseline: AgreementTerms
    result: BacktestResult
    contacts: int
    events: int
    deals: int


def _utc(value: datetime | None) -> datetime | None:
    # The engine works in naive UTC; SQLite and PostgreSQL both hand back aware datetimes here.
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _blank(value: Any) -> Any:
    return None if value == "" else value


def contacts_table(*, static: set[str]) -> pa.Table:
    """contact_id, created_at and the static facts the rules name, as of now (one query)."""
    names = sorted(n for n in static if n in _COLUMNS or n == "country")
    fields = ["pk", "created_at"]
    for n in names:
        fields += ["properties__country", "account__country"] if n == "country" else [_COLUMNS[n]]
    rows = list(Contact.objects.order_by().values_list(*fields))
    columns: dict[str, pa.Array] = {
        "contact_id": pa.array([r[0] for r in rows], pa.int64()),
        "created_at": pa.array([_utc(r[1]) for r in rows], pa.timestamp("us")),
    }
    i = 2
    for n in names:
        if n == "country":
            values = [_blank(r[i]) or _blank(r[i + 1]) for r in rows]
            i += 2
        else:
            values = [_blank(r[i]) for r in rows]
            i += 1
        if n == "email_domain":
            values = [v.rpartition("@")[2].lower() or None if v else None for v in values]
        elif n in ("lead_score", "annual_revenue"):
            values = [None if v is None else float(v) for v in values]
        columns[n] = pa.array(values, _TYPES.get(n, pa.string()))
    return pa.table(columns)


def events_table(*, types: set[str]) -> pa.Table:
    """contact_id, type, ts of the contacts' events of the named types (one query)."""
    rows = list(
        Event.objects.order_by()
        .filter(contact__isnull=False, type__in=sorted(types))
        .values_list("contact_id", "type", "ts")
    )
    return pa.table(
        {
            "contact_id": pa.array([r[0] for r in rows], pa.int64()),
            "type": pa.array([r[1] for r in rows], pa.string()),
            "ts": pa.array([_utc(r[2]) for r in rows], pa.timestamp("us")),
        }
    )


def deals_table() -> pa.Table:
    """contact_id, stage, amount, created_at, closed_at of deals with a contact (one query)."""
    rows = list(
        Deal.objects.order_by()
        .filter(contact__isnull=False)
        .values_list("contact_id", "stage", "amount", "created_at", "closed_at")
    )
    return pa.table(
        {
            "contact_id": pa.array([r[0] for r in rows], pa.int64()),
            "stage": pa.array([r[1] for r in rows], pa.string()),
            "amount": pa.array([float(r[2]) for r in rows], pa.float64()),
            "created_at": pa.array([_utc(r[3]) for r in rows], pa.timestamp("us")),
            "closed_at": pa.array([_utc(r[4]) for r in rows], pa.timestamp("us")),
        }
    )


def backtest_run(*, draft: AgreementVersion, baseline: AgreementVersion | None = None) -> Backtest | None:
    """Replay `draft` and `baseline` (default: the active version) over all stored history.
    None when there is no baseline (nothing is active yet). Raises RuleError if a rule does not
    parse — a draft in progress may hold one; the caller reports it. Missed / added revenue and the
    sales volumes are counted at the draft's sales-ready stage under both rule sets."""
    draft_terms = agreement_terms_get(version=draft)
    baseline_terms = agreement_terms_get(version=baseline)
    if draft_terms is None or baseline_terms is None:
        return None
    compiled = [rules_compile(draft_terms.rules), rules_compile(baseline_terms.rules)]
    static = set().union(*(c.static for c in compiled))
    types = {event for c in compiled for event, _ in c.counts.values()}
    contacts = contacts_table(static=static)
    events = events_table(types=types)
    deals = deals_table()
    # The draft decides which contacts go to sales; its own order names the stages shown.
    result = backtest_replay(
        events=events,
        contacts=contacts,
        deals=deals,
        draft=draft_terms.rules,
        baseline=baseline_terms.rules,
        sales_ready_stage=draft_terms.sales_ready_stage,
        stage_order=tuple(dict.fromkeys([*draft_terms.stage_order, *baseline_terms.stage_order])),
    )
    return Backtest(
        draft=draft_terms,
        baseline=baseline_terms,
        result=result,
        contacts=contacts.num_rows,
        events=events.num_rows,
        deals=deals.num_rows,
    )


def backtest_as_dict(backtest: Backtest) -> dict[str, Any]:
    """The API's shape of a backtest (see agreement.api.BacktestOut)."""
    result = backtest.result
    stages = []
    for stage in result.stages:
        for rule_set in (DRAFT, BASELINE):
            outcome = result.outcome(rule_set, stage)
            if outcome is None:
                continue
            stages.append(
                {
                    "stage": stage,
                    "rule_set": rule_set,
                    "entered": outcome.entered,
                    "converted": outcome.converted,
                    "won": outcome.won,
                    "conversion_rate": outcome.conversion_rate,
                    "win_rate": outcome.win_rate,
                    "won_revenue": outcome.won_revenue,
                    "monthly": {
                        m.strftime("%Y-%m"): result.entries(rule_set, stage, m) for m in result.months
                    },
                }
            )
    return {
        "draft_number": backtest.draft.number,
        "baseline_number": backtest.baseline.number,
        "sales_ready_stage": result.sales_ready_stage,
        "stages": stages,
        "missed": asdict(result.missed),
        "added": asdict(result.added),
        "contacts": backtest.contacts,
        "events": backtest.events,
        "deals": backtest.deals,
    }
