"""Backup and restore on the suite's database vendor (CI runs the suite on SQLite and PostgreSQL),
always against a throwaway database: rows and media come back exactly; damaged, newer and
other-vendor backups are refused with the live data untouched."""

import json
import threading
import time

import pytest
from django.db import connections, transaction

from closedloop.agreement.models import AgreementVersion
from closedloop.crm.models import Contact
from closedloop.ops.archive import BackupError
from closedloop.ops.backup import RestorePlan, backup_create
from closedloop.ops.selectors import known_migrations
from closedloop.ops.tests.builders import BROCHURE, BROCHURE_NAME, WHEN, archive_rewrite, populate
from closedloop.tracking.models import Event


def restore(throwaway, archive, media_root):
    connections[throwaway.alias].close()
    with RestorePlan(
        archive=archive, database=throwaway.driver, media_root=media_root, known=known_migrations()
    ) as plan:
        return plan.apply()


def change_everything(throwaway, media_root):
    """What happens after the backup: a deletion, an insert, an edit, a new table, new media."""
    alias = throwaway.alias
    Contact.objects.using(alias).filter(email="bob@acme.example").delete()  # and bob's event
    Contact.objects.using(alias).create(email="eve@acme.example", created_at=WHEN)
    AgreementVersion.objects.using(alias).update(title="Renamed")
    with connections[alias].cursor() as cursor:
        cursor.execute("CREATE TABLE zz_after_backup (id integer)")
    (media_root / BROCHURE_NAME).write_bytes(b"overwritten")
    (media_root / "content" / "later.txt").write_text("added after the backup")


def events_per_contact(alias):
    return {
        c.email: Event.objects.using(alias).filter(contact=c).count()
        for c in Contact.objects.using(alias).order_by("email")
    }


def test_restore_brings_back_every_row_and_the_media_bytes(throwaway, media_root, tmp_path):
    populate(throwaway.alias, media_root)
    before = throwaway.table_counts()
    archive = tmp_path / "b.tar.gz"
    manifest = backup_create(database=throwaway.driver, media_root=media_root, output=archive)
    assert manifest["row_counts"] == before
    assert (manifest["row_counts"]["crm_contact"], manifest["row_counts"]["tracking_event"]) == (3, 4)
    assert manifest["database"]["vendor"] == connections[throwaway.alias].vendor
    assert manifest["migrations"]["crm"][0] == "0001_initial"
    assert manifest["files"][f"media/{BROCHURE_NAME}"]["size"] == 10_250

    change_everything(throwaway, media_root)
    restored = restore(throwaway, archive, media_root)

    assert throwaway.table_counts() == before  # zz_after_backup is gone too
    assert events_per_contact(throwaway.alias) == {
        "ada@acme.example": 1,
        "bob@acme.example": 1,
        "cyd@acme.example": 2,
    }
    assert AgreementVersion.objects.using(throwaway.alias).get().title == "Q3 agreement"
    assert (media_root / BROCHURE_NAME).read_bytes() == BROCHURE
    assert not (media_root / "content" / "later.txt").exists()
    assert (restored.media_files, restored.pending_migrations, restored.count_mismatches) == (1, 0, [])


def test_backup_taken_while_a_writer_inserts_is_one_consistent_snapshot(throwaway, media_root, tmp_path):
    """Each write commits a contact together with its event: a consistent copy has as many of one as
    of the other, and the restored database holds exactly the rows its manifest lists."""
    alias = throwaway.alias
    committed = 0
    stop = threading.Event()
    failure: list[BaseException] = []

    def writer():
        nonlocal committed
        try:
            while not stop.is_set():
                with transaction.atomic(using=alias):
                    contact = Contact.objects.using(alias).create(
                        email=f"w{committed}@load.example", created_at=WHEN
                    )
                    Event.objects.using(alias).create(
                        idempotency_key=f"w{committed}", type="page_view", ts=WHEN, contact=contact
                    )
                committed += 1
        except BaseException as exc:
            failure.append(exc)
        finally:
            connections[alias].close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while committed < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        at_start = committed
        manifest = backup_create(
            database=throwaway.driver, media_root=media_root, output=tmp_path / "b.tar.gz"
        )
        at_end = committed
        deadline = time.monotonic() + 30
        while committed < at_end + 20 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join()
    assert not failure, failure
    pairs = manifest["row_counts"]["crm_contact"]
    assert pairs == manifest["row_counts"]["tracking_event"]
    assert at_start <= pairs <= at_end + 1  # the one in flight may or may not be in the snapshot
    assert committed >= at_end + 20 > pairs  # the writer went on while and after the backup ran

    restored = restore(throwaway, tmp_path / "b.tar.gz", media_root)
    assert restored.count_mismatches == []
    assert Contact.objects.using(alias).count() == Event.objects.using(alias).count() == pairs


