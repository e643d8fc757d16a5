"""Load test on loopback: ingest clients, dashboard viewers and sales reps together, for a bounded time.

    .venv/bin/python bench/load.py [--seconds 120] [--users 12] [--contacts 2000] [--workers N] [--postgres]

Builds a fresh database (a temporary SQLite file, or with --postgres the database named by
BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/closedloop_bench_load, dropped and
re-created) with a small demo company, starts `closedloop serve` on a free port, and runs the locust
users of tests/reliability/locustfile.py against it: a third post batches of 50 events with unique
idempotency keys as fast as they are answered, a third open the dashboard, a third their lead queue.
Prints requests/s and p50/p95/p99 latency per kind and the error rate, then counts the stored events
against the acknowledged ones (each must be stored exactly once), and a line for docs/reliability.md.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/closedloop_bench_load"


def fresh_postgres(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base.replace('postgres://', 'postgresql://')}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=120, help="how long the load runs (default 120)")
    parser.add_argument("--users", type=int, default=12, help="locust users, split evenly in three kinds")
    parser.add_argument("--contacts", type=int, default=2000, help="size of the demo company")
    parser.add_argument(
        "--workers", type=int, help="server processes (default: 2 on PostgreSQL, 1 on SQLite)"
    )
    parser.add_argument("--postgres", action="store_true", help="run on PostgreSQL (BENCH_POSTGRES_URL)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="closedloop-load-"))
    if args.postgres:
        url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG)
        fresh_postgres(url)
        sqlite_path = None
    else:
        sqlite_path = str(tmp / "load.sqlite3")
        url = f"sqlite:///{sqlite_path}"
    workers = args.workers or (2 if args.postgres else 1)
    os.environ.update({"DATABASE_URL": url, "CLOSEDLOOP_DATA_DIR": str(tmp)})
    os.environ["DJANGO_SETTINGS_MODULE"] = "closedloop.config.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from tests.reliability.harness import Server, SharedDb, process_env, stored_keys
    from tests.reliability.loadrun import KINDS, load_run, report_table
    from tests.reliability.seed import load_data_seed

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    setup = load_data_seed(contacts=args.contacts)
    connection.close()
    print(
        f"database ready in {time.perf_counter() - started:.0f} s ({connection.vendor}, {args.contacts:,} contacts)"
    )

    env = process_env(url, tmp)
    server = Server(env, tmp, workers=workers)
    server.start()
    try:
        load_before = os.getloadavg()[0]
        report = load_run(
            base_url=server.url,
            env={**env, **setup.env()},
            out_dir=tmp / "locust",
            run="bench",
            seconds=args.seconds,
            users=args.users,
        )
        load_after = os.getloadavg()[0]
    finally:
        server.stop()

    db = SharedDb(connection, sqlite_path)
    stored, twice = stored_keys(db, "bench-")
    db.close()
    lost = len(report.acked - stored)
    extra = len(stored - report.acked - report.pending)
    total = report.total
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\n{database}, {workers} server process(es), {args.users} users, {args.seconds} s")
    print(report_table(report))
    print(
        f"\nacknowledged events {len(report.acked):,}, stored {len(stored):,}, lost {lost}, "
        f"stored twice {len(twice)}, stored without acknowledgement {extra}, "
        f"still pending at the end {len(report.pending):,}"
    )
    for failure in report.failures[:10]:
        print(f"  failure: {failure}")
    cores = os.cpu_count()
    print(f"machine: {cores} cores, load average {load_before:.1f} before and {load_after:.1f} at the end")
    kinds = {k: report.kinds[k] for k in KINDS}
    print(
        "\nFor docs/reliability.md:\n"
        f"| {database} | {workers} | {args.users} | {args.seconds} s | {total.per_second:.1f} | "
        + " | ".join(f"{k.p50:.0f} / {k.p95:.0f} / {k.p99:.0f}" for k in kinds.values())
        + f" | {total.failures / max(total.requests, 1):.2%} | {len(report.acked):,} | {lost} | {len(twice)} |"
    )
    if args.json:
        figures = {
            "database": database,
            "workers": workers,
            "users": args.users,
            "seconds": args.seconds,
            "kinds": {name: vars(k) for name, k in report.kinds.items()},
            "acknowledged": len(report.acked),
            "stored": len(stored),
            "lost": lost,
            "stored_twice": len(twice),
            "load_average": [load_before, load_after],
            "cores": cores,
        }
        args.json.write_text(json.dumps(figures, indent=2))
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if lost == 0 and not twice and extra == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
