"""A throwaway database with closedloop's schema, of the same vendor as the test database, so that
backup and restore never touch the database the rest of the suite uses.

SQLite: the migrated test database copied into a file with SQLite's own backup API.
PostgreSQL: a new database `closedloop_backup_test_<random>` made from a template that holds a copy
of the test database (pg_dump | pg_restore, once per run), dropped afterwards."""

import copy
import secrets
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.db import connection, connections

from closedloop.ops.databases import PostgresDatabase, SqliteDatabase

ALIAS = "backup_test"


@dataclass
class Throwaway:
    alias: str
    driver: SqliteDatabase | PostgresDatabase
    url: str  # DATABASE_URL for a `closedloop` process

    def table_counts(self) -> dict[str, int]:
        # Counted through Django's introspection, independently of the code under test.
        conn = connections[self.alias]
        with conn.cursor() as cursor:
            counts = {}
            for table in conn.introspection.table_names(cursor):
                cursor.execute(f"SELECT count(*) FROM {conn.ops.quote_name(table)}")
                counts[table] = cursor.fetchone()[0]
        return counts


def _register(alias: str, settings_dict: dict) -> None:
    configured = connections.configure_settings(
        {"default": copy.deepcopy(connection.settings_dict), alias: settings_dict}
    )
    connections.settings[alias] = configured[alias]


def _unregister(alias: str) -> None:
    connections[alias].close()
    del connections[alias]
    del connections.settings[alias]


def _pg_args(settings_dict: dict) -> list[str]:
    args = ["--no-password"]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            args.append(f"{flag}={settings_dict[key]}")
    return args


@pytest.fixture
def throwaway(transactional_db, django_db_blocker, tmp_path, request):
    base = connection.settings_dict
    with django_db_blocker.unblock():
        if connection.vendor == "sqlite":
            path = tmp_path / "closedloop.sqlite3"
            connection.ensure_connection()
            target = sqlite3.connect(path)
            connection.connection.backup(target)
            target.close()
            settings_dict = {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(path),
                "OPTIONS": {
                    "transaction_mode": "IMMEDIATE",
                    "timeout": 20,
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                },
            }
            _register(ALIAS, settings_dict)
            yield Throwaway(ALIAS, SqliteDatabase(path), f"sqlite:///{path}")
            _unregister(ALIAS)
            return
        name = f"closedloop_backup_test_{secrets.token_hex(4)}"
        # Copying the template is one statement; restoring a dump for every test took seconds.
        _admin(base, f'CREATE DATABASE "{name}" TEMPLATE "{request.getfixturevalue("pg_template")}"')
        try:
            settings_dict = {**copy.deepcopy(base), "NAME": name, "TEST": {}}
            _register(ALIAS, settings_dict)
            driver = PostgresDatabase(
                name=name,
                host=base.get("HOST") or "",
                port=base.get("PORT") or "",
                user=base.get("USER") or "",
                password=base.get("PASSWORD") or "",
            )
            auth = base.get("USER", "") + (f":{base['PASSWORD']}" if base.get("PASSWORD") else "")
            url = f"postgres://{auth}@{base.get('HOST') or 'localhost'}:{base.get('PORT') or 5432}/{name}"
            yield Throwaway(ALIAS, driver, url)
            _unregister(ALIAS)
        finally:
            _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(base: dict, statement: str) -> None:
    # A connection per statement: a session-long one would not survive a server restart.
    keys = (("host", "HOST"), ("port", "PORT"), ("user", "USER"), ("password", "PASSWORD"))
    with psycopg.connect(
        dbname="postgres", autocommit=True, **{k: base[K] for k, K in keys if base.get(K)}
    ) as admin:
        admin.execute(statement)


@pytest.fixture(scope="session")
def pg_template(django_db_setup, django_db_blocker):
    """The migrated test database copied once (pg_dump | pg_restore) into a template database."""
    base = connection.settings_dict
    name = f"closedloop_backup_template_{secrets.token_hex(4)}"
    with django_db_blocker.unblock():
        _admin(base, f'CREATE DATABASE "{name}"')
        try:
            dump = subprocess.run(
                ["pg_dump", *_pg_args(base), "--format=custom", f"--dbname={base['NAME']}"],
                capture_output=True,
                check=True,
            ).stdout
            subprocess.run(
                ["pg_restore", *_pg_args(base), "--no-owner", f"--dbname={name}"], input=dump, check=True
            )
            yield name
        finally:
            _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def media_root(tmp_path) -> Path:
    root = tmp_path / "data" / "media"
    root.mkdir(parents=True)
    return root
