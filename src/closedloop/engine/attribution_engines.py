"""Attribution from touchpoints and conversions on DuckDB, PostgreSQL or ClickHouse.

`attribution_run(touchpoints, conversions, "linear", engine="postgres")` builds the journeys and
credits the channels inside the engine, with the queries in `attribution_sql.py`; the result is
the same table the Python models in `attribution.py` return for
`paths_from_journeys(journeys_build(...))`. Rule-based models are computed per touch in SQL.
Markov and Shapley solve exactly in numpy/scipy on top of the path counts the engine computes
(`journey_paths_count`), since their linear algebra and coalition sums are not set operations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from closedloop.engine import backends
from closedloop.engine.attribution import DEFAULT_HALF_LIFE, MEASURES, MODELS
from closedloop.engine.attribution_sql import RULE_MODELS, credit_sql, path_counts_sql
from closedloop.engine.dialects import Engine, engine_parse
from closedloop.engine.journeys import (
    LEAD_FLAG,
    MISSING_KEY,
    OPPORTUNITY_FLAG,
    PATH_SEPARATOR,
    Paths,
    _require_columns,
    _utc_timestamps,
    paths_from_channelattribution,
)
from closedloop.engine.markov import markov_attribution
from closedloop.engine.shapley import shapley_attribution

__all__ = ["attribution_compare_run", "attribution_run", "journey_paths_count"]


def attribution_run(
    touchpoints: pa.Table,
    conversions: pa.Table,
    model: str,
    *,
    key: str = "channel",
    half_life: float = DEFAULT_HALF_LIFE,
    order: int = 1,
    engine: str | Engine = Engine.DUCKDB,
    dsn: str | None = None,
) -> pa.Table:
    """One model's credit per ``key`` value: ``key, conversions, revenue``, in key order.

    ``touchpoints``: ``person_id``, ``ts``, ``key`` and optionally ``is_lead_creation`` /
    ``is_opportunity_creation``; ``conversions``: ``person_id``, ``ts``, ``revenue`` — as for
    :func:`~closedloop.engine.journeys.journeys_build`. ``half_life`` is in days.
    """
    compared = attribution_compare_run(
        touchpoints,
        conversions,
        models=(model,),
        measure=None,
        key=key,
        half_life=half_life,
        order=order,
        engine=engine,
        dsn=dsn,
    )
    return compared.rename_columns(["key", "conversions", "revenue"])


def attribution_compare_run(
    touchpoints: pa.Table,
    conversions: pa.Table,
    *,
    models: Sequence[str] = MODELS,
    measure: str | None = "conversions",
    key: str = "channel",
    half_life: float = DEFAULT_HALF_LIFE,
    order: int = 1,
    engine: str | Engine = Engine.DUCKDB,
    dsn: str | None = None,
) -> pa.Table:
    """All ``models`` side by side: ``key`` then one column per model for ``measure``.

    The engine counterpart of :func:`~closedloop.engine.attribution.attribution_compare`. With
    ``measure=None`` each model gives two columns, ``<model>_conversions`` and ``<model>_revenue``.
    """
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ValueError(f"unknown attribution model {unknown[0]!r}; choose from {', '.join(MODELS)}")
    if measure is not None and measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}, got {measure!r}")
    if not half_life > 0:
        raise ValueError(f"half_life must be > 0, got {half_life!r}")
    target = engine_parse(engine)
    tables, channels = _inputs(touchpoints, conversions, key)
    measures = MEASURES if measure is None else (measure,)
    columns: dict[str, pa.Array] = {"key": pa.array(channels, pa.string())}
    credit = None
    if any(m in RULE_MODELS for m in models):
        credit = _by_code(backends.run(credit_sql(float(half_life)), tables, target, dsn=dsn), len(channels))
    paths = None
    for model in models:
        if model in RULE_MODELS:
            assert credit is not None
            result = {m: credit[f"{model}_{m}"] for m in MEASURES}
        else:
            if paths is None:
                paths = _paths(backends.run(path_counts_sql(), tables, target, dsn=dsn), channels)
            if model == "markov":
                table = markov_attribution(paths, order=order)
            else:
                table = shapley_attribution(paths)
            result = {m: table.column(m).to_numpy() for m in MEASURES}
        for m in measures:
            name = model if measure is not None else f"{model}_{m}"
            columns[name] = pa.array(result[m], pa.float64())
    return pa.table(columns)


def journey_paths_count(
    touchpoints: pa.Table,
    conversions: pa.Table,
    *,
    key: str = "channel",
    engine: str | Engine = Engine.DUCKDB,
    dsn: str | None = None,
) -> pa.Table:
    """Journeys grouped by path, computed in the engine, in channelattribution's format:
    ``path`` ("a > b"), ``total_conversions``, ``total_conversion_value``, ``total_null``,
    ordered by path. The same table as ``paths_aggregate(journeys_build(...))``."""
    tables, channels = _inputs(touchpoints, conversions, key)
    clashes = [c for c in channels if PATH_SEPARATOR in c]
    if clashes:
        raise ValueError(
            f"channel {clashes[0]!r} contains {PATH_SEPARATOR!r}, which the path format uses as separator"
        )
    rows = _sorted_counts(backends.run(path_counts_sql(), tables, engine_parse(engine), dsn=dsn))
    names = np.array(channels, dtype=object)
    tokens = pc.split_pattern(rows.column("path"), pattern=" > ")
    codes = pc.cast(pc.list_flatten(tokens), pa.int64()).to_numpy()
    named = pa.ListArray.from_arrays(tokens.combine_chunks().offsets, pa.array(names[codes], pa.string()))
    path = pc.binary_join(named, " > ")
    table = rows.set_column(0, "path", path)
    return table.take(pc.sort_indices(table, [("path", "ascending")]))


def _inputs(touchpoints: pa.Table, conversions: pa.Table, key: str) -> tuple[dict[str, pa.Table], list[str]]:
    """The narrow integer tables the SQL reads, and the channel names in code order."""
    _require_columns(touchpoints, "touchpoints", ("person_id", "ts", key))
    _require_columns(conversions, "conversions", ("person_id", "ts", "revenue"))
    names = pc.fill_null(pc.cast(touchpoints.column(key), pa.string()), MISSING_KEY).combine_chunks()
    encoded = pc.dictionary_encode(names)
    dictionary = encoded.dictionary.to_pylist()
    order = sorted(range(len(dictionary)), key=dictionary.__getitem__)
    rank = np.empty(len(dictionary), dtype=np.int64)
    rank[order] = np.arange(len(dictionary), dtype=np.int64)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    person = touchpoints.column("person_id")
    conv_person = conversions.column("person_id")
    if conv_person.type != person.type:
        try:
            conv_person = pc.cast(conv_person, person.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise ValueError(
                f"conversions.person_id ({conv_person.type}) cannot be compared with "
                f"touchpoints.person_id ({person.type})"
            ) from None
    revenue = conversions.column("revenue")
    if not (pa.types.is_integer(revenue.type) or pa.types.is_floating(revenue.type)) and not (
        pa.types.is_decimal(revenue.type) or pa.types.is_null(revenue.type)
    ):
        raise ValueError(f"conversions.revenue must be numeric, got {revenue.type}")
    n = touchpoints.num_rows
    touches = pa.table(
        {
            "person_id": person,
            "ts": _micros(touchpoints, "touchpoints"),
            "key_code": pa.array(rank[indices] if n else np.zeros(0, np.int64), pa.int64()),
            "is_lead": _flag(touchpoints, LEAD_FLAG),
            "is_opp": _flag(touchpoints, OPPORTUNITY_FLAG),
            "row_id": pa.array(np.arange(n, dtype=np.int64)),
        }
    )
    conv = pa.table(
        {
            "person_id": conv_person,
            "ts": _micros(conversions, "conversions"),
            "revenue": pc.cast(revenue, pa.float64()),
        }
    )
    return {"touches": touches, "conversions": conv}, [dictionary[i] for i in order]


def _micros(table: pa.Table, name: str) -> pa.ChunkedArray:
    return pc.cast(_utc_timestamps(table, name), pa.int64())


def _flag(table: pa.Table, name: str) -> pa.Array:
    if name not in table.column_names:
        return pa.array(np.zeros(table.num_rows, dtype=np.int8))
    flags = pc.fill_null(pc.cast(table.column(name), pa.bool_()), False)
    return pc.cast(flags, pa.int8())


def _by_code(rows: pa.Table, n_channels: int) -> dict[str, np.ndarray]:
    """Result columns as arrays indexed by channel code (engines return groups in any order)."""
    codes = rows.column("key_code").cast(pa.int64()).to_numpy()
    out = {}
    for name in rows.column_names:
        if name == "key_code":
            continue
        values = np.zeros(n_channels)
        values[codes] = rows.column(name).cast(pa.float64()).fill_null(0.0).to_numpy()
        out[name] = values
    return out


def _sorted_counts(rows: pa.Table) -> pa.Table:
    """Plain types and a fixed order, whatever the engine returned."""
    table = pa.table(
        {
            "path": rows.column("path").cast(pa.string()),
            **{
                name: rows.column(name).cast(pa.float64())
                for name in ("total_conversions", "total_conversion_value", "total_null")
            },
        }
    )
    return table.take(pc.sort_indices(table, [("path", "ascending")]))


def _paths(rows: pa.Table, channels: list[str]) -> Paths:
    """Pack code-named path counts into Paths whose channels are all ``channels``, in order."""
    coded = paths_from_channelattribution(_sorted_counts(rows))
    # The parser numbers tokens ("0", "10", "2") in string order; map them back to the codes.
    token_code = np.array([int(t) for t in coded.channels], dtype=np.int64)
    return Paths(
        channels=list(channels),
        offsets=coded.offsets,
        codes=token_code[coded.codes] if len(coded.codes) else coded.codes,
        conversions=coded.conversions,
        revenue=coded.revenue,
        nulls=coded.nulls,
        ages=coded.ages,
    )
