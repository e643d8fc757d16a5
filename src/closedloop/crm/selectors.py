"""Reads for the CRM core."""

from django.db.models import Q, QuerySet

from closedloop.crm.models import Activity, Contact, Deal, StageTransition
from closedloop.tracking.models import Event

SEARCH_FIELDS = ("email", "first_name", "last_name", "account__name")


def contact_list(
    *, q: str = "", stage: str | None = None, campaign_id: int | None = None, channel: str = ""
) -> QuerySet[Contact]:
    """Newest first. `q` is split into words and every word must match a name, the email or the
    company, so "ada acme" finds Ada at Acme and "Ada Lovelace" finds her by full name."""
    qs = Contact.objects.select_related("account", "source_campaign", "owner").order_by("-created_at", "-id")
    for term in q.split()[:8]:
        qs = qs.filter(Q.create([(f"{field}__icontains", term) for field in SEARCH_FIELDS], connector=Q.OR))
    if stage:
        qs = qs.filter(lifecycle_stage=stage)
    if campaign_id:
        qs = qs.filter(source_campaign_id=campaign_id)
    if channel:
        qs = qs.filter(source_campaign__channel=channel)
    return qs


def contact_get(*, contact_id: int) -> Contact | None:
    """The contact with what its header shows, or None."""
    return Contact.objects.select_related("account", "owner", "source_campaign").filter(pk=contact_id).first()


def contact_touchpoints(*, contact: Contact) -> QuerySet[Event]:
    """The contact's events, newest first (uses the (contact, ts) index); paginate it."""
    return (
        Event.objects.filter(contact=contact)
        .select_related("campaign")
        .only(
            "id",
            "type",
            "ts",
            "url",
            "properties",
            "utm_source",
            "utm_medium",
            "campaign__id",
            "campaign__name",
        )
        .order_by("-ts", "-id")
    )


def contact_stage_history(*, contact: Contact) -> QuerySet[StageTransition]:
    """Stage changes in the order they happened."""
    return (
        StageTransition.objects.filter(contact=contact)
        .select_related("by", "agreement_version")
        .order_by("at", "id")
    )


def contact_deals(*, contact: Contact) -> QuerySet[Deal]:
    return (
        Deal.objects.filter(contact=contact)
        .select_related("owner", "source_campaign")
        .order_by("-created_at")
    )


def contact_activities(*, contact: Contact) -> QuerySet[Activity]:
    return Activity.objects.filter(contact=contact).select_related("user", "deal").order_by("-at", "-id")
