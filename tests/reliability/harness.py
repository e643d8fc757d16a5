"""Runs closedloop as real processes for the reliability tests and bench/load.py: `closedloop serve`
on a free loopback port against a given DATABASE_URL, waited for on /healthz, killed with SIGKILL and
started again; plus the test database shared with those processes, and a small HTTP client."""

import http.client
import http.cookiejar
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CLOSEDLOOP = [sys.executable, "-m", "closedloop"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CLOSEDLOOP_DATA_DIR": str(data_dir),
        "CLOSEDLOOP_LOG_LEVEL": "ERROR",
        "DJANGO_SETTINGS_MODULE": "closedloop.config.settings",
        # Processes start like deployed ones, from compiled bytecode, kept between runs: compiling
        # Django and closedloop on every start would dominate a restart.
        "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "closedloop-pycache"),
        **extra,
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


class Server:
    """`closedloop serve` in a process group of its own: with --workers > 1 uvicorn forks worker
    processes, and a SIGKILL must take all of them down, as a crash of the machine's service would."""

    def __init__(self, env: dict[str, str], log_dir: Path, *, workers: int = 1) -> None:
        self.env = env
        self.log_dir = log_dir
        self.workers = workers
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        self.starts += 1
        log = self.log_dir / f"serve{self.starts}.log"
        args = [
            *CLOSEDLOOP,
            "serve",
            "--port",
            str(self.port),
            "--no-migrate",
            "--workers",
            str(self.workers),
        ]
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                args, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"closedloop serve exited: {log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"closedloop serve did not answer /healthz in {timeout} s")

    def kill(self) -> None:
        """SIGKILL the server and its workers: no shutdown handlers, no finished responses."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._wait_port_free()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def _wait_port_free(self) -> None:
        # The killed group's workers may take a moment to be reaped by the kernel.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)  # type: ignore[union-attr]
            except ProcessLookupError:
                return
            time.sleep(0.02)


# The database the pytest process and the closedloop processes share.


def shared_database_url(connection: Any, tmp_path: Path) -> tuple[str, str | None]:
    """DATABASE_URL for subprocesses, and the SQLite file path (None on PostgreSQL). The pytest
    test database on SQLite lives in memory; it is copied to a file with the backup API."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
        host = settings["HOST"] or "127.0.0.1"
        return f"postgres://{auth}@{host}:{settings['PORT'] or 5432}/{settings['NAME']}", None
    path = str(tmp_path / "shared.sqlite3")
    target = sqlite3.connect(path)
    connection.ensure_connection()
    connection.connection.backup(target)
    target.close()
    return f"sqlite:///{path}", path


class SharedDb:
    """Reads the shared database from the pytest process while closedloop processes write it."""

    def __init__(self, connection: Any, sqlite_path: str | None) -> None:
        self.connection = connection
        self.sqlite = sqlite3.connect(sqlite_path, timeout=30) if sqlite_path else None

    def all(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.sqlite is not None:
            return self.sqlite.execute(sql.replace("%s", "?"), params).fetchall()
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def one(self, sql: str, params: tuple = ()) -> tuple:
        return self.all(sql, params)[0]

    def close(self) -> None:
        if self.sqlite is not None:
            self.sqlite.close()


def stored_keys(db: SharedDb, prefix: str) -> tuple[set[str], list[tuple[str, int]]]:
    """The events stored under a run's key prefix, and any key stored more than once."""
    like = prefix.replace("%", r"\%").replace("_", r"\_") + "%"
    keys = {
        k
        for (k,) in db.all(
            "SELECT idempotency_key FROM tracking_event WHERE idempotency_key LIKE %s", (like,)
        )
    }
    twice = db.all(
        "SELECT idempotency_key, COUNT(*) FROM tracking_event WHERE idempotency_key LIKE %s "
        "GROUP BY idempotency_key HAVING COUNT(*) > 1",
        (like,),
    )
    return keys, twice


# A small HTTP client (standard library only) for the fault tests.


@dataclass
class Answer:
    status: int | None  # None: no answer at all (connection refused or reset, timeout)
    body: bytes = b""
    content_type: str = ""
    retry_after: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


def call(request: urllib.request.Request, opener: Any = None, timeout: float = 30.0) -> Answer:
    try:
        resp = (opener.open if opener else urllib.request.urlopen)(request, timeout=timeout)
        with resp:
            return Answer(resp.status, resp.read(), resp.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as err:
        headers = dict(err.headers.items())
        return Answer(
            err.code, err.read(), headers.get("Content-Type", ""), headers.get("Retry-After"), headers
        )
    except (OSError, http.client.HTTPException):
        return Answer(None)


def post_batch(base_url: str, token: str, events: list[dict], timeout: float = 30.0) -> Answer:
    request = urllib.request.Request(
        f"{base_url}/api/v1/events/batch",
        data=json.dumps({"events": events}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    return call(request, timeout=timeout)


def make_events(prefix: str, n: int) -> list[dict]:
    """n page views from yesterday; one in five from a known person (a contact is created or matched)."""
    ts = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    return [
        {
            "idempotency_key": f"{prefix}-{i}",
            "type": "page_view",
            "ts": ts,
            "visitor_id": f"v-{prefix}-{i % 7}",
            **({"contact": {"email": f"person{i % 40}@load.example"}} if i % 5 == 0 else {}),
            "url": "https://example.com/pricing",
            "utm": {"source": "google", "medium": "cpc"},
            "properties": {"n": i},
        }
        for i in range(n)
    ]


def signed_in_opener(base_url: str, username: str, password: str) -> Any:
    """A urllib opener holding a session cookie, signed in through the login form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base_url}/accounts/login/", timeout=30) as resp:
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', resp.read())
    assert token, "the login page has no CSRF token"
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1).decode()}
    ).encode()
    with opener.open(urllib.request.Request(f"{base_url}/accounts/login/", data=form), timeout=30) as resp:
        assert "/accounts/login/" not in resp.url, f"signing in as {username} failed"
    return opener
