"""closedloop backup [--output FILE] — the database and uploaded media in one verified archive."""

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from closedloop.audit.services import audit_record
from closedloop.ops.archive import BackupError
from closedloop.ops.backup import backup_create, default_backup_name
from closedloop.ops.selectors import live_database, live_media_root


class Command(BaseCommand):
    help = "Back up the database (online, while the server runs) and the uploaded media into one archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", help="Archive to write (default: closedloop-YYYYmmdd-HHMMSS.tar.gz here)."
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        output = Path(opts["output"] or default_backup_name(datetime.now(UTC)))
        started = time.monotonic()
        try:
            manifest = backup_create(database=live_database(), media_root=live_media_root(), output=output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest["row_counts"].values())
        media = sum(1 for name in manifest["files"] if name.startswith("media/"))
        # Recorded after the snapshot, so the entry is in the live log, not in this archive.
        with transaction.atomic():
            audit_record(
                actor=None,
                action="ops.backup",
                obj=None,
                object_type="backup",
                object_repr=output.name,
                summary=f"Backed up {rows} rows and {media} media files to {output.name}",
            )
        self.stdout.write(
            f"{output}: {rows} rows in {len(manifest['row_counts'])} tables, {media} media files, "
            f"{output.stat().st_size} bytes, {time.monotonic() - started:.1f} s"
        )
