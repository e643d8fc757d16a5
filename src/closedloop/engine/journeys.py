"""Customer journeys for attribution: touchpoints up to each conversion form its path.

Builds journeys from Arrow touchpoint and conversion tables (with DuckDB), aggregates them into
the ``channelattribution`` path format, and packs either form into :class:`Paths`, the compact
array layout every attribution model works on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# channelattribution's path format: "a > b > c".
PATH_SEPARATOR = ">"
# A touch whose key column is empty still happened; it must not vanish from the path.
MISSING_KEY = "(none)"
LEAD_FLAG = "is_lead_creation"
OPPORTUNITY_FLAG = "is_opportunity_creation"


@dataclass(frozen=True)
class Paths:
    """Journeys in CSR layout: touches of path ``p`` are ``codes[offsets[p]:offsets[p + 1]]``.

    ``ages`` is the time from each touch to its conversion (days for journeys built from
    timestamps, touches for the path format); ``lead_flags``/``opportunity_flags`` mark the
    W-shaped anchors when the input had them.
    """

    channels: list[str]
    offsets: np.ndarray
    codes: np.ndarray
    conversions: np.ndarray
    revenue: np.ndarray
    nulls: np.ndarray
    ages: np.ndarray
    lead_flags: np.ndarray | None = None
    opportunity_flags: np.ndarray | None = None

    @property
    def n_paths(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def path_of_touch(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_paths), self.lengths)

    def position_of_touch(self) -> np.ndarray:
        return np.arange(len(self.codes)) - np.repeat(self.offsets[:-1], self.lengths)


def journeys_build(touchpoints: pa.Table, conversions: pa.Table, *, key: str = "channel") -> pa.Table:
    """One row per journey: the touches of a person up to (and at) each of their conversions.

    A conversion's path holds the person's touches after their previous conversion and at or
    before this one; touches after the last conversion (or of people who never converted) form
    a non-converting ("null") journey. Conversions of one person at the same instant share one
    path (``conversions`` counts them, ``revenue`` sums them). Conversions with no touch before
    them cannot be attributed to any channel and yield no journey. Touches at the same instant
    are ordered by key so results are deterministic.

    ``key`` picks the column that names the touch (``channel``, ``campaign``, ...). Optional
    boolean columns ``is_lead_creation`` and ``is_opportunity_creation`` on the touchpoints mark
    the W-shaped anchors and are carried as per-touch lists.
    """
    _require_columns(touchpoints, "touchpoints", ("person_id", "ts", key))
    _require_columns(conversions, "conversions", ("person_id", "ts", "revenue"))
    # Narrow, renamed inputs keep the SQL static: the key column name never enters the query.
    n = touchpoints.num_rows
    touches = pa.table(
        {
            "person_id": touchpoints.column("person_id"),
            "ts": _utc_timestamps(touchpoints, "touchpoints"),
            "touch_key": pc.fill_null(pc.cast(touchpoints.column(key), pa.string()), MISSING_KEY),
            **{
                flag: (
                    pc.fill_null(pc.cast(touchpoints.column(flag), pa.bool_()), False)
                    if flag in touchpoints.column_names
                    else pa.array(np.zeros(n, dtype=bool))
                )
                for flag in (LEAD_FLAG, OPPORTUNITY_FLAG)
            },
        }
    )
    con = duckdb.connect()
    try:
        con.register("touchpoints_in", touches)
        con.register(
            "conversions_in",
            pa.table(
                {
                    "person_id": conversions.column("person_id"),
                    "ts": _utc_timestamps(conversions, "conversions"),
                    "revenue": conversions.column("revenue"),
                }
            ),
        )
        return con.sql(_JOURNEYS_SQL).to_arrow_table()
    finally:
        con.close()


_JOURNEYS_SQL = """
    WITH conv AS (
        SELECT person_id, ts, count(*) AS conversions,
               coalesce(sum(CAST(revenue AS DOUBLE)), 0) AS revenue
        FROM conversions_in GROUP BY person_id, ts
    ), touch AS (
        SELECT person_id, ts, touch_key, is_lead_creation,
               is_opportunity_creation
        FROM touchpoints_in
    ), joined AS (
        SELECT touch.*, conv.ts AS conversion_ts, conv.conversions, conv.revenue
        FROM touch ASOF LEFT JOIN conv
          ON touch.person_id = conv.person_id AND touch.ts <= conv.ts
    )
    SELECT person_id, conversion_ts,
           list(touch_key ORDER BY ts, touch_key) AS path,
           list(ts ORDER BY ts, touch_key) AS touch_ts,
           list(coalesce(epoch(conversion_ts - ts) / 86400.0, 0.0) ORDER BY ts, touch_key) AS ages,
           list(is_lead_creation ORDER BY ts, touch_key) AS is_lead_creation,
           list(is_opportunity_creation ORDER BY ts, touch_key) AS is_opportunity_creation,
           coalesce(any_value(conversions), 0)::BIGINT AS conversions,
           coalesce(any_value(revenue), 0.0)::DOUBLE AS revenue
    FROM joined
    GROUP BY person_id, conversion_ts
    ORDER BY person_id, conversion_ts NULLS LAST
