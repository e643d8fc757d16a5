"""closedloop restore FILE [--yes] — replace the database and uploaded media with a backup's."""

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, transaction

from closedloop.audit.services import audit_record
from closedloop.ops.archive import BackupError
from closedloop.ops.backup import RestorePlan
from closedloop.ops.selectors import known_migrations, live_database, live_media_root


class Command(BaseCommand):
    help = (
        "Restore a backup made by `closedloop backup`: checks it first, then replaces the database and "
        "the uploaded media. Stop the web server and the worker first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="The backup archive (.tar.gz).")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args: Any, **opts: Any) -> None:
        archive = Path(opts["archive"])
        database = live_database()
        try:
            with RestorePlan(
                archive=archive, database=database, media_root=live_media_root(), known=known_migrations()
            ) as plan:
                manifest = plan.manifest
                rows = sum(manifest["row_counts"].values())
                self.stdout.write(
                    f"{archive.name}: made {manifest['created_at']} by closedloop "
                    f"{manifest['closedloop_version']}, {rows} rows; checksums verified."
                )
                if not opts["yes"] and not self._confirmed(database.describe()):
                    raise CommandError("restore cancelled; nothing was changed")
                connections.close_all()
                restored = plan.apply()
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        # The restored audit log is the backup's; this entry, written after it, says it was restored.
        with transaction.atomic():
            audit_record(
                actor=None,
                action="ops.restore",
                obj=None,
                object_type="backup",
                object_repr=archive.name,
                summary=f"Restored the backup made {manifest['created_at']} ({rows} rows)",
                changes={
                    "created_at": manifest["created_at"],
                    "closedloop_version": manifest["closedloop_version"],
                },
            )
        self.stdout.write(
            f"restored {rows} rows and {restored.media_files} media files into {database.describe()}"
        )
        if restored.count_mismatches:
            self.stderr.write(
                "warning: after the restore these tables hold another number of rows than the backup "
                f"lists (is a server or worker still running?): {', '.join(restored.count_mismatches)}"
            )
        if restored.pending_migrations:
            self.stdout.write(
                f"the backup is {restored.pending_migrations} migration(s) behind this version: "
                "run `closedloop migrate` before starting the server"
            )

    def _confirmed(self, target: str) -> bool:
        if not sys.stdin.isatty():
            raise CommandError("not a terminal: pass --yes to restore without confirmation")
        answer = input(
            f"This replaces every row of the {target} and the uploaded media. Type 'yes' to go on: "
        )
        return answer.strip().lower() == "yes"
