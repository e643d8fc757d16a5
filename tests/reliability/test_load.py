"""The load test: ingest clients, dashboard viewers and sales reps hit a real `closedloop serve` at
once for a bounded time (CLOSEDLOOP_LOAD_SECONDS, 20 by default); afterwards every acknowledged
event is stored exactly once and no request failed. It asserts no timings: bench/load.py measures."""

import os
import threading

import pytest
from django.db import connection

from tests.reliability.harness import Server, SharedDb, process_env, shared_database_url, stored_keys
from tests.reliability.loadrun import KINDS, load_run, report_table
from tests.reliability.seed import load_data_seed

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SECONDS = int(os.environ.get("CLOSEDLOOP_LOAD_SECONDS", "20"))
CONTACTS = 500
USERS = 6  # two of each kind
RUN = "loadtest"


class ConnectionPeak(threading.Thread):
    """Samples how many connections the server holds to the test database, twice a second."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.most, self.stopping = url, 0, threading.Event()
        self.start()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            while not self.stopping.wait(0.5):
                (n,) = conn.execute(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                ).fetchone()
                self.most = max(self.most, n)

    def stop(self) -> None:
        self.stopping.set()
        self.join()


def test_under_load_every_acknowledged_event_is_stored_once_and_nothing_fails(tmp_path):
    setup = load_data_seed(contacts=CONTACTS)
    url, sqlite_path = shared_database_url(connection, tmp_path)
    env = process_env(url, tmp_path)
    # PostgreSQL serves with two processes; SQLite has one writer at a time, so one process.
    server = Server(env, tmp_path, workers=2 if connection.vendor == "postgresql" else 1)
    server.start()
    peak = ConnectionPeak(url) if connection.vendor == "postgresql" else None
    try:
        report = load_run(
            base_url=server.url,
            env={**env, **setup.env()},
            out_dir=tmp_path / "load",
            run=RUN,
            seconds=SECONDS,
            users=USERS,
        )
    finally:
        if peak is not None:
            peak.stop()
        server.stop()
    most = f", at most {peak.most} database connections" if peak is not None else ""
    print(f"\n{connection.vendor}, {SECONDS} s, {USERS} users{most}\n{report_table(report)}")

    db = SharedDb(connection, sqlite_path)
    stored, stored_twice = stored_keys(db, f"{RUN}-")
    db.close()
    assert report.failures == []
    assert report.total.failures == 0
    for kind in KINDS:
        assert report.kinds[kind].requests > 0, f"no {kind} request was made"
    assert report.pending == set()
    assert stored_twice == []
    assert report.acked, "no batch was acknowledged"
    assert stored == report.acked
    if peak is not None:
        # One connection per request in flight: kept connections once piled up past PostgreSQL's limit.
        assert peak.most <= USERS + 4, f"{peak.most} connections to the database at once"
