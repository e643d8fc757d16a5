"""The load test's users (locust): ingest clients posting batches of events, marketing heads on
the dashboard and sales reps on their lead queue, all at once. Run by tests/reliability/loadrun.py;
configured through CLOSEDLOOP_LOAD_* variables.

An ingest client writes each acknowledged batch (2xx) to the acknowledgement file, and resends a
batch that got no acknowledgement with the same idempotency keys, as a real client would; a batch
still unacknowledged when the run stops is written to the pending file."""

import itertools
import json
import os
import re

from locust import HttpUser, constant, task

from tests.reliability.harness import make_events

RUN = os.environ.get("CLOSEDLOOP_LOAD_RUN", "load")
BATCH = int(os.environ.get("CLOSEDLOOP_LOAD_BATCH", "50"))
ACKED = os.environ.get("CLOSEDLOOP_LOAD_ACKED", "acked.txt")
PENDING = os.environ.get("CLOSEDLOOP_LOAD_PENDING", "pending.txt")
_client_ids = itertools.count(1)


def _record(path: str, line: str) -> None:
    # One line per batch, flushed at once: the file is the client's memory of what the server
    # promised to keep, and must hold even if this process is killed.
    with open(path, "a") as f:
        f.write(line + "\n")


class IngestClient(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.client_id = next(_client_ids)
        self.sequence = 0
        self.pending: tuple[str, str] | None = None
        self.headers = {
            "Authorization": f"Bearer {os.environ['CLOSEDLOOP_LOAD_TOKEN']}",
            "Content-Type": "application/json",
        }

    @task
    def send_batch(self) -> None:
        if self.pending is None:
            self.sequence += 1
            prefix = f"{RUN}-{self.client_id}-{self.sequence}"
            self.pending = (prefix, json.dumps({"events": make_events(prefix, BATCH)}))
        prefix, body = self.pending
        with self.client.post(
            "/api/v1/events/batch", data=body, headers=self.headers, name="ingest", catch_response=True
        ) as resp:
            if resp.status_code != 200:
                resp.failure(f"{resp.status_code} {resp.text[:200]}")
                return
            answer = resp.json()
            if answer["accepted"] + answer["duplicates"] != BATCH:
                resp.failure(f"batch {prefix}: {answer}")
                return
            _record(ACKED, f"{prefix} {BATCH}")
            self.pending = None
            resp.success()

    def on_stop(self) -> None:
        if self.pending is not None:
            _record(PENDING, f"{self.pending[0]} {BATCH}")


class _SignedIn(HttpUser):
    abstract = True
    wait_time = constant(0)
    username_variable = ""

    def on_start(self) -> None:
        page = self.client.get("/accounts/login/", name="login page")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the login page"
        with self.client.post(
            "/accounts/login/",
            data={
                "username": os.environ[self.username_variable],
                "password": os.environ["CLOSEDLOOP_LOAD_PASSWORD"],
                "csrfmiddlewaretoken": token.group(1),
            },
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as resp:
            if resp.status_code != 302:
                resp.failure(f"sign-in refused: {resp.status_code}")

    def _page(self, path: str, name: str, marker: str) -> None:
        with self.client.get(path, name=name, catch_response=True, allow_redirects=False) as resp:
            if resp.status_code != 200 or marker not in resp.text:
                resp.failure(f"{resp.status_code}: {resp.text[:200]}")


class DashboardViewer(_SignedIn):
    username_variable = "CLOSEDLOOP_LOAD_DASHBOARD_USER"

    @task
    def dashboard(self) -> None:
        self._page("/", "dashboard", "</html>")


class SalesRep(_SignedIn):
    username_variable = "CLOSEDLOOP_LOAD_REP_USER"

    @task
    def queue(self) -> None:
        self._page("/handoff/queue/", "sales queue", "</html>")
