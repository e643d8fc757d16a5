"""Routing on arrival: a contact that enters the sales-ready stage (by a rule, an import, a manual
move) is routed to an owner as soon as the change commits, so no lead waits for a batch job."""

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from closedloop.crm.models import Contact

log = logging.getLogger(__name__)


def route_sales_ready(sender: Any, *, stage: str, contact_ids: list[int], **kwargs: Any) -> None:
    from closedloop.handoff.services import handoff_route, handoff_stages

    ready, _, _ = handoff_stages()
    if stage != ready or not contact_ids:
        return
    ids = list(contact_ids)

    def route() -> None:
        for contact in Contact.objects.filter(pk__in=ids, lifecycle_stage=ready).order_by("pk"):
            try:
                handoff_route(contact=contact)
            except ValidationError as exc:
                # Nobody to route to: the "leads without owner" alarm reports it within the hour.
                log.warning("contact %s not routed: %s", contact.pk, exc)

    transaction.on_commit(route)
