"""The database side of backup and restore, one class per vendor, built from a Django DATABASES entry.

SQLite is copied with its online backup API, which reads one consistent snapshot while the server
keeps writing (copying the file could catch a half-written page or miss the WAL). PostgreSQL is
dumped with `pg_dump --format=custom` inside an exported snapshot, so the manifest's row counts and
migration list describe exactly the rows in the dump."""

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from closedloop.ops.archive import BackupError

Migrations = dict[str, list[str]]


@dataclass(frozen=True)
class Contents:
    """What a snapshot holds: applied migrations per app and rows per table."""

    migrations: Migrations
    row_counts: dict[str, int]


def _migrations(rows: list[tuple[str, str]]) -> Migrations:
    applied: Migrations = {}
    for app, name in sorted(rows):
        applied.setdefault(app, []).append(name)
    return applied


class SqliteDatabase:
    vendor = "sqlite"
    member = "database.sqlite3"

    def __init__(self, path: Path, timeout: float = 20) -> None:
        self.path = path
        self.timeout = timeout

    def describe(self) -> str:
        return f"SQLite database {self.path}"

    @staticmethod
    def contents(path: Path) -> Contents:
        conn = sqlite3.connect(path)
        try:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                    "ORDER BY name"
                )
            ]
            counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608 (names from sqlite_master)
            rows = (
                conn.execute("SELECT app, name FROM django_migrations").fetchall()
                if "django_migrations" in counts
                else []
            )
        finally:
            conn.close()
        return Contents(_migrations(rows), counts)

    def dump(self, target: Path) -> Contents:
        if not self.path.is_file():
            raise BackupError(f"there is no SQLite database at {self.path}")
        source = sqlite3.connect(self.path, timeout=self.timeout)
        copy = sqlite3.connect(target)
        try:
            # One step (pages=-1) copies every page inside one read transaction: one snapshot.
            source.backup(copy)
            # The archived file stands alone: no WAL beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
            source.close()
        return self.contents(target)

    def check(self, staged: Path) -> Contents:
        conn = sqlite3.connect(staged)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"the database in the backup is not a readable SQLite file: {exc}") from exc
        finally:
            conn.close()
        if result != "ok":
            raise BackupError(f"the database in the backup fails SQLite's integrity check: {result}")
        return self.contents(staged)

    def load(self, staged: Path) -> None:
        # The backup API writes into the live file in one write transaction: a crash part-way rolls
        # back through the journal or WAL, and the server's WAL and open connections stay valid,
        # which renaming a new file over the old one would not guarantee.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(staged)
        target = sqlite3.connect(self.path, timeout=self.timeout)
        try:
            source.backup(target)
        except sqlite3.Error as exc:
            raise BackupError(f"restoring into {self.path} failed, the old data is kept: {exc}") from exc
        finally:
            target.close()
            source.close()

    def current(self) -> Contents:
        return self.contents(self.path)


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # The programs are PostgreSQL's client tools found on PATH; the arguments come from settings.
    return subprocess.run(args, capture_output=True, text=True, env=env, check=False)  # noqa: S603


