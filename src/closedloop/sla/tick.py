"""One SLA pass, as `closedloop sla check` and the worker's periodic job run it."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError

from closedloop.handoff.services import handoffs_route_pending
from closedloop.sla.services import CheckResult, sla_clocks_check

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tick:
    routed: int
    routing_error: str
    clocks: CheckResult

    def summary(self) -> dict[str, int]:
        return {
            "routed": self.routed,
            "started": self.clocks.started,
            "stopped": self.clocks.stopped,
            "cancelled": self.clocks.cancelled,
            "breached": len(self.clocks.breached),
            "warned": self.clocks.warned,
        }


def sla_tick(*, now: datetime | None = None) -> Tick:
    """Route sales-ready leads that have no open handoff, then settle the clocks. "No lead is left
    without an owner and a running clock": routing first gives every such lead its clocks. When
    nobody can be routed to, the clocks that exist are still settled and the reason is returned."""
    try:
        routed, error = len(handoffs_route_pending(now=now)), ""
    except ValidationError as exc:
        routed, error = 0, " ".join(exc.messages)
        log.warning("routing: %s", error)
    return Tick(routed=routed, routing_error=error, clocks=sla_clocks_check(now=now))
