"""Events/s through the ingest API over real HTTP, on SQLite and (with --postgres) PostgreSQL.

    .venv/bin/python bench/ingest.py [--events 100000] [--clients 4] [--postgres]

Starts `closedloop serve` on a free loopback port against a fresh database, creates a token,
and posts batches of 1,000 events from several client threads. The reference, in the same
process, is the ingest service called directly (no HTTP, no JSON, no validation), so the ratio
shows what the API layer costs on top of the writes.
"""

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLOSEDLOOP = [sys.executable, "-m", "closedloop"]
TYPES = ["page_view"] * 6 + ["ad_click", "email_open", "form_submit", "content_download"]


def make_events(n: int, run: str, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    start = datetime(2026, 5, 1, tzinfo=UTC)
    events = []
    for i in range(n):
        e = {
            "idempotency_key": f"{run}-{i}",
            "type": rng.choice(TYPES),
            "ts": (start + timedelta(seconds=rng.randrange(180 * 86400))).isoformat(),
            "utm": {"source": "google", "medium": "cpc", "campaign": f"campaign-{rng.randrange(8)}"},
            "url": f"https://example.com/{rng.choice(['pricing', 'blog/a', 'features', 'demo'])}",
            "properties": {"session": rng.randrange(10**6)},
        }
        if rng.random() < 0.4:
            e["contact"] = {"email": f"person{rng.randrange(20_000)}@example.org"}
        else:
            e["visitor_id"] = f"v{rng.randrange(50_000)}"
        events.append(e)
    return events


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CREATE_CAMPAIGNS = (
    "from closedloop.tracking.models import Campaign\n"
    "for i in range(8): Campaign.objects.get_or_create(utm_campaign=f'campaign-{i}', "
    "defaults={'name': f'Campaign {i}', 'channel': 'ppc'})"
)


def warmup_events(known: bool) -> list[dict]:
    """With --known-contacts, every email of the pool is ingested once before timing, so the
    timed batches measure the steady state (known people) instead of first contact."""
    if not known:
        return []
    start = datetime(2026, 4, 30, tzinfo=UTC)
    return [
        {"idempotency_key": f"warm-{i}", "type": "form_submit", "ts": start.isoformat(),
         "contact": {"email": f"person{i}@example.org"}, "utm": {}, "url": "", "properties": {}}
        for i in range(20_000)
    ]  # fmt: skip


def run_http(
    env: dict[str, str], events: list[dict], clients: int, workers: int, warmup: list[dict]
) -> float:
    subprocess.run([*CLOSEDLOOP, "migrate", "-v0"], env=env, check=True)
    subprocess.run([*CLOSEDLOOP, "shell", "-c", CREATE_CAMPAIGNS], env=env, check=True)
    subprocess.run(
        [*CLOSEDLOOP, "createuser", "bench", "--role", "marketer", "--password", "bench-password-1"],
        env=env,
        check=True,
        capture_output=True,
    )
    token = subprocess.run(
        [*CLOSEDLOOP, "createtoken", "bench", "--scope", "ingest_events"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port = free_port()
    server = subprocess.Popen(
        [*CLOSEDLOOP, "serve", "--port", str(port), "--no-migrate", "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/v1/events/batch"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)

        def batches(items: list[dict]) -> list[bytes]:
            return [json.dumps({"events": items[i : i + 1000]}).encode() for i in range(0, len(items), 1000)]

        bodies = batches(events)
        accepted = 0
        lock = threading.Lock()

        def send(body: bytes) -> None:
            nonlocal accepted
            req = urllib.request.Request(
                url,
                data=body,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(req, timeout=120) as resp:
                n = json.load(resp)["accepted"]
            with lock:
                accepted += n

        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(send, batches(warmup)))
        accepted = 0
        t0 = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(send, bodies))
        elapsed = time.perf_counter() - t0
        assert accepted == len(events), f"accepted {accepted} of {len(events)}"
        return elapsed
    finally:
        server.terminate()
        server.wait()


def run_direct(env: dict[str, str], events: list[dict], warmup: list[dict]) -> float:
    """The reference: the same events through the ingest service, in this process."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "closedloop.config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from closedloop.tracking.ingest import EventInput, events_ingest

    call_command("migrate", verbosity=0)
    exec(CREATE_CAMPAIGNS)  # the same set-up as the HTTP run
    inputs = [
        EventInput(
            idempotency_key=e["idempotency_key"],
            type=e["type"],
            ts=datetime.fromisoformat(e["ts"]),
            visitor_id=e.get("visitor_id", ""),
            email=e.get("contact", {}).get("email", ""),
            utm=e["utm"],
            url=e["url"],
            properties=e["properties"],
        )
        for e in warmup + events
    ]
    for i in range(0, len(warmup), 1000):
        events_ingest(events=inputs[i : i + 1000])
    inputs = inputs[len(warmup) :]
    t0 = time.perf_counter()
    for i in range(0, len(inputs), 1000):
        events_ingest(events=inputs[i : i + 1000])
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL at 127.0.0.1:5432")
    parser.add_argument(
        "--known-contacts",
        action="store_true",
        help="create the 20,000 contacts before timing (steady state)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        base = {**os.environ, "CLOSEDLOOP_DATA_DIR": tmp, "PYTHONPATH": str(ROOT / "src")}
        if args.postgres:
            import psycopg

            with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
                for name in ("closedloop_bench_http", "closedloop_bench_direct"):
                    conn.execute(f"DROP DATABASE IF EXISTS {name}")
                    conn.execute(f"CREATE DATABASE {name}")
            http_env = {**base, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/closedloop_bench_http"}
            direct_env = {
                **base,
                "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/closedloop_bench_direct",
            }
        else:
            http_env = {**base, "DATABASE_URL": f"sqlite:///{tmp}/http.sqlite3"}
            direct_env = {**base, "DATABASE_URL": f"sqlite:///{tmp}/direct.sqlite3"}
        events = make_events(args.events, "bench")
        warmup = warmup_events(args.known_contacts)
        http_s = run_http(http_env, events, args.clients, args.workers, warmup)
        direct_s = run_direct(direct_env, events, warmup)
    engine = "PostgreSQL" if args.postgres else "SQLite"
    who = "known contacts" if args.known_contacts else "many first-seen contacts"
    print(
        f"{engine}: {args.events:,} events ({who}), {args.clients} clients, {args.workers} server worker(s)"
    )
    print(f"  API over HTTP     {args.events / http_s:10,.0f} events/s ({http_s:.2f} s)")
    print(f"  service, direct   {args.events / direct_s:10,.0f} events/s ({direct_s:.2f} s)")
    print(f"  ratio API/direct  {direct_s / http_s:.2f}")


if __name__ == "__main__":
    main()
