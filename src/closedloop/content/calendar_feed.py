"""The content calendar as an iCalendar feed (RFC 5545), so both teams see it in their own
calendar app; each entry is an all-day event on its publishing date."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from closedloop.content.models import CalendarEntry


def calendar_ical(entries: Iterable[CalendarEntry], *, host: str, now: datetime) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//closedloop//content calendar//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Content calendar")
    for entry in entries:
        event = Event()
        event.add("uid", f"content-calendar-{entry.pk}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", entry.publish_on)
        event.add("dtend", entry.publish_on + timedelta(days=1))
        event.add("summary", f"[{entry.get_channel_display()}] {entry.title}")
        details = [f"Owner: {entry.owner.display_name}" if entry.owner else "", entry.note]
        event.add("description", "\n".join(d for d in details if d))
        cal.add_component(event)
    return cal.to_ical()
