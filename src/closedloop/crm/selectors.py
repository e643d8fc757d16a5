"""Reads for the CRM core."""

from django.db.models import Q, QuerySet

from closedloop.crm.models import Contact


def contact_list(
    *, q: str = "", stage: str | None = None, campaign_id: int | None = None, channel: str = ""
) -> QuerySet[Contact]:
    qs = Contact.objects.select_related("account", "source_campaign", "owner").order_by("-created_at", "-id")
    q = q.strip()
    if q:
        qs = qs.filter(
            Q(email__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q)
            | Q(account__name__icontains=q)
        )
    if stage:
        qs = qs.filter(lifecycle_stage=stage)
    if campaign_id:
        qs = qs.filter(source_campaign_id=campaign_id)
    if channel:
        qs = qs.filter(source_campaign__channel=channel)
    return qs
