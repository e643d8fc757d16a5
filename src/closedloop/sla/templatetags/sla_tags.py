from django import template
from django.utils import timezone

from closedloop.sla.models import ClockStatus, SlaClock

register = template.Library()


@register.filter
def clock_state(clock: SlaClock) -> str:
    """A short state for the badge: met, breached, overdue (breached and not done), running."""
    if clock.stopped_at is None and clock.status == ClockStatus.BREACHED:
        return "overdue"
    if clock.stopped_at is None and clock.due_at <= timezone.now():
        return "overdue"  # the periodic check has not marked it yet
    return clock.status
