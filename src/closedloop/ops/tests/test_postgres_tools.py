"""pg_dump missing or older than the server: a clear error and no archive (PostgreSQL only)."""

import pytest
from django.db import connections

from closedloop.ops.archive import BackupError
from closedloop.ops.backup import backup_create


@pytest.fixture
def pg(throwaway):
    if throwaway.driver.vendor != "postgresql":
        pytest.skip("the suite runs on SQLite; these checks run in the PostgreSQL pass")
    return throwaway


def test_a_missing_pg_dump_is_named(pg, media_root, tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    output = tmp_path / "b.tar.gz"
    with pytest.raises(BackupError, match="pg_dump is not on PATH"):
        backup_create(database=pg.driver, media_root=media_root, output=output)
    assert list(tmp_path.glob("b.tar.gz*")) == []


def test_a_pg_dump_older_than_the_server_is_refused(pg, media_root, tmp_path, monkeypatch):
    tools = tmp_path / "bin"
    tools.mkdir()
    fake = tools / "pg_dump"
    fake.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tools))
    server_major = connections[pg.alias].pg_version // 10000
    output = tmp_path / "b.tar.gz"
    with pytest.raises(BackupError) as err:
        backup_create(database=pg.driver, media_root=media_root, output=output)
    assert f"pg_dump is version 9 but the server is version {server_major}" in str(err.value)
    assert list(tmp_path.glob("b.tar.gz*")) == []
