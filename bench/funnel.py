"""Benchmark: a 5-step, 30-day funnel with a breakdown over N synthetic events (default 10M).

Compares `closedloop.engine.funnel.funnel_run` on DuckDB against a hand-written DuckDB query
(ASOF joins, the way one would write windowFunnel by hand) in the same process, on the same Arrow
table, and reports the time ratio. Peak memory is measured per variant in a fresh child process
(ru_maxrss covers DuckDB's native allocations, which tracemalloc cannot see).

    .venv/bin/python bench/funnel.py                  # 10M events
    .venv/bin/python bench/funnel.py --events 1000000 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from closedloop.engine.backends import duckdb_configure
from closedloop.engine.funnel import FunnelQuery, FunnelResult, funnel_run

STEPS = ("visit", "signup", "activate", "demo", "purchase")
NOISE = ("pageview", "email_open", "click", "logout", "search")
SOURCES = ("google", "facebook", "linkedin", "newsletter", "direct", "partner", "referral", "event")
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN_DAYS = 90
WINDOW = timedelta(days=30)
AS_OF = START + timedelta(days=SPAN_DAYS - 10)  # some windows are still open: in-progress people
OUT = Path(__file__).parent / "out"


def events_generate(n: int, seed: int = 7) -> pa.Table:
    """n events over 90 days for n/20 people; earlier funnel steps are more frequent."""
    rng = np.random.default_rng(seed)
    people = max(n // 20, 1)
    person = rng.integers(0, people, n, dtype=np.int64)
    names = (*STEPS, *NOISE)
    weights = np.array([30, 16, 10, 6, 3, 15, 8, 6, 3, 3], dtype=np.float64)
    event_idx = rng.choice(len(names), size=n, p=weights / weights.sum()).astype(np.int32)
    span_us = SPAN_DAYS * 86_400 * 1_000_000
    ts = int(START.timestamp() * 1_000_000) + rng.integers(0, span_us, n, dtype=np.int64)
    # Mostly one source per person, sometimes another (so the breakdown really comes from the
    # first-step event and not from the person).
    home = rng.integers(0, len(SOURCES), people, dtype=np.int32)[person]
    other = rng.integers(0, len(SOURCES), n, dtype=np.int32)
    source_idx = np.where(rng.random(n) < 0.85, home, other).astype(np.int32)
    return pa.table(
        {
            "person_id": pa.array(person),
            "event": pa.DictionaryArray.from_arrays(pa.array(event_idx), pa.array(names)).cast(pa.string()),
            "ts": pa.array(ts).cast(pa.timestamp("us", tz="UTC")),
            "utm_source": pa.DictionaryArray.from_arrays(pa.array(source_idx), pa.array(SOURCES)).cast(
                pa.string()
            ),
        }
    )


def _strings(index: np.ndarray, values: tuple[str, ...]) -> pa.Array:
    # Plain strings, as events arrive from ingestion (not dictionary-encoded).
    return pa.DictionaryArray.from_arrays(pa.array(index), pa.array(values)).cast(pa.string())


def hand_written_sql() -> str:
    """windowFunnel by hand: each step is the earliest next event (ASOF join) inside the window."""
    as_of = f"TIMESTAMPTZ '{AS_OF.isoformat()}'"
    win = f"INTERVAL {WINDOW.days} DAY"
    names = ", ".join(f"'{s}'" for s in STEPS)
    parts = [
        f"e AS (SELECT person_id, ts, event, utm_source FROM events "
        f"WHERE event IN ({names}) AND ts <= {as_of})",
        f"c1 AS (SELECT person_id, ts AS t1, min(utm_source) AS src, ts AS cur, 1 AS level FROM e "
        f"WHERE event = '{STEPS[0]}' GROUP BY person_id, ts)",
    ]
    for k, step in enumerate(STEPS[1:], start=2):
        parts.append(f"s{k} AS (SELECT person_id, ts FROM e WHERE event = '{step}')")
        parts.append(
            f"c{k} AS (SELECT c.person_id, c.t1, c.src, "
            f"CASE WHEN n.ts <= c.t1 + {win} THEN n.ts END AS cur, "
            f"c.level + CASE WHEN n.ts <= c.t1 + {win} THEN 1 ELSE 0 END AS level "
            f"FROM c{k - 1} c ASOF LEFT JOIN s{k} n ON c.person_id = n.person_id AND n.ts > c.cur)"
        )
    last = len(STEPS)
    # cur is NULL once a step is missed, so carry the last reached time separately for durations
    parts[-1] = parts[-1].replace("AS level FROM", "AS level, n.ts AS last_ts FROM")
    # furthest level wins, then the earliest first step: arg_max over the key (level, -t1)
    key = "(level, -epoch_us(t1))"
    parts.append(
        f"best AS (SELECT person_id, arg_max(src, {key}) AS src, max(level) AS level, "
        f"max(t1) AS last_t1, "
        f"arg_max(CASE WHEN level = {last} THEN epoch_us(last_ts) - epoch_us(t1) END, {key}) AS duration "
        f"FROM c{last} GROUP BY person_id)"
    )
    final = (
        f"SELECT src AS breakdown, level AS furthest, "
        f"CASE WHEN level < {last} AND last_t1 + {win} > {as_of} THEN 1 ELSE 0 END AS in_progress, "
        f"duration, count(*) AS people FROM best GROUP BY ALL"
    )
    return "WITH " + ",\n".join(parts) + "\n" + final


def run_ours(events: pa.Table) -> FunnelResult:
    query = FunnelQuery(steps=STEPS, window=WINDOW, breakdown="utm_source", as_of=AS_OF)
    return funnel_run(events, query)


def run_hand(con: duckdb.DuckDBPyConnection) -> pa.Table:
    return con.sql(hand_written_sql()).to_arrow_table()


def reached_by_source(result: FunnelResult) -> dict[str, list[int]]:
    return {b.value: [s.reached for s in b.steps] for b in result.breakdowns}


def hand_reached_by_source(table: pa.Table) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for row in table.to_pylist():
        counts = out.setdefault(row["breakdown"], [0] * len(STEPS))
        for k in range(row["furthest"]):
            counts[k] += row["people"]
    return out


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - t0, value


def cpu_timed(fn: Any, *args: Any) -> tuple[float, float]:
    """(wall, cpu) seconds; CPU time is steadier than wall time on a shared machine."""
    c0, t0 = time.process_time(), time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0, time.process_time() - c0


def rss_mib(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_reset() -> bool:
    """Restart the kernel's peak-RSS counter (VmHWM) so it covers only what follows."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def child_memory(variant: str, path: Path, memory_limit: str | None) -> None:
    """In a fresh process: load the events, run one variant once, report peak RSS.

    The input table and the libraries are resident before the query starts, so the query's own
    share is the peak minus the RSS measured just before it. The peak is the kernel's VmHWM,
    reset just before the query: ru_maxrss would still hold the Parquet reader's transient peak.
    """
    events = pq.read_table(path)
    con = duckdb.connect()
    if memory_limit:
        duckdb_configure(memory_limit=memory_limit)
        con.execute("SET memory_limit = ?", [memory_limit])
    con.register("events", events)  # (registering imports pandas; do it before the baseline)
    baseline = rss_mib()
    reset = peak_reset()
    t0 = time.perf_counter()
    if variant == "ours":
        run_ours(events)
    else:
        run_hand(con)
    seconds = time.perf_counter() - t0
    peak = rss_mib("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "variant": variant,
        "duckdb_memory_limit": memory_limit,
        "seconds": round(seconds, 2),
        "rss_before_query_mib": round(baseline),
        "peak_rss_mib": round(peak),
        "peak_source": "VmHWM (reset before the query)" if reset else "ru_maxrss (process lifetime)",
        "query_peak_mib": round(peak - baseline),
    }
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-memory", action="store_true", help="skip the child-process memory runs")
    parser.add_argument("--memory-limit", help="also measure memory with this DuckDB memory_limit, e.g. 1GB")
    parser.add_argument("--child", nargs=3, metavar=("VARIANT", "PARQUET", "LIMIT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_memory(args.child[0], Path(args.child[1]), args.child[2] or None)
        return

    load_before = os.getloadavg()[0]
    t_gen, events = timed(events_generate, args.events)
    print(f"generated {events.num_rows:,} events in {t_gen:.1f}s ({events.nbytes / 2**20:.0f} MiB in Arrow)")
    con = duckdb.connect()
    con.register("events", events)

    # Same answer first: the per-source reached counts must agree.
    _, ours = timed(run_ours, events)
    _, hand = timed(run_hand, con)
    same = reached_by_source(ours) == hand_reached_by_source(hand)
    print(f"same reached counts per source as the hand-written query: {same}")

    ours_t, hand_t, ours_cpu, hand_cpu = [], [], [], []
    for _ in range(args.repeat):  # interleaved so machine noise hits both alike
        wall, cpu = cpu_timed(run_ours, events)
        ours_t.append(wall)
        ours_cpu.append(cpu)
        wall, cpu = cpu_timed(run_hand, con)
        hand_t.append(wall)
        hand_cpu.append(cpu)
    ours_med, hand_med = statistics.median(ours_t), statistics.median(hand_t)
    report: dict[str, Any] = {
        "events": events.num_rows,
        "people": int(events.column("person_id").to_numpy().max()) + 1,
        "steps": len(STEPS),
        "window_days": WINDOW.days,
        "cpus": os.cpu_count(),
        "duckdb": duckdb.__version__,
        "ours_s": [round(t, 3) for t in ours_t],
        "hand_written_s": [round(t, 3) for t in hand_t],
        "ours_median_s": round(ours_med, 3),
        "hand_written_median_s": round(hand_med, 3),
        "ratio_ours_over_hand": round(ours_med / hand_med, 3),
        "ours_cpu_s": [round(t, 2) for t in ours_cpu],
        "hand_written_cpu_s": [round(t, 2) for t in hand_cpu],
        "cpu_ratio_ours_over_hand": round(statistics.median(ours_cpu) / statistics.median(hand_cpu), 3),
        "load_average_1m_before": round(load_before, 2),
        "same_result": same,
        "reached_total": [s.reached for s in ours.steps],
        "in_progress_total": [s.in_progress for s in ours.steps],
    }
    if not args.no_memory:
        OUT.mkdir(exist_ok=True)
        path = OUT / f"funnel_events_{args.events}.parquet"
        pq.write_table(events, path)
        report["memory"] = []
        for limit in ("", *([args.memory_limit] if args.memory_limit else [])):
            for variant in ("ours", "hand"):
                proc = subprocess.run(
                    [sys.executable, __file__, "--child", variant, str(path), limit],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                report["memory"].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
