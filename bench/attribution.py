"""Benchmark: exact Markov attribution (closedloop) against channelattribution, same process.

Generates N customer journeys (one row each, channelattribution's path format), times
``paths_from_channelattribution`` + ``markov_attribution`` (ours, exact) and
``ChannelAttribution.markov_model`` at its default settings (simulation), and prints the ratio
plus the largest per-channel difference between the two. Run:

    .venv/bin/python bench/attribution.py --journeys 1000000 --order 1 --repeat 3 [--output FILE]

With ``--touches N`` it instead times every model computed inside each engine
(``attribution_compare_run`` on DuckDB, PostgreSQL and ClickHouse) from N generated touchpoints,
against the Python route (``journeys_build`` + ``paths_from_journeys`` + ``attribution_compare``)
in the same process, and checks all of them give the same credit:

    .venv/bin/python bench/attribution.py --touches 200000 --repeat 3
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import time
import types

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from closedloop.engine.attribution import attribution_compare
from closedloop.engine.attribution_engines import attribution_compare_run
from closedloop.engine.journeys import journeys_build, paths_from_channelattribution, paths_from_journeys
from closedloop.engine.markov import markov_attribution

CHANNELS = ["email", "paid_search", "organic", "social", "display", "webinar", "referral", "events"]


def journeys_generate(n: int, *, seed: int = 7, max_length: int = 12) -> pa.Table:
    """One row per journey: a first-order walk over CHANNELS, converting more often after webinars
    and events, with revenue drawn per conversion. Columns in channelattribution's format."""
    rng = np.random.default_rng(seed)
    k = len(CHANNELS)
    transition = rng.dirichlet(np.full(k, 0.7), size=k)
    start = rng.dirichlet(np.ones(k))
    codes = np.empty((n, max_length), dtype=np.int64)
    codes[:, 0] = rng.choice(k, size=n, p=start)
    for step in range(1, max_length):
        cumulative = transition[codes[:, step - 1]].cumsum(axis=1)
        codes[:, step] = (rng.random((n, 1)) > cumulative).sum(axis=1).clip(max=k - 1)
    lengths = np.minimum(rng.geometric(0.35, size=n), max_length)
    touched = np.zeros((n, k), dtype=bool)
    inside = np.arange(max_length)[None, :] < lengths[:, None]
    np.put_along_axis(touched, np.where(inside, codes, 0), inside, axis=1)
    lift = touched @ rng.uniform(-0.4, 1.2, size=k)
    converted = rng.random(n) < 1.0 / (1.0 + np.exp(2.5 - lift))
    revenue = np.where(converted, np.round(rng.lognormal(6.0, 0.8, size=n), 2), 0.0)
    flat = np.asarray(CHANNELS, dtype=object)[codes[inside]]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    lists = pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat, pa.string()))
    return pa.table(
        {
            "path": pc.binary_join(lists, " > "),
            "total_conversions": converted.astype(np.int64),
            "total_conversion_value": revenue,
            "total_null": (~converted).astype(np.int64),
        }
    )


def channelattribution_import() -> types.ModuleType:
    # Its import prints an advertising banner on stdout, which would corrupt our JSON output.
    with contextlib.redirect_stdout(io.StringIO()):
        import ChannelAttribution

    return ChannelAttribution


