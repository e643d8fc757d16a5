"""`closedloop backup` and `closedloop restore` as real processes against the throwaway database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections

from closedloop.audit.models import AuditEntry
from closedloop.crm.models import Contact
from closedloop.ops.tests.builders import BROCHURE, BROCHURE_NAME, populate

CLOSEDLOOP = str(Path(sys.executable).with_name("closedloop"))


def closedloop(throwaway, data_dir, *args):
    env = {**os.environ, "DATABASE_URL": throwaway.url, "CLOSEDLOOP_DATA_DIR": str(data_dir)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [CLOSEDLOOP, *args], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120
    )


@pytest.mark.slow  # three closedloop processes, a few seconds each
def test_backup_then_restore_from_the_command_line(throwaway, media_root, tmp_path):
    data_dir = media_root.parent
    populate(throwaway.alias, media_root)
    connections[throwaway.alias].close()
    archive = tmp_path / "nightly.tar.gz"

    made = closedloop(throwaway, data_dir, "backup", "--output", str(archive))
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"{archive}: ")
    assert "1 media files" in made.stdout

    Contact.objects.using(throwaway.alias).filter(email="bob@acme.example").delete()
    (media_root / BROCHURE_NAME).unlink()
    connections[throwaway.alias].close()

    unconfirmed = closedloop(throwaway, data_dir, "restore", str(archive))
    assert unconfirmed.returncode == 1
    assert "pass --yes" in unconfirmed.stderr
    assert not Contact.objects.using(throwaway.alias).filter(email="bob@acme.example").exists()
    connections[throwaway.alias].close()

    restored = closedloop(throwaway, data_dir, "restore", str(archive), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert "checksums verified" in restored.stdout
    assert sorted(Contact.objects.using(throwaway.alias).values_list("email", flat=True)) == [
        "ada@acme.example",
        "bob@acme.example",
        "cyd@acme.example",
    ]
    assert (media_root / BROCHURE_NAME).read_bytes() == BROCHURE
    # The backup's own entry was written after its snapshot; the restore's entry follows the restore.
    assert list(AuditEntry.objects.using(throwaway.alias).values_list("action", flat=True)) == ["ops.restore"]


@pytest.mark.slow  # one closedloop process
def test_a_missing_archive_is_a_clear_error(throwaway, media_root, tmp_path):
    done = closedloop(throwaway, media_root.parent, "restore", str(tmp_path / "nope.tar.gz"), "--yes")
    assert done.returncode == 1
    assert f"no backup file at {tmp_path / 'nope.tar.gz'}" in done.stderr
