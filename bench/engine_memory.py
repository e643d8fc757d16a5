"""Benchmark: whole-process peak memory of the 10M-event, 5-step, 30-day funnel with breakdown.

`bench/funnel.py` measures the query alone. This one measures what a user's process really
holds, from start to finish, with the kernel's lifetime peak (ru_maxrss):

- **ours**, one fresh process: generate the events into a Parquet file in chunks (never the
  whole table in memory), read back only what the funnel needs with `funnel_events_read` (step
  events only, needed columns, dictionary-encoded text), and run `funnel_run` on DuckDB;
- **hand-written**, another fresh process: the hand-written DuckDB query from bench/funnel.py
  (ASOF joins) scanning the same Parquet file directly with `read_parquet`.

Both use the same DuckDB settings (threads, memory_limit). The time ratio compares ours (read +
query) with the hand-written query (which includes its own scan of the file), medians of
interleaved-by-process repeats, and the script checks both give the same reached counts.

    .venv/bin/python bench/engine_memory.py                     # 10M events, memory_limit 256MB
    .venv/bin/python bench/engine_memory.py --events 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

# Same data and queries as bench/funnel.py (this directory is on sys.path when run as a script).
from funnel import (
    AS_OF,
    NOISE,
    SOURCES,
    SPAN_DAYS,
    START,
    STEPS,
    WINDOW,
    hand_reached_by_source,
    hand_written_sql,
    reached_by_source,
)

CHUNK = 1_000_000


def peak_mib() -> float:
    """Lifetime peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def events_write(path: Path, n: int, seed: int = 7) -> None:
    """Write the same kind of events as bench/funnel.py to Parquet, CHUNK rows at a time.

    Per-person state (the home source) is one small array; every other column is drawn per
    chunk, so memory stays at one chunk whatever n is.
    """
    rng = np.random.default_rng(seed)
    people = max(n // 20, 1)
    home = rng.integers(0, len(SOURCES), people, dtype=np.int32)
    names = pa.array((*STEPS, *NOISE))
    sources = pa.array(SOURCES)
    weights = np.array([30, 16, 10, 6, 3, 15, 8, 6, 3, 3], dtype=np.float64)
    span_us = SPAN_DAYS * 86_400 * 1_000_000
    start_us = int(START.timestamp() * 1_000_000)
    schema = pa.schema(
        [
            ("person_id", pa.int64()),
            ("event", pa.string()),
            ("ts", pa.timestamp("us", tz="UTC")),
            ("utm_source", pa.string()),
        ]
    )
    with pq.ParquetWriter(path, schema) as writer:
        for offset in range(0, n, CHUNK):
            size = min(CHUNK, n - offset)
            person = rng.integers(0, people, size, dtype=np.int64)
            event_idx = rng.choice(len(names), size=size, p=weights / weights.sum()).astype(np.int32)
            ts = start_us + rng.integers(0, span_us, size, dtype=np.int64)
            other = rng.integers(0, len(SOURCES), size, dtype=np.int32)
            source_idx = np.where(rng.random(size) < 0.85, home[person], other).astype(np.int32)
            writer.write_table(
                pa.table(
                    {
                        "person_id": pa.array(person),
                        "event": pa.DictionaryArray.from_arrays(pa.array(event_idx), names).cast(pa.string()),
                        "ts": pa.array(ts).cast(pa.timestamp("us", tz="UTC")),
                        "utm_source": pa.DictionaryArray.from_arrays(pa.array(source_idx), sources).cast(
                            pa.string()
                        ),
                    },
                    schema=schema,
                )
            )


def child_ours(path: Path, n: int, repeat: int, memory_limit: str, threads: int) -> dict[str, Any]:
    from closedloop.engine.backends import duckdb_configure
    from closedloop.engine.funnel import FunnelQuery, funnel_events_read, funnel_run

    duckdb_configure(memory_limit=memory_limit, threads=threads)
    t0 = time.perf_counter()
    events_write(path, n)
    generate_s = time.perf_counter() - t0
    after_generate = peak_mib()
    query = FunnelQuery(steps=STEPS, window=WINDOW, breakdown="utm_source", as_of=AS_OF)
    seconds, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        events = funnel_events_read(str(path), query)
        result = funnel_run(events, query)
        seconds.append(time.perf_counter() - t0)
        rows = events.num_rows
        del events
    assert result is not None
    return {
        "variant": "ours",
        "generate_s": round(generate_s, 2),
        "peak_after_generate_mib": round(after_generate),
        "rows_read": rows,
        "seconds": [round(s, 3) for s in seconds],
        "peak_rss_mib": round(peak_mib()),
        "reached_by_source": reached_by_source(result),
        "reached_total": [s.reached for s in result.steps],
    }


def child_hand(path: Path, repeat: int, memory_limit: str, threads: int) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    con.execute("SET memory_limit = ?", [memory_limit])
    con.execute(f"SET threads = {int(threads)}")
    # The path is ours (a temporary file); quote it as a SQL string literal all the same.
    literal = "'" + str(path).replace("'", "''") + "'"
    con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet({literal})")
    seconds, table = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        table = con.sql(hand_written_sql()).to_arrow_table()
        seconds.append(time.perf_counter() - t0)
    assert table is not None
    return {
        "variant": "hand-written",
        "seconds": [round(s, 3) for s in seconds],
        "peak_rss_mib": round(peak_mib()),
        "reached_by_source": hand_reached_by_source(table),
    }


def spawn(*args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False
    )
    if proc.returncode:
        raise SystemExit(f"child {args[0]} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-limit", default="256MB", help="DuckDB memory_limit for both variants")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        variant, path = args.child[0], Path(args.child[1])
        if variant == "ours":
            out = child_ours(path, args.events, args.repeat, args.memory_limit, args.threads)
        else:
            out = child_hand(path, args.repeat, args.memory_limit, args.threads)
        print(json.dumps(out))
        return

    load_before = os.getloadavg()[0]
    common = ["--events", str(args.events), "--repeat", str(args.repeat)]
    common += ["--memory-limit", args.memory_limit, "--threads", str(args.threads)]
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "events.parquet")
        # The child flags go after --child's values, so they are parsed as options again.
        ours = spawn("ours", path, *common)
        hand = spawn("hand", path, *common)
        file_mib = os.path.getsize(path) / 2**20
    ours_med, hand_med = statistics.median(ours["seconds"]), statistics.median(hand["seconds"])
    report = {
        "events": args.events,
        "parquet_mib": round(file_mib),
        "duckdb_memory_limit": args.memory_limit,
        "threads": args.threads,
        "load_average_1m_before": round(load_before, 2),
        "same_result": ours.pop("reached_by_source") == hand.pop("reached_by_source"),
        "ours": ours,
        "hand_written": hand,
        "ratio_ours_over_hand": round(ours_med / hand_med, 3),
        "ours_peak_under_1gib": ours["peak_rss_mib"] < 1024,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
