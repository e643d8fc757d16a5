"""Benchmark: backtest replay (closedloop.engine.backtest) of a draft against an active rule set.

Generates N contacts with about 10 events each (numpy → Arrow, in memory), one deal per ~8
contacts, and replays realistic rule sets (the default agreement's IQL/MQL/SQL rules against a
draft that tightens them). Reports the replay's seconds (goal: under 5 s on 100,000 contacts) and,
as the same-process reference, a plain DuckDB GROUP BY counting events per contact (`SELECT contact_id, count(*) FROM events GROUP BY contact_id`). Run:

    .venv/bin/python bench/backtest.py --contacts 100000 --events-per-contact 10 --repeat 3
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import time

import duckdb
import numpy as np
import pyarrow as pa

from closedloop.engine.backtest import BASELINE, DRAFT, backtest_replay

EVENT_TYPES = [
    "page_view",
    "email_open",
    "email_click",
    "content_download",
    "form_submit",
    "call",
    "meeting_booked",
]
EVENT_P = [0.45, 0.2, 0.1, 0.1, 0.07, 0.04, 0.04]
PERSONAS = ["ops_manager", "it_director", "cfo", "founder", "analyst", "student"]
CHANNELS = ["paid_search", "organic", "email", "referral", "social"]

ACTIVE = {
    "visitor": "",
    "iql": "form_submit_total >= 1 || downloads_total >= 1",
    "mql": (
        '(downloads_30d >= 1 && persona in ["ops_manager", "it_director", "cfo", "founder"] '
        "&& company_size >= 20) || lead_score >= 50"
    ),
    "sql": "meeting_booked_30d >= 1 || (lead_score >= 70 && call_30d >= 1)",
}
DRAFT_RULES = {
    "visitor": "",
    "iql": "form_submit_total >= 1 || downloads_total >= 1 || page_view_7d >= 5",
    "mql": (
        '(downloads_60d >= 2 && persona in ["ops_manager", "it_director", "cfo"] && company_size >= 50) '
        '|| (lead_score >= 60 && channel != "social")'
    ),
    "sql": "(meeting_booked_30d >= 1 && company_size >= 20) || (call_14d >= 1 && email_click_30d >= 2)",
}


def history_generate(
    contacts: int, per_contact: float, *, seed: int = 11
) -> tuple[pa.Table, pa.Table, pa.Table]:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2025-01-01T00:00:00", "s")
    span = 365 * 24 * 3600
    ids = np.arange(1, contacts + 1, dtype=np.int64)
    created = start + rng.integers(0, span, contacts).astype("timedelta64[s]")
    contacts_t = pa.table(
        {
            "contact_id": ids,
            "created_at": pa.array(created.astype("datetime64[us]")),
            "persona": pa.array(np.array(PERSONAS)[rng.integers(0, len(PERSONAS), contacts)]),
            "company_size": pa.array(rng.lognormal(3.5, 1.3, contacts).astype(np.int64)),
            "lead_score": pa.array(rng.integers(0, 100, contacts).astype(np.float64)),
            "channel": pa.array(np.array(CHANNELS)[rng.integers(0, len(CHANNELS), contacts)]),
        }
    )
    counts = rng.poisson(per_contact, contacts)
    owner = np.repeat(np.arange(contacts), counts)
    n = len(owner)
    offsets = rng.exponential(60 * 24 * 3600, n).astype(np.int64)
    ts = created[owner] + offsets.astype("timedelta64[s]")
    events_t = pa.table(
        {
            "contact_id": ids[owner],
            "type": pa.array(np.array(EVENT_TYPES)[rng.choice(len(EVENT_TYPES), n, p=EVENT_P)]),
            "ts": pa.array(ts.astype("datetime64[us]")),
        }
    )
    with_deal = rng.random(contacts) < 0.12
    deal_owner = np.flatnonzero(with_deal)
    deal_created = created[deal_owner] + rng.integers(5, 120, len(deal_owner)).astype("timedelta64[D]")
    deals_t = pa.table(
        {
            "contact_id": ids[deal_owner],
            "stage": pa.array(np.where(rng.random(len(deal_owner)) < 0.3, "won", "lost")),
            "amount": pa.array(rng.lognormal(9, 0.8, len(deal_owner))),
            "created_at": pa.array(deal_created.astype("datetime64[us]")),
            "closed_at": pa.array((deal_created + np.timedelta64(30, "D")).astype("datetime64[us]")),
        }
    )
    return contacts_t, events_t, deals_t


def reference_seconds(events: pa.Table) -> float:
    con = duckdb.connect()
    con.register("events", events)
    t0 = time.perf_counter()
    con.execute("SELECT contact_id, count(*) FROM events GROUP BY contact_id").fetchall()
    elapsed = time.perf_counter() - t0
    con.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--events-per-contact", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    contacts, events, deals = history_generate(args.contacts, args.events_per_contact)
    print(f"{contacts.num_rows:,} contacts, {events.num_rows:,} events, {deals.num_rows:,} deals")
    print(f"python {platform.python_version()}, duckdb {duckdb.__version__}, {platform.machine()}")
    replay, cpu, reference = [], [], []
    result = None
    for _ in range(args.repeat):
        r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        result = backtest_replay(
            events=events,
            contacts=contacts,
            deals=deals,
            draft=DRAFT_RULES,
            baseline=ACTIVE,
            sales_ready_stage="sql",
        )
        replay.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
        reference.append(reference_seconds(events))
    assert result is not None
    for stage in result.stages:
        d, b = result.outcome(DRAFT, stage), result.outcome(BASELINE, stage)
        print(f"  {stage}: draft {d.entered:,} entered, active {b.entered:,} entered")
    print(
        f"  missed {result.missed.revenue:,.0f} ({result.missed.contacts} contacts), added {result.added.revenue:,.0f}"
    )
    best, ref = min(replay), min(reference)
    print(f"backtest replay: best {best:.2f} s, median {statistics.median(replay):.2f} s of {args.repeat}")
    # Wall time depends on what else the machine runs; CPU time (all threads) does much less.
    print(f"backtest replay CPU time: best {min(cpu):.2f} s, median {statistics.median(cpu):.2f} s")
    print(f"reference GROUP BY: best {ref:.3f} s; ratio {best / ref:.0f}x")


if __name__ == "__main__":
    main()
