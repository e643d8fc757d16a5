"""closedloop import FILE --target contacts|accounts|deals — import a CSV file from the command
line: a progress bar on stderr, the summary (or --json) on stdout, exit status 1 on invalid rows."""

import json
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from closedloop.accounts.models import User
from closedloop.imports.plan import ImportOptions
from closedloop.imports.presets import PRESETS
from closedloop.imports.progress import Progress
from closedloop.imports.services import import_file
from closedloop.imports.targets import TARGETS, field_choices

SHOWN_ERRORS = 50


class Command(BaseCommand):
    help = "Import contacts, accounts or deals from a CSV file (all-or-nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file")
        parser.add_argument(
            "--target", choices=TARGETS, help="what the rows are (default: the preset's target)"
        )
        parser.add_argument(
            "--preset", choices=sorted(PRESETS), help="column mapping preset (default: detected)"
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar='"CSV Column=field"',
            help="map a column to a field; an empty field ignores the column (repeatable)",
        )
        parser.add_argument("--dry-run", action="store_true", help="validate and count; write nothing")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="import the valid rows, skip the others"
        )
        parser.add_argument("--day-first", action="store_true", help="read 01/02/2024 as 1 February")
        parser.add_argument(
            "--create-owners", action="store_true", help="create inactive users for owners with no user"
        )
        parser.add_argument("--user", help="username to record as the importer")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args: Any, **opts: Any) -> None:
        target = opts["target"] or (PRESETS[opts["preset"]].target if opts["preset"] else None)
        if target is None:
            raise CommandError(
                "Say what the rows are with --target contacts|accounts|deals (or give a --preset)."
            )
        overrides = {}
        for item in opts["map"]:
            column, sep, field = item.partition("=")
            if not sep:
                raise CommandError(f'--map {item!r}: write it as "CSV Column=field"')
            if field.strip() and field.strip() not in dict(field_choices(target)):
                names = ", ".join(name for name, _ in field_choices(target) if name)
                raise CommandError(
                    f"--map {item!r}: {field.strip()!r} is not a {target} field; one of {names}"
                )
            overrides[column.strip()] = field.strip()
        by = None
        if opts["user"]:
            by = User.objects.filter(username=opts["user"]).first()
            if by is None:
                raise CommandError(f"--user: no user named {opts['user']!r}")
        progress = Progress(on_change=None if opts["no_progress"] else self._bar())
        try:
            job = import_file(
                path=Path(opts["file"]),
                target=target,
                preset_key=opts["preset"] or "",
                mapping_overrides=overrides,
                options=ImportOptions(
                    skip_invalid=opts["skip_invalid"],
                    day_first=opts["day_first"],
                    create_owners=opts["create_owners"],
                ),
                dry_run=opts["dry_run"],
                by=by,
                progress=progress,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        finally:
            if not opts["no_progress"]:
                self.stderr.write("")
        report = job.preview if opts["dry_run"] else job.summary
        if opts["json"]:
            self.stdout.write(json.dumps({"job": job.pk, **report}, indent=2, default=str))
        else:
            self.stdout.write(summary_text(report, name=Path(opts["file"]).name, preset=job.preset))
        if report["invalid"] and not opts["skip_invalid"]:
            raise CommandError(
                f"{report['invalid']} rows are invalid; "
                + ("a run would import nothing." if opts["dry_run"] else "nothing was imported.")
            )

    def _bar(self):  # -> Callable[[Progress], None]
        last = [0.0]

        def draw(progress: Progress) -> None:
            now = time.monotonic()
            if now - last[0] < 0.1 and progress.phase != "done":
                return
            last[0] = now
            filled = progress.percent // 5
            if progress.phase == "reading":
                what = f"validating {progress.rows_read:,} rows"
            elif progress.phase == "writing":
                what = f"writing {progress.rows_written:,}/{progress.rows_to_write:,}"
            else:
                what = "done"
            bar = "#" * filled + "-" * (20 - filled)
            self.stderr.write(f"\r[{bar}] {progress.percent:3d}% {what:<32}", ending="")
            self.stderr.flush()

        return draw


def summary_text(report: dict[str, Any], *, name: str, preset: str = "") -> str:
    mode = (
        "dry run, nothing written"
        if report["dry_run"]
        else ("written" if report["written"] else "NOT written")
    )
    outcome = "preview" if report["dry_run"] else ("finished" if report["written"] else "refused")
    lines = [f"Import {outcome}: {report['target']} from {name} ({mode})"]
    if preset:
        lines.append(f"  {'preset':<24}{preset}")
    lines.append(f"  {'encoding':<24}{report['encoding']}, delimiter {report['delimiter']!r}")
    verb = "would be " if report["dry_run"] else ""
    for label, key in (
        ("rows read", "rows"),
        ("invalid rows", "invalid"),
        (f"{verb}created", "created"),
        (f"{verb}updated", "updated"),
        ("merged duplicates", "merged"),
        ("skipped", "skipped"),
        (f"accounts {verb}created", "accounts_created"),
        ("accounts matched", "accounts_matched"),
        (
            "owners to create" if report["dry_run"] else "owners created",
            "owners_to_create" if report["dry_run"] else "owners_created",
        ),
    ):
        if key in report:
            lines.append(f"  {label:<24}{report[key]:,}")
    for item in report.get("company_spellings", [])[:10]:
        lines.append(f"  {'merged spellings':<24}{' = '.join(repr(s) for s in item['spellings'])}")
    for fix in report.get("value_fixes", [])[:10]:
        lines.append(
            f"  {'corrected':<24}{fix['column']}: {fix['from']!r} → {fix['to']!r} ({fix['rows']:,} rows)"
        )
    if report.get("owners_unmatched_count"):
        count = report["owners_unmatched_count"]
        names = ", ".join(list(report["owners_unmatched"])[:10]) + (", …" if count > 10 else "")
        lines.append(f"  {'owners not found':<24}{count} ({names})")
    if report.get("created_at_defaulted"):
        lines.append(f"  {'no created date':<24}{report['created_at_defaulted']:,} (set to the import time)")
    for note in report.get("notes", []):
        lines.append(f"  note: {note}")
    if report.get("refused"):
        lines.append(report["refused"])
    if report["error_count"]:
        lines.append(f"Errors ({report['error_count']:,}):")
        for error in report["errors"][:SHOWN_ERRORS]:
            where = f"line {error['line']}" + (f', column "{error["column"]}"' if error["column"] else "")
            lines.append(f"  {where}: {error['message']}")
        if report["error_count"] > SHOWN_ERRORS:
            lines.append(f"  … and {report['error_count'] - SHOWN_ERRORS:,} more")
    lines.append(f"Duration {report.get('duration_s', 0):.2f} s")
    return "\n".join(lines)
