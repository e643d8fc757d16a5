"""Backup and restore of a closedloop installation: the database and the uploaded media in one
archive (see archive.py for its layout and checks, databases.py for each vendor).

A restore refuses, before touching anything: an archive that fails its checksums, a backup from
another database vendor, and a backup whose migrations this version of closedloop does not have
(it was made by a newer version). It then replaces the database in one transaction and the media
folder with one rename."""

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from closedloop.ops.archive import ArchiveWriter, BackupError, archive_extract
from closedloop.ops.databases import Migrations, PostgresDatabase, SqliteDatabase

Database = SqliteDatabase | PostgresDatabase
MEDIA = "media"


def closedloop_version() -> str:
    try:
        return version("closedloop")
    except PackageNotFoundError:
        return "unknown"


def default_backup_name(now: datetime) -> str:
    return f"closedloop-{now.astimezone(UTC):%Y%m%d-%H%M%S}.tar.gz"


def _media_files(media_root: Path) -> list[Path]:
    if not media_root.is_dir():
        return []
    # Symbolic links are skipped: a restore must only ever write plain files under MEDIA_ROOT.
    return sorted(p for p in media_root.rglob("*") if p.is_file() and not p.is_symlink())


def backup_create(*, database: Database, media_root: Path, output: Path) -> dict[str, Any]:
    """Write the archive to `output` (via a temporary name, renamed when complete); returns the manifest."""
    if output.exists():
        raise BackupError(f"{output} already exists; choose another --output")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    with tempfile.TemporaryDirectory(prefix=".closedloop-backup-", dir=output.parent) as staging:
        dump = Path(staging) / database.member
        contents = database.dump(dump)
        writer = ArchiveWriter(partial)
        try:
            writer.add(database.member, dump)
            media = _media_files(media_root)
            for path in media:
                writer.add(f"{MEDIA}/{path.relative_to(media_root).as_posix()}", path)
            manifest = writer.close(
                {
                    "closedloop_version": closedloop_version(),
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "database": {"vendor": database.vendor, "member": database.member},
                    "migrations": contents.migrations,
                    "row_counts": contents.row_counts,
                }
            )
        except BaseException:
            writer.abort()
            partial.unlink(missing_ok=True)
            raise
    os.replace(partial, output)
    return manifest


def migrations_unknown(backup: Migrations, known: set[tuple[str, str]]) -> list[str]:
    """Migrations the backup has applied that this code does not have: a newer version made it."""
    return sorted(
        f"{app}.{name}" for app, names in backup.items() for name in names if (app, name) not in known
    )


def migrations_missing(backup: Migrations, known: set[tuple[str, str]]) -> int:
    applied = {(app, name) for app, names in backup.items() for name in names}
    return len(known - applied)


@dataclass(frozen=True)
class Restored:
    manifest: dict[str, Any]
    media_files: int
    # Migrations this code has that the backup lacks: `closedloop migrate` applies them.
    pending_migrations: int
    # Tables whose row count after the restore differs from the manifest (a server left running).
    count_mismatches: list[str]


class RestorePlan:
    """An archive extracted and verified in a staging folder, ready to replace the live data.

    Use as a context manager: the staging folder is removed on exit."""

    def __init__(
        self, *, archive: Path, database: Database, media_root: Path, known: set[tuple[str, str]]
    ) -> None:
        self.archive, self.database, self.media_root, self.known = archive, database, media_root, known
        media_root.parent.mkdir(parents=True, exist_ok=True)
        # Staged next to MEDIA_ROOT so that putting the media in place is a rename on one file system.
        self._tmp = tempfile.TemporaryDirectory(prefix=".closedloop-restore-", dir=media_root.parent)
        self.staging = Path(self._tmp.name) / "archive"
        self.staging.mkdir()
        try:
            self.manifest = self._verify()
        except BaseException:
            self._tmp.cleanup()
            raise

    def __enter__(self) -> "RestorePlan":
        return self

    def __exit__(self, *exc: object) -> None:
        self._tmp.cleanup()

    def _verify(self) -> dict[str, Any]:
        manifest = archive_extract(self.archive, self.staging)
        vendor = manifest.get("database", {}).get("vendor")
        if vendor != self.database.vendor:
            raise BackupError(
                f"this backup is of a {vendor} database and cannot be restored into {self.database.describe()}; "
                "restoring across database vendors is not supported (restore it into a "
                f"{vendor} database, then move the data with `closedloop dumpdata` and `loaddata`)"
            )
        unknown = migrations_unknown(manifest.get("migrations", {}), self.known)
        if unknown:
            shown = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
            raise BackupError(
                f"this backup was made by a newer closedloop ({manifest.get('closedloop_version')}): it has "
                f"migrations this version does not know ({shown}); upgrade closedloop, then restore"
            )
        staged = self.staging / self.database.member
        if not staged.is_file():
            raise BackupError(f"the backup has no {self.database.member}")
        contents = self.database.check(staged)
        if contents is not None and contents.row_counts != manifest.get("row_counts"):
            raise BackupError("the database in the backup does not have the row counts its manifest lists")
        return manifest

    def apply(self) -> Restored:
        self.database.load(self.staging / self.database.member)
        media_count = self._media_swap()
        pending = migrations_missing(self.manifest.get("migrations", {}), self.known)
        after = self.database.current().row_counts
        expected = self.manifest.get("row_counts", {})
        mismatches = sorted(t for t in set(after) | set(expected) if after.get(t) != expected.get(t))
        return Restored(self.manifest, media_count, pending, mismatches)

    def _media_swap(self) -> int:
        staged_media = self.staging / MEDIA
        staged_media.mkdir(exist_ok=True)
        count = sum(1 for p in staged_media.rglob("*") if p.is_file())
        old = Path(self._tmp.name) / "media-before-restore"
        if self.media_root.exists():
            os.replace(self.media_root, old)
        os.replace(staged_media, self.media_root)
        shutil.rmtree(old, ignore_errors=True)
        return count
