"""The attribution page's report: every model side by side (engine.attribution), by channel or
campaign, for conversions and revenue.

A conversion is a won deal of a contact, at its close time, worth its amount; its path is the
contact's campaign touchpoints (events with a campaign) since their previous won deal, no older
than the look-back. Conversions closed in the period are credited; touches of contacts who did
not convert form the non-converting paths that the Markov model needs. For partners, the people
are those their campaigns brought in, and other campaigns' names are not shown.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pyarrow as pa
import pyarrow.compute as pc

from closedloop.engine.attribution import MODELS, attribute
from closedloop.engine.journeys import journeys_build, paths_from_journeys
from closedloop.insights import datasets
from closedloop.insights.report_scope import ReportScope, only_contacts
from closedloop.tracking.models import Channel

KEYS = {"channel": "Channel", "campaign": "Campaign"}
MODEL_LABELS = {
    "first": "First touch",
    "last": "Last touch",
    "linear": "Linear",
    "u_shaped": "U-shaped",
    "w_shaped": "W-shaped",
    "time_decay": "Time decay",
    "markov": "Markov",
    "shapley": "Shapley",
}
OTHER_CAMPAIGNS = "Other campaigns"
LOOKBACK_DAYS = 90
UTC_US = pa.timestamp("us", tz="UTC")


class AttributionInputError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class AttributionRow:
    key: str
    conversions: dict[str, float]  # model → credited conversions
    revenue: dict[str, float]  # model → credited revenue


@dataclass(frozen=True)
class AttributionReport:
    by: str
    models: tuple[str, ...]
    rows: tuple[AttributionRow, ...]
    conversions: int  # won deals in the period with at least one touch before them
    revenue: float
    unattributed: int  # won deals in the period with no touch to credit

    def model_labels(self) -> list[str]:
        return [MODEL_LABELS[m] for m in self.models]

    def chart(self, measure: str = "conversions") -> dict[str, object]:
        """One dataset per model, one bar group per key."""
        return {
            "labels": [r.key for r in self.rows],
            "series": [
                {"label": MODEL_LABELS[m], "values": [round(getattr(r, measure)[m], 2) for r in self.rows]}
                for m in self.models
            ],
        }

    def csv_rows(self) -> list[list[object]]:
        out = []
        for r in self.rows:
            out.append([r.key, "conversions", *(round(r.conversions[m], 4) for m in self.models)])
            out.append([r.key, "revenue", *(round(r.revenue[m], 2) for m in self.models)])
        return out

    def csv_header(self) -> list[str]:
        return [self.by, "measure", *self.models]


def attribution_report(
    *, scope: ReportScope, by: str = "channel", lookback_days: int = LOOKBACK_DAYS, half_life: float = 7.0
) -> AttributionReport:
    if by not in KEYS:
        raise AttributionInputError("by", f"by must be one of {', '.join(KEYS)}")
    if not 1 <= lookback_days <= 730:
        raise AttributionInputError("lookback_days", "the look-back must be 1 to 730 days")
    if not 0 < half_life <= 365:
        raise AttributionInputError("half_life", "the half-life must be more than 0 and at most 365 days")
    period = scope.engine_period()
    start = pa.scalar(period.start, UTC_US)
    end = pa.scalar(scope.as_of(), UTC_US)
    ids = scope.contact_ids(datasets.contacts_table())

    deals = only_contacts(datasets.deals_table(), ids)
    deals = deals.filter(
        pc.and_(
            pc.and_(pc.equal(deals["stage"], "won"), pc.is_valid(deals["contact_id"])),
            pc.less(deals["closed_at"], end),
        )
    )
    conversions = pa.table(
        {"person_id": deals["contact_id"], "ts": deals["closed_at"], "revenue": deals["amount"]}
    )
    touches = _touches(scope, ids, pa.scalar(period.start - timedelta(days=lookback_days), UTC_US), end, by)
    journeys = journeys_build(touches, conversions, key="key")
    # journeys_build hands back naive UTC times.
    conversion_ts = pc.cast(journeys["conversion_ts"], UTC_US)
    in_period = pc.and_(pc.greater_equal(conversion_ts, start), pc.less(conversion_ts, end))
    # Credit this period's conversions; keep the non-converting paths (conversion_ts is null).
    journeys = journeys.filter(pc.or_(pc.fill_null(in_period, False), pc.is_null(conversion_ts)))
    won_in_period = deals.filter(
        pc.and_(pc.greater_equal(deals["closed_at"], start), pc.less(deals["closed_at"], end))
    )
    converted = journeys.filter(pc.greater(journeys["conversions"], 0))
    attributed = int(pc.sum(converted["conversions"]).as_py() or 0)

    rows: tuple[AttributionRow, ...] = ()
    if attributed:
        paths = paths_from_journeys(journeys)
        # Each model once, both measures from its table (engine.attribution_compare runs every
        # model again per measure); the models are independent numpy work, run side by side.
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = pool.map(lambda m: attribute(paths, m, half_life=half_life), MODELS)
            tables = dict(zip(MODELS, results, strict=True))
        keys = tables[MODELS[0]].column("key").to_pylist()
        conv = {m: tables[m].column("conversions").to_pylist() for m in MODELS}
        rev = {m: tables[m].column("revenue").to_pylist() for m in MODELS}
        rows = tuple(
            AttributionRow(
                key=k,
                conversions={m: conv[m][i] for m in MODELS},
                revenue={m: rev[m][i] for m in MODELS},
            )
            for i, k in enumerate(keys)
        )
        rows = tuple(sorted(rows, key=lambda r: (-r.revenue["linear"], -r.conversions["linear"], r.key)))
    return AttributionReport(
        by=by,
        models=MODELS,
        rows=rows,
        conversions=attributed,
        revenue=float(pc.sum(converted["revenue"]).as_py() or 0.0),
        unattributed=won_in_period.num_rows - attributed,
    )


def _touches(
    scope: ReportScope, ids: pa.Array | None, since: pa.Scalar, until: pa.Scalar, by: str
) -> pa.Table:
    events = datasets.events_table()
    events = events.filter(
        pc.and_(
            pc.is_valid(events["campaign_id"]),
            pc.and_(pc.greater_equal(events["ts"], since), pc.less(events["ts"], until)),
        )
    )
    events = only_contacts(events, ids)
    campaigns = datasets.campaigns_table()
    names = dict(zip(campaigns["campaign_id"].to_pylist(), campaigns["name"].to_pylist(), strict=True))
    channels = dict(zip(campaigns["campaign_id"].to_pylist(), campaigns["channel"].to_pylist(), strict=True))
    channel_labels = dict(Channel.choices)
    # Few campaigns, many touches: map through a dictionary of campaign id → key.
    if by == "channel":
        key_of = {cid: channel_labels.get(ch, ch) for cid, ch in channels.items()}
    else:
        key_of = {
            cid: name
            if scope.campaigns_visible is None or cid in scope.campaigns_visible
            else OTHER_CAMPAIGNS
            for cid, name in names.items()
        }
    ids_sorted = sorted(key_of)
    index = pc.index_in(events["campaign_id"], value_set=pa.array(ids_sorted, pa.int64()))
    keys = pc.take(pa.array([key_of[c] for c in ids_sorted], pa.string()), index)
    touches = pa.table(
        {
            "person_id": events["contact_id"],
            "key": keys,
            "day": pc.floor_temporal(events["ts"], unit="day"),
            "ts": events["ts"],
        }
    )
    # One touch per person, key and day: the page views of a visit an ad click started are that
    # same touch, not extra credit for the channel.
    first = touches.group_by(["person_id", "key", "day"], use_threads=False).aggregate([("ts", "min")])
    return pa.table({"person_id": first["person_id"], "ts": first["ts_min"], "key": first["key"]})