@pytest.mark.parametrize("damage", ["truncated", "member_changed", "bit_flipped"])
def test_a_damaged_archive_is_refused_and_nothing_changes(damage, throwaway, media_root, tmp_path):
    populate(throwaway.alias, media_root)
    good = tmp_path / "good.tar.gz"
    backup_create(database=throwaway.driver, media_root=media_root, output=good)
    Contact.objects.using(throwaway.alias).filter(email="bob@acme.example").delete()
    (media_root / BROCHURE_NAME).write_bytes(b"edited since")
    after_change = throwaway.table_counts()

    bad = tmp_path / "bad.tar.gz"
    raw = good.read_bytes()
    if damage == "truncated":
        bad.write_bytes(raw[: len(raw) * 2 // 3])
        expected = "damaged or truncated"
    elif damage == "bit_flipped":
        middle = len(raw) // 2
        bad.write_bytes(raw[:middle] + bytes([raw[middle] ^ 0x01]) + raw[middle + 1 :])
        expected = "damaged or truncated"
    else:
        # Same length, other bytes, the original manifest: only the checksum can tell.
        archive_rewrite(good, bad, members={f"media/{BROCHURE_NAME}": bytes(reversed(BROCHURE))})
        expected = f"checksum mismatch in {bad} for media/{BROCHURE_NAME}"

    with pytest.raises(BackupError, match="nothing was restored") as err:
        restore(throwaway, bad, media_root)
    assert expected in str(err.value)
    assert throwaway.table_counts() == after_change
    assert not Contact.objects.using(throwaway.alias).filter(email="bob@acme.example").exists()
    assert (media_root / BROCHURE_NAME).read_bytes() == b"edited since"


def test_a_backup_from_a_newer_version_is_refused(throwaway, media_root, tmp_path):
    good, newer = tmp_path / "good.tar.gz", tmp_path / "newer.tar.gz"
    backup_create(database=throwaway.driver, media_root=media_root, output=good)

    def from_the_future(manifest):
        manifest["migrations"]["crm"].append("9999_from_the_future")
        return manifest

    archive_rewrite(good, newer, manifest=from_the_future)
    with pytest.raises(BackupError) as err:
        restore(throwaway, newer, media_root)
    assert "newer closedloop" in str(err.value)
    assert "crm.9999_from_the_future" in str(err.value)


def test_a_backup_of_the_other_vendor_is_refused(throwaway, media_root, tmp_path):
    good, other = tmp_path / "good.tar.gz", tmp_path / "other.tar.gz"
    backup_create(database=throwaway.driver, media_root=media_root, output=good)
    vendor = throwaway.driver.vendor
    swapped = "postgresql" if vendor == "sqlite" else "sqlite"

    def other_vendor(manifest):
        manifest["database"]["vendor"] = swapped
        return manifest

    archive_rewrite(good, other, manifest=other_vendor)
    with pytest.raises(BackupError) as err:
        restore(throwaway, other, media_root)
    assert f"this backup is of a {swapped} database" in str(err.value)
    assert "not supported" in str(err.value)


def test_an_existing_output_file_is_not_overwritten(throwaway, media_root, tmp_path):
    output = tmp_path / "b.tar.gz"
    output.write_bytes(b"an older backup")
    with pytest.raises(BackupError, match="already exists"):
        backup_create(database=throwaway.driver, media_root=media_root, output=output)
    assert output.read_bytes() == b"an older backup"


def test_the_manifest_is_the_last_member_and_lists_sha256(throwaway, media_root, tmp_path):
    import hashlib
    import tarfile

    populate(throwaway.alias, media_root)
    archive = tmp_path / "b.tar.gz"
    backup_create(database=throwaway.driver, media_root=media_root, output=archive)
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
        brochure = tar.extractfile(f"media/{BROCHURE_NAME}").read()
    assert names[-1] == "manifest.json"
    assert names[0] == throwaway.driver.member
    assert manifest["files"][f"media/{BROCHURE_NAME}"]["sha256"] == hashlib.sha256(BROCHURE).hexdigest()
    assert brochure == BROCHURE
