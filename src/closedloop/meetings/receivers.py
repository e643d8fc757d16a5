"""A deal saved as won goes on the live feed once the change commits (seed 002: both teams see the
other's wins). Bulk writes (imports, the demo) do not send signals; they call feed_win_record."""

import logging
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)


def deal_saved(sender: Any, *, instance: Any, **kwargs: Any) -> None:
    if instance.stage != "won":
        return
    deal_id = instance.pk

    def record() -> None:
        from closedloop.crm.models import Deal
        from closedloop.meetings.services.feed import feed_win_record

        deal = Deal.objects.filter(pk=deal_id, stage="won").select_related("owner", "source_campaign").first()
        if deal is None:
            return
        try:
            feed_win_record(deal=deal)
        except Exception:  # the win is saved either way; the feed is a courtesy
            log.exception("deal %s not put on the feed", deal_id)

    transaction.on_commit(record)
