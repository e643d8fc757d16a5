"""Per-domain send-rate limits: at most N emails a minute to one recipient domain, shared by
every worker through a counter row per domain and minute (a mailbox provider that sees a burst
from a new sender defers or junks it)."""

from datetime import datetime, timedelta

from django.db.models import F

from closedloop.automation.models import DomainRateLimit, DomainSendWindow

ANY_DOMAIN = "*"


def domain_limits() -> dict[str, int]:
    return dict(DomainRateLimit.objects.values_list("domain", "per_minute"))


def window_start(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def rate_reserve(*, domain: str, now: datetime, limits: dict[str, int]) -> bool:
    """Take one send from this minute's allowance for the domain; False when it is used up."""
    limit = limits.get(domain, limits.get(ANY_DOMAIN))
    if limit is None:
        return True
    start = window_start(now)
    DomainSendWindow.objects.get_or_create(domain=domain, window_start=start)
    taken = DomainSendWindow.objects.filter(domain=domain, window_start=start, sent__lt=limit).update(
        sent=F("sent") + 1
    )
    return taken == 1


def next_window(now: datetime) -> datetime:
    return window_start(now) + timedelta(minutes=1)


def windows_prune(*, now: datetime) -> int:
    return DomainSendWindow.objects.filter(window_start__lt=window_start(now) - timedelta(hours=1)).delete()[
        0
    ]