def run(journeys: int, order: int, repeat: int) -> dict[str, object]:
    ca = channelattribution_import()
    table = journeys_generate(journeys)
    frame = table.to_pandas()  # each library gets its native input; conversion is not timed

    ours_s, theirs_s = [], []
    for _ in range(repeat):
        began = time.perf_counter()
        ours = markov_attribution(paths_from_channelattribution(table), order=order)
        ours_s.append(time.perf_counter() - began)
        began = time.perf_counter()
        theirs = ca.markov_model(
            frame,
            "path",
            "total_conversions",
            var_value="total_conversion_value",
            var_null="total_null",
            order=order,
            verbose=False,
            flg_pro=False,
        )
        theirs_s.append(time.perf_counter() - began)

    reference = theirs["result"] if isinstance(theirs, dict) else theirs
    ref = dict(zip(reference["channel_name"], reference["total_conversions"], strict=True))
    mine = dict(zip(ours.column("key").to_pylist(), ours.column("conversions").to_pylist(), strict=True))
    total = float(pc.sum(table.column("total_conversions")).as_py())
    gap = max(abs(mine[c] - ref[c]) for c in mine) / total
    return {
        "journeys": journeys,
        "unique_paths": table.group_by("path").aggregate([]).num_rows,
        "order": order,
        "closedloop_s": min(ours_s),
        "channelattribution_s": min(theirs_s),
        "ratio": min(theirs_s) / min(ours_s),
        "max_share_gap": gap,
        "python": platform.python_version(),
        "machine": platform.processor() or platform.machine(),
    }


def touchpoints_generate(n: int, *, seed: int = 7) -> tuple[pa.Table, pa.Table]:
    """n touches over 90 days for n/8 people, one conversion for every 4 people."""
    rng = np.random.default_rng(seed)
    people = max(n // 8, 1)
    start = np.datetime64("2024-01-01T00:00:00", "us")
    span_s = 90 * 86_400
    utc = pa.timestamp("us", tz="UTC")
    touches = pa.table(
        {
            "person_id": pa.array(rng.integers(0, people, n)),
            "ts": pa.array(
                start + rng.integers(0, span_s, n).astype("timedelta64[s]"), pa.timestamp("us")
            ).cast(utc),
            "channel": pa.array(np.array(CHANNELS)[rng.integers(0, len(CHANNELS), n)]),
            "is_lead_creation": pa.array(rng.random(n) < 0.05),
        }
    )
    m = max(people // 4, 1)
    conversions = pa.table(
        {
            "person_id": pa.array(rng.integers(0, people, m)),
            "ts": pa.array(
                start + rng.integers(0, span_s, m).astype("timedelta64[s]"), pa.timestamp("us")
            ).cast(utc),
            "revenue": pa.array(np.round(rng.lognormal(6, 1, m), 2)),
        }
    )
    return touches, conversions


def run_engines(touches_n: int, repeat: int) -> dict[str, object]:
    touches, conversions = touchpoints_generate(touches_n)

    def python_route() -> pa.Table:
        return attribution_compare(
            paths_from_journeys(journeys_build(touches, conversions)), measure="revenue"
        )

    variants = {"python": python_route}
    for engine in ("duckdb", "postgres", "clickhouse"):
        variants[engine] = lambda e=engine: attribution_compare_run(
            touches, conversions, measure="revenue", engine=e
        )
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    results: dict[str, pa.Table] = {}
    for _ in range(repeat):  # interleaved, so machine noise hits every variant alike
        for name, fn in variants.items():
            began = time.perf_counter()
            results[name] = fn()
            seconds[name].append(time.perf_counter() - began)
    reference = results["python"]
    gap = max(
        float(np.max(np.abs(results[name].column(m).to_numpy() - reference.column(m).to_numpy())))
        for name in results
        for m in reference.column_names[1:]
    )
    best = {name: min(times) for name, times in seconds.items()}
    return {
        "touches": touches_n,
        "conversions": conversions.num_rows,
        "seconds_best": {name: round(t, 3) for name, t in best.items()},
        "ratio_over_python": {name: round(t / best["python"], 2) for name, t in best.items()},
        "max_abs_revenue_gap": gap,
        "total_revenue": float(pc.sum(conversions.column("revenue")).as_py()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=1_000_000)
    parser.add_argument("--order", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", help="also write the JSON result to this file")
    parser.add_argument("--touches", type=int, help="time the engines on this many touchpoints instead")
    args = parser.parse_args()
    if args.touches:
        result = json.dumps(run_engines(args.touches, args.repeat), indent=2)
    else:
        result = json.dumps(run(args.journeys, args.order, args.repeat), indent=2)
    print(result)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as file:
            file.write(result + "\n")


if __name__ == "__main__":
    main()