"""

_AGGREGATE_SQL = """
    SELECT array_to_string(path, ' > ') AS path,
           sum(conversions)::DOUBLE AS total_conversions,
           sum(revenue)::DOUBLE AS total_conversion_value,
           sum(CASE WHEN conversions = 0 THEN 1 ELSE 0 END)::DOUBLE AS total_null
    FROM journeys_in
    WHERE len(path) > 0
    GROUP BY 1
    ORDER BY 1
"""


def paths_aggregate(journeys: pa.Table) -> pa.Table:
    """Group journeys by path into channelattribution's format.

    Columns: ``path`` ("a > b"), ``total_conversions``, ``total_conversion_value``, ``total_null``.
    """
    _require_columns(journeys, "journeys", ("path", "conversions", "revenue"))
    flat = pc.list_flatten(journeys.column("path"))
    clashes = pc.filter(flat, pc.match_substring(flat, PATH_SEPARATOR))
    if len(clashes):
        raise ValueError(
            f"channel {clashes[0].as_py()!r} contains {PATH_SEPARATOR!r}, "
            "which the path format uses as separator"
        )
    con = duckdb.connect()
    try:
        con.register("journeys_in", journeys.select(["path", "conversions", "revenue"]))
        return con.sql(_AGGREGATE_SQL).to_arrow_table()
    finally:
        con.close()


def paths_from_journeys(journeys: pa.Table) -> Paths:
    """Pack journeys (from :func:`journeys_build`) into :class:`Paths`, one path per journey.

    Ages are in days, so the time-decay half-life is in days too.
    """
    _require_columns(journeys, "journeys", ("path", "ages", "conversions", "revenue"))
    journeys = journeys.filter(pc.greater(pc.list_value_length(journeys.column("path")), 0))
    path_col = journeys.column("path").combine_chunks()
    channels, codes = _encode(pc.list_flatten(path_col))
    converted = journeys.column("conversions").to_numpy().astype(np.float64)
    flags = {
        name: np.asarray(pc.list_flatten(journeys.column(name)).to_numpy(zero_copy_only=False), bool)
        for name in (LEAD_FLAG, OPPORTUNITY_FLAG)
        if name in journeys.column_names
    }
    return Paths(
        channels=channels,
        offsets=_offsets(path_col),
        codes=codes,
        conversions=converted,
        revenue=journeys.column("revenue").to_numpy().astype(np.float64),
        nulls=(converted == 0).astype(np.float64),
        ages=pc.list_flatten(journeys.column("ages")).to_numpy().astype(np.float64),
        lead_flags=flags.get(LEAD_FLAG),
        opportunity_flags=flags.get(OPPORTUNITY_FLAG),
    )


def paths_from_channelattribution(
    table: pa.Table,
    *,
    path: str = "path",
    conversions: str = "total_conversions",
    revenue: str | None = "total_conversion_value",
    nulls: str | None = "total_null",
    separator: str = PATH_SEPARATOR,
) -> Paths:
    """Pack a table in channelattribution's format into :class:`Paths`.

    Identical path strings are summed first (so a 1M-row journey export becomes a few thousand
    paths before any per-touch work). ``revenue``/``nulls`` columns are optional: when the named
    column is absent they count as zero. Ages are touches before the last touch, since this
    format carries no timestamps.
    """
    _require_columns(table, "paths", [c for c in (path, conversions) if c])
    numeric = {"conversions": conversions, "revenue": revenue, "nulls": nulls}
    present = {k: c for k, c in numeric.items() if c is not None and c in table.column_names}
    # Group identical paths: one hash pass (dictionary encoding) plus numpy sums per group.
    encoded = pc.dictionary_encode(_as_string(table.column(path), path))
    group = encoded.indices.to_numpy(zero_copy_only=False)
    paths_col = encoded.dictionary
    sums = {
        key: np.bincount(
            group,
            weights=_as_number(table.column(name), name).to_numpy(zero_copy_only=False),
            minlength=len(paths_col),
        )
        for key, name in present.items()
    }
    tokens = pc.split_pattern(paths_col, pattern=separator)
    flat = pc.utf8_trim_whitespace(pc.list_flatten(tokens))
    parent = pc.list_parent_indices(tokens).to_numpy()
    keep = pc.not_equal(flat, "").to_numpy(zero_copy_only=False)
    flat, parent = flat.filter(pa.array(keep)), parent[keep]
    lengths = np.bincount(parent, minlength=len(paths_col))
    if len(lengths) and lengths.min() == 0:
        row = int(np.flatnonzero(group == lengths.argmin())[0])
        raise ValueError(
            f"column '{path}' row {row + 1}: {paths_col[int(lengths.argmin())].as_py()!r} is an empty path"
        )
    channels, codes = _encode(flat)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    zeros = np.zeros(len(paths_col))
    positions = np.arange(len(codes)) - np.repeat(offsets[:-1], lengths)
    return Paths(
        channels=channels,
        offsets=offsets,
        codes=codes,
        conversions=sums["conversions"],
        revenue=sums.get("revenue", zeros),
        nulls=sums.get("nulls", zeros),
        ages=(np.repeat(lengths, lengths) - 1 - positions).astype(np.float64),
    )


def _utc_timestamps(table: pa.Table, name: str) -> pa.ChunkedArray:
    """Zone-free UTC timestamps, so ages are true elapsed time even across a DST change."""
    column = table.column("ts")
    if not (pa.types.is_timestamp(column.type) or pa.types.is_date(column.type)):
        raise ValueError(f"{name}.ts must be a timestamp or date column, got {column.type}")
    return pc.cast(column, pa.timestamp("us"))


def _encode(flat: pa.Array) -> tuple[list[str], np.ndarray]:
    """Channel codes numbered in sorted name order, so every model lists channels alike."""
    if isinstance(flat, pa.ChunkedArray):
        flat = flat.combine_chunks()
    encoded = pc.dictionary_encode(flat)
    names = encoded.dictionary.to_pylist()
    order = sorted(range(len(names)), key=names.__getitem__)
    rank = np.empty(len(names), dtype=np.int32)
    rank[order] = np.arange(len(names), dtype=np.int32)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    return [names[i] for i in order], rank[indices] if len(indices) else np.zeros(0, np.int32)


def _offsets(lists: pa.ListArray) -> np.ndarray:
    offsets = lists.offsets.to_numpy().astype(np.int64)
    return offsets - offsets[0]


def _require_columns(table: pa.Table, name: str, columns: Iterable[str]) -> None:
    for column in columns:
        if column not in table.column_names:
            raise ValueError(f"{name} is missing column '{column}' (has: {', '.join(table.column_names)})")


def _as_string(column: pa.ChunkedArray, name: str) -> pa.Array:
    if column.null_count:
        raise ValueError(f"column '{name}' is empty at row {_first_null(column) + 1}")
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        raise ValueError(f"column '{name}' must hold text paths, got {column.type}")
    return column.combine_chunks()


def _as_number(column: pa.ChunkedArray, name: str) -> pa.Array:
    """Cast to float64, naming the first bad row: these columns come straight from user files."""
    if column.null_count:
        raise ValueError(f"column '{name}' is empty at row {_first_null(column) + 1}")
    try:
        values = pc.cast(column, pa.float64()).combine_chunks()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        for row, value in enumerate(column.to_pylist()):
            try:
                float(value)
            except (TypeError, ValueError):
                raise ValueError(f"column '{name}' row {row + 1}: {value!r} is not a number") from None
        raise ValueError(f"column '{name}' must be numeric, got {column.type}") from None
    array = values.to_numpy(zero_copy_only=False)
    bad = np.flatnonzero(~np.isfinite(array) | (array < 0))
    if len(bad):
        raise ValueError(f"column '{name}' row {bad[0] + 1}: {array[bad[0]]!r} must be a finite number ≥ 0")
    return values


def _first_null(column: pa.ChunkedArray) -> int:
    return int(np.flatnonzero(pc.is_null(column).to_numpy(zero_copy_only=False))[0])
