"""iCalendar invitations: one VEVENT per scheduled occurrence, with a stable UID so calendar apps
update an event instead of duplicating it when the file is imported again."""

from datetime import UTC

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from closedloop.meetings.models import MeetingSeries

PRODID = "-//closedloop//meetings//EN"


def series_ical(series: MeetingSeries, *, host: str = "closedloop") -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    base = getattr(settings, "CLOSEDLOOP_BASE_URL", "")
    people = list(series.participants.all())
    for occurrence in series.occurrences.order_by("starts_at"):
        event = Event()
        event.add("uid", f"meeting-occurrence-{occurrence.pk}@{host}")
        event.add("summary", series.name)
        event.add("dtstart", occurrence.starts_at.astimezone(UTC))
        event.add("dtend", occurrence.ends_at.astimezone(UTC))
        event.add("dtstamp", timezone.now())
        if series.location:
            event.add("location", series.location)
        event.add("description", f"Agenda pack and minutes: {base}/meetings/occurrences/{occurrence.pk}/")
        if series.presider and series.presider.email:
            organizer = vCalAddress(f"mailto:{series.presider.email}")
            organizer.params["cn"] = vText(series.presider.display_name)
            event["organizer"] = organizer
        for person in people:
            if person.email:
                attendee = vCalAddress(f"mailto:{person.email}")
                attendee.params["cn"] = vText(person.display_name)
                attendee.params["role"] = vText("REQ-PARTICIPANT")
                event.add("attendee", attendee, encode=0)
        cal.add_component(event)
    return cal.to_ical()
