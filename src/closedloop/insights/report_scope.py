"""What every insights report is restricted to: a period, optionally one campaign or channel, and
for agency partners their own campaigns (DESIGN §3.12). Contacts are attributed to their
first-touch (source) campaign, as on the dashboard, so every report counts the same people."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.utils import timezone

from closedloop.engine.periods import Period as EnginePeriod
from closedloop.insights.periods import Period


@dataclass(frozen=True)
class ReportScope:
    """`campaigns_visible` None means everything; otherwise the campaign ids a partner may see
    (a partner without campaigns gets an empty set and sees nothing)."""

    period: Period
    campaign_id: int | None = None
    channel: str | None = None
    campaigns_visible: frozenset[int] | None = None

    @property
    def is_scoped(self) -> bool:
        return self.campaigns_visible is not None

    def engine_period(self) -> EnginePeriod:
        since, until = self.period.datetime_range()
        return EnginePeriod(since.astimezone(UTC), until.astimezone(UTC))

    def as_of(self) -> datetime:
        """The end of the period, or now when the period has not ended yet."""
        return min(self.engine_period().end, timezone.now().astimezone(UTC))

    def contact_mask(self, contacts: pa.Table) -> pa.ChunkedArray | pa.Array:
        """Which rows of contacts_table() the scope keeps."""
        keep = pa.array(np.ones(contacts.num_rows, dtype=bool))
        campaign = contacts.column("campaign_id")
        if self.campaign_id:
            keep = pc.and_(keep, pc.fill_null(pc.equal(campaign, self.campaign_id), False))
        if self.channel:
            keep = pc.and_(keep, pc.fill_null(pc.equal(contacts.column("channel"), self.channel), False))
        if self.campaigns_visible is not None:
            allowed = pa.array(sorted(self.campaigns_visible), pa.int64())
            keep = pc.and_(keep, pc.fill_null(pc.is_in(campaign, value_set=allowed), False))
        return keep

    def contact_ids(self, contacts: pa.Table) -> pa.Array | None:
        """The contact ids in scope, or None when the scope keeps everyone (no filtering needed)."""
        if not self.campaign_id and not self.channel and self.campaigns_visible is None:
            return None
        return contacts.column("contact_id").filter(self.contact_mask(contacts)).combine_chunks()

    def costs(self, costs: pa.Table, campaigns: pa.Table) -> pa.Table:
        """Cost rows of the campaigns in scope (all periods; reports cut them by date)."""
        allowed = [
            cid
            for cid, channel in zip(
                campaigns.column("campaign_id").to_pylist(),
                campaigns.column("channel").to_pylist(),
                strict=True,
            )
            if (not self.campaign_id or cid == self.campaign_id)
            and (not self.channel or channel == self.channel)
            and (self.campaigns_visible is None or cid in self.campaigns_visible)
        ]
        return costs.filter(pc.is_in(costs.column("campaign_id"), value_set=pa.array(allowed, pa.int64())))


def only_contacts(table: pa.Table, ids: pa.Array | None, column: str = "contact_id") -> pa.Table:
    """Rows whose contact is in `ids` (None keeps every row)."""
    if ids is None:
        return table
    return table.filter(pc.fill_null(pc.is_in(table.column(column), value_set=ids), False))


def scope_build(
    *,
    period: Period,
    campaign_id: int | None = None,
    channel: str | None = None,
    campaigns_visible: Collection[int] | None = None,
) -> ReportScope:
    visible = None if campaigns_visible is None else frozenset(int(c) for c in campaigns_visible)
    return ReportScope(
        period=period, campaign_id=campaign_id, channel=channel or None, campaigns_visible=visible
    )


def month_starts(start: date, end: date) -> list[date]:
    """First days of the calendar months from `start`'s month to `end`'s month."""
    months, cursor = [], date(start.year, start.month, 1)
    while cursor <= end:
        months.append(cursor)
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    return months
