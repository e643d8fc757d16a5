"""Reads for the import pages: past jobs, a file's columns with sample values, live progress."""

from dataclasses import dataclass
from pathlib import Path

from django.db.models import QuerySet

from closedloop.imports.csv_reader import CsvFileError, CsvLayout, read_samples
from closedloop.imports.models import ImportJob
from closedloop.imports.presets import PRESETS
from closedloop.imports.progress import progress_get
from closedloop.imports.targets import field_choices


def import_job_list(*, limit: int = 50) -> QuerySet[ImportJob]:
    return ImportJob.objects.select_related("created_by").order_by("-created_at", "-id")[:limit]


def import_job_get(*, job_id: int) -> ImportJob | None:
    return ImportJob.objects.select_related("created_by").filter(pk=job_id).first()


@dataclass(frozen=True)
class ColumnRow:
    index: int
    name: str
    samples: list[str]
    field: str


def import_job_columns(*, job: ImportJob) -> list[ColumnRow]:
    """Each CSV column with a few sample values and the field it maps to now."""
    layout = CsvLayout.from_dict(job.layout)
    try:
        samples = read_samples(Path(job.file.path), layout) if job.file else [[] for _ in layout.headers]
    except (OSError, CsvFileError):
        samples = [[] for _ in layout.headers]
    return [
        ColumnRow(i, name, samples[i], job.mapping.get(name, "")) for i, name in enumerate(layout.headers)
    ]


def import_field_choices(*, target: str) -> list[tuple[str, str]]:
    return field_choices(target)


def import_preset_choices(*, target: str) -> list[tuple[str, str]]:
    return [("", "No preset (guess from the headers)")] + [
        (p.key, p.label) for p in PRESETS.values() if p.target == target
    ]


@dataclass(frozen=True)
class ProgressView:
    percent: int
    phase: str
    rows_read: int
    rows_written: int
    rows_to_write: int
    tracked: bool  # False: this process does not run the job (another worker, or a restart)


def import_job_progress(*, job: ImportJob) -> ProgressView:
    progress = progress_get(job.pk)
    if progress is None:
        done = job.is_finished
        return ProgressView(100 if done else 0, "done" if done else "unknown", job.total_rows, 0, 0, False)
    return ProgressView(
        progress.percent,
        progress.phase,
        progress.rows_read,
        progress.rows_written,
        progress.rows_to_write,
        True,
    )