def _major(version_text: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", version_text)
    if not match:
        raise BackupError(f"cannot read a version number from {version_text!r}")
    return int(match.group(1))


class PostgresDatabase:
    vendor = "postgresql"
    member = "database.pgdump"

    def __init__(
        self, *, name: str, host: str = "", port: str = "", user: str = "", password: str = ""
    ) -> None:
        self.name, self.host, self.port, self.user, self.password = (
            name,
            host,
            str(port or ""),
            user,
            password,
        )

    def describe(self) -> str:
        return f"PostgreSQL database {self.name} on {self.host or 'the local socket'}"

    def _connect(self) -> Any:
        import psycopg

        params = {"dbname": self.name, "host": self.host, "port": self.port, "user": self.user}
        if self.password:
            params["password"] = self.password
        return psycopg.connect(psycopg.conninfo.make_conninfo(**{k: v for k, v in params.items() if v}))

    def _env(self) -> dict[str, str]:
        # The password travels in the environment, never in argv where `ps` shows it.
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def _args(self) -> list[str]:
        args = ["--no-password"]
        if self.host:
            args.append(f"--host={self.host}")
        if self.port:
            args.append(f"--port={self.port}")
        if self.user:
            args.append(f"--username={self.user}")
        return args

    @staticmethod
    def _tool(name: str) -> str:
        path = shutil.which(name)
        if path is None:
            raise BackupError(
                f"{name} is not on PATH; install the PostgreSQL client tools (e.g. postgresql-client)"
            )
        return path

    @staticmethod
    def _read(conn: Any) -> Contents:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        counts = {t: conn.execute(f'SELECT count(*) FROM public."{t}"').fetchone()[0] for t in tables}  # noqa: S608 (names from pg_tables)
        rows = (
            conn.execute("SELECT app, name FROM public.django_migrations").fetchall()
            if "django_migrations" in counts
            else []
        )
        return Contents(_migrations(rows), counts)

    @contextmanager
    def _snapshot(self) -> Iterator[tuple[Any, str]]:
        conn = self._connect()
        try:
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            yield conn, snapshot
        finally:
            conn.rollback()
            conn.close()

    def dump(self, target: Path) -> Contents:
        pg_dump = self._tool("pg_dump")
        try:
            with self._snapshot() as (conn, snapshot):
                server = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
                client = _major(_run([pg_dump, "--version"]).stdout)
                if client < server:
                    raise BackupError(
                        f"pg_dump is version {client} but the server is version {server}; "
                        f"install the PostgreSQL {server} client tools"
                    )
                contents = self._read(conn)
                done = _run(
                    [
                        pg_dump,
                        *self._args(),
                        "--format=custom",
                        f"--snapshot={snapshot}",
                        f"--file={target}",
                        f"--dbname={self.name}",
                    ],
                    env=self._env(),
                )
        except BackupError:
            raise
        except Exception as exc:  # connection refused, authentication, a missing database …
            raise BackupError(f"cannot read {self.describe()}: {exc}") from exc
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        return contents

    def check(self, staged: Path) -> Contents | None:
        done = _run([self._tool("pg_restore"), "--list", str(staged)])
        if done.returncode != 0:
            raise BackupError(
                f"the database dump in the backup is not readable by pg_restore: {done.stderr.strip()}"
            )
        return None

    def load(self, staged: Path) -> None:
        """Replace every table of the public schema with the dump's, in one transaction.

        pg_restore's SQL goes into psql wrapped in BEGIN … COMMIT, after dropping and re-creating
        the public schema, so tables the dump does not have (from a later migration) go too. COMMIT
        is sent only when pg_restore finished without error; any failure closes psql without it and
        PostgreSQL rolls the whole restore back, leaving the old data."""
        pg_restore, psql = self._tool("pg_restore"), self._tool("psql")
        env = self._env()
        # Messages go to files, not pipes: a full pipe would stall the copy below.
        with tempfile.TemporaryFile() as loader_err, tempfile.TemporaryFile() as reader_err:
            loader = subprocess.Popen(  # noqa: S603 (fixed program, arguments from settings)
                [
                    psql,
                    *self._args(),
                    "--quiet",
                    "--no-psqlrc",
                    "--set=ON_ERROR_STOP=1",
                    f"--dbname={self.name}",
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=loader_err,
                env=env,
            )
            reader = subprocess.Popen(  # noqa: S603
                [pg_restore, "--no-owner", "--no-privileges", "--file=-", str(staged)],
                stdout=subprocess.PIPE,
                stderr=reader_err,
                env=env,
            )
            assert loader.stdin is not None and reader.stdout is not None
            complete = False
            try:
                loader.stdin.write(
                    b"SET client_min_messages = warning;\nBEGIN;\n"
                    b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n"
                )
                while chunk := reader.stdout.read(1024 * 1024):
                    loader.stdin.write(chunk)
                complete = reader.wait() == 0
                if complete:
                    loader.stdin.write(b"COMMIT;\n")
            except BrokenPipeError:
                complete = False  # psql stopped at an error; its message is read below
            finally:
                with suppress(BrokenPipeError):
                    loader.stdin.close()
                reader.stdout.close()
                reader.wait()
            code = loader.wait()
            if not complete or code != 0:
                loader_err.seek(0)
                reader_err.seek(0)
                detail = (loader_err.read() or reader_err.read()).decode(errors="replace").strip()
                raise BackupError(
                    f"restoring into {self.describe()} failed and was rolled back, the old data is kept: {detail}"
                )

    def current(self) -> Contents:
        conn = self._connect()
        try:
            return self._read(conn)
        finally:
            conn.close()


def database_from_settings(config: Mapping[str, Any]) -> SqliteDatabase | PostgresDatabase:
    """The backup driver for a Django DATABASES entry."""
    engine = config["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        name = str(config["NAME"])
        if name == ":memory:" or name.startswith("file:"):
            raise BackupError("an in-memory SQLite database cannot be backed up")
        return SqliteDatabase(Path(name), timeout=float(config.get("OPTIONS", {}).get("timeout", 20)))
    if engine == "django.db.backends.postgresql":
        return PostgresDatabase(
            name=config["NAME"],
            host=config.get("HOST") or "",
            port=config.get("PORT") or "",
            user=config.get("USER") or "",
            password=config.get("PASSWORD") or "",
        )
    raise BackupError(f"backups support SQLite and PostgreSQL, not {engine}")
