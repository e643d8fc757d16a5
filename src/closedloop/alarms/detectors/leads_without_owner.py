"""Sales-ready leads (SQL or later) that nobody owns: a lead without an owner is a lead nobody
calls (seed 002's leads lost between the teams). One alarm lists them all."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Min, Q

from closedloop.alarms.detectors.finding import Finding
from closedloop.alarms.models import AlarmKind, Severity
from closedloop.crm.lifecycle import STAGE_ORDER, Stage, stage_rank
from closedloop.crm.models import Contact

KIND = AlarmKind.LEADS_WITHOUT_OWNER
# Matches the default SLA term "sales makes first contact with every SQL within 4 working hours"
# (DESIGN §2), counted in clock hours: a lead nobody owns cannot be contacted by anyone.
MAX_HOURS = 4
CRITICAL_HOURS = 24
LISTED = 25  # contacts named in the evidence; the count covers all of them

SALES_READY = tuple(s for s in STAGE_ORDER if stage_rank(s) >= stage_rank(Stage.SQL))


@dataclass(frozen=True)
class Waiting:
    id: int
    name: str
    stage: str
    since: datetime
    hours: float

    def evidence(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "stage": self.stage, "since": self.since.isoformat(),
                "hours": self.hours}  # fmt: skip


def _waited(hours: float) -> str:
    if hours < 48:
        return f"{hours:.0f} hours"
    return f"{hours / 24:.1f} days"


def detect(*, now: datetime) -> list[Finding]:
    rows = (
        Contact.objects.filter(lifecycle_stage__in=SALES_READY, owner__isnull=True, created_at__lt=now)
        .annotate(
            ready_at=Min("stage_transitions__at", filter=Q(stage_transitions__to_stage__in=SALES_READY))
        )
        .values_list("pk", "first_name", "last_name", "email", "lifecycle_stage", "created_at", "ready_at")
    )
    limit = now - timedelta(hours=MAX_HOURS)
    waiting: list[Waiting] = []
    for pk, first, last, email, stage, created, ready in rows:
        # Imported contacts may have no transition into the stage; their creation is the best guess.
        since = ready or created
        if since <= limit:
            name = f"{first} {last}".strip() or email or f"Contact {pk}"
            waiting.append(Waiting(pk, name, stage, since, round((now - since).total_seconds() / 3600, 1)))
    if not waiting:
        return []
    waiting.sort(key=lambda w: -w.hours)
    oldest = waiting[0]
    n = len(waiting)
    message = (
        f"{n:,} sales-ready {'lead has' if n == 1 else 'leads have'} had no owner for more than "
        f"{MAX_HOURS} hours. The longest waiting is {oldest.name} ({Stage(oldest.stage).label}), for "
        f"{_waited(oldest.hours)}. Assign an owner: a lead nobody owns is a lead nobody calls."
    )
    return [
        Finding(
            kind=KIND,
            subject_key="all",
            severity=Severity.CRITICAL if oldest.hours >= CRITICAL_HOURS else Severity.WARNING,
            title=f"{n:,} sales-ready {'lead' if n == 1 else 'leads'} without owner",
            message=message,
            evidence={
                "count": n,
                "max_hours": MAX_HOURS,
                "oldest_hours": oldest.hours,
                "contacts": [w.evidence() for w in waiting[:LISTED]],
            },
        )
    ]
