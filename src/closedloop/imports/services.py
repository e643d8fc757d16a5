"""Writes for CSV imports: create a job from an upload, map its columns, dry-run it, and run it —
in a background thread for the web pages, in the foreground for the `import` command.

A run is all-or-nothing: every row is validated first, and if any is invalid nothing is written
unless the user chose to skip invalid rows; the writes then happen in one transaction."""

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connections, transaction
from django.utils import timezone

from closedloop.accounts.models import User
from closedloop.audit.services import audit_record
from closedloop.imports.bulk_sql import write_tuning
from closedloop.imports.csv_reader import CsvFileError, CsvLayout, inspect_csv
from closedloop.imports.interrupted import import_jobs_fail_interrupted, runner_here
from closedloop.imports.loading import WriteResult, plan_write
from closedloop.imports.models import ImportJob
from closedloop.imports.plan import ImportOptions, ImportPlan, ImportSpec, plan_build
from closedloop.imports.presets import PRESETS, Preset, mapping_suggest, preset_detect
from closedloop.imports.progress import Progress, progress_forget, progress_get, progress_register
from closedloop.imports.targets import TARGETS, mapping_problems

logger = logging.getLogger(__name__)
MAX_LISTED = 50


def _preset(key: str) -> Preset | None:
    if not key:
        return None
    if key not in PRESETS:
        raise ValidationError({"preset": f"unknown preset {key!r}; one of {', '.join(PRESETS)}"})
    return PRESETS[key]


def _check_target(target: str) -> None:
    if target not in TARGETS:
        raise ValidationError({"target": f"unknown target {target!r}; one of {', '.join(TARGETS)}"})


def _spec(job: ImportJob, path: Path) -> ImportSpec:
    return ImportSpec(
        path=path,
        layout=CsvLayout.from_dict(job.layout, size=path.stat().st_size),
        target=job.target,
        mapping=dict(job.mapping),
        preset=_preset(job.preset),
        options=ImportOptions.from_dict(job.options),
    )


def _job_path(job: ImportJob) -> Path:
    return Path(job.file.path)


# -- the report ----------------------------------------------------------------------------------
def import_report(plan: ImportPlan, spec: ImportSpec, *, dry_run: bool) -> dict[str, Any]:
    """What the preview and the summary show; JSON-serialisable so the job can keep it."""
    report: dict[str, Any] = {
        "dry_run": dry_run,
        "written": False,
        "target": spec.target,
        "encoding": spec.layout.encoding,
        "delimiter": spec.layout.delimiter,
        **plan.counts(),
        "skipped": 0,
        "merges": plan.merges,
        "company_spellings_count": sum(1 for spellings in plan.companies.values() if len(spellings) > 1),
        "company_spellings": [
            {"name": next(iter(spellings)), "spellings": list(spellings), "lines": list(spellings.values())}
            for spellings in plan.companies.values()
            if len(spellings) > 1
        ][:MAX_LISTED],
        "value_fixes": [
            {"column": column, "from": raw, "to": fixed, "rows": n}
            for (column, raw, fixed), n in plan.value_fixes.most_common(MAX_LISTED)
        ],
        "owners_unmatched": dict(sorted(plan.unmatched_owners.items())[:MAX_LISTED]),
        "owners_unmatched_count": len(plan.unmatched_owners),
        "owners_created": 0,
        "owners_to_create": len(plan.unmatched_owners) if spec.options.create_owners else 0,
        "stage_transitions": 0,
        "error_count": plan.error_count,
        "errors": [{"line": e.line, "column": e.column, "message": e.message} for e in plan.errors],
        "notes": list(plan.notes),
    }
    if spec.target == "deals":
        report["created_at_defaulted"] = plan.defaulted_created_at
    return report


def _apply_result(report: dict[str, Any], result: WriteResult, plan: ImportPlan) -> None:
    report.update(
        written=True,
        created=result.created,
        updated=result.updated,
        skipped=plan.invalid_rows,
        owners_created=result.owners_created,
        owners_to_create=0,
        stage_transitions=result.stage_transitions,
    )
    if result.owners_created:  # every owner without a user got one
        report.update(owners_unmatched={}, owners_unmatched_count=0)
    if report["target"] != "accounts":
        report["accounts_created"] = result.accounts_created
    if report["target"] == "deals":
        report["deals_without_contact"] = result.deals_without_contact


def import_execute(
    *,
    spec: ImportSpec,
    dry_run: bool,
    by: User | None = None,
    detail: str = "CSV import",
    progress: Progress | None = None,
    job: ImportJob | None = None,
) -> dict[str, Any]:
    """Validate every row, then (unless dry_run, or rows are invalid and may not be skipped)
    write everything in one transaction, with one audit entry for the job. Returns the report."""
    started = time.perf_counter()
    progress = progress or Progress(bytes_total=spec.layout.size)
    try:
        plan = plan_build(spec, progress)
    except CsvFileError as exc:  # e.g. a field over the csv module's size limit, or broken quoting
        raise ValidationError({"file": str(exc)}) from exc
    report = import_report(plan, spec, dry_run=dry_run)
    report["read_s"] = round(time.perf_counter() - started, 3)
    if not dry_run:
        if plan.invalid_rows and not spec.options.skip_invalid:
            # Nothing was written: the counts say so; the preview holds what would have been.
            report.update(created=0, updated=0)
            if "accounts_created" in report:
                report.update(accounts_created=0, accounts_matched=0)
            report["refused"] = (
                f"{plan.invalid_rows} of {plan.rows} rows are invalid, so nothing was imported. "
                "Fix them and import again, or choose to skip invalid rows."
            )
        else:
            writing = time.perf_counter()
            with write_tuning(), transaction.atomic():
                result = plan_write(plan, spec, by=by, detail=detail[:500], progress=progress)
                _apply_result(report, result, plan)
                if job is not None:
                    _audit(job, report, by)
            report["write_s"] = round(time.perf_counter() - writing, 3)
    progress.finish()
    report["duration_s"] = round(time.perf_counter() - started, 3)
    return report


def _audit(job: ImportJob, report: dict[str, Any], by: User | None) -> None:
    counts = {
        k: report.get(k, 0) for k in ("rows", "created", "updated", "merged", "skipped", "accounts_created")
    }
    audit_record(
        actor=by,
        action="import.run",
        obj=job,
        summary=(
            f"Imported {report['target']} from {job.original_name}: {counts['created']:,} created, "
            f"{counts['updated']:,} updated, {counts['merged']:,} merged, {counts['skipped']:,} skipped"
        ),
        changes=counts,
    )


# -- jobs from the web pages ---------------------------------------------------------------------
@transaction.atomic
def import_job_create(*, uploaded_file: UploadedFile, target: str, by: User | None) -> ImportJob:
    """Store the upload, read its header, detect a preset and suggest a mapping."""
    _check_target(target)
    name = Path(uploaded_file.name or "upload.csv").name[:255]
    job = ImportJob(original_name=name, target=target, created_by=by, source=ImportJob.Source.WEB)
    job.file.save(name, uploaded_file, save=False)
    try:
        layout = inspect_csv(_job_path(job))
    except CsvFileError as exc:
        job.file.delete(save=False)
        raise ValidationError({"file": str(exc)}) from exc
    preset = preset_detect(layout.headers, target)
    job.layout = layout.to_dict()
    job.preset = preset.key if preset else ""
    job.mapping = mapping_suggest(layout.headers, target, preset)
    job.save()
    return job


@transaction.atomic
def import_job_apply_preset(*, job: ImportJob, preset_key: str) -> ImportJob:
    """Replace the mapping with a preset's (or the header-based guess for no preset)."""
    preset = _preset(preset_key)
    if preset is not None and preset.target != job.target:
        raise ValidationError(
            {"preset": f"the preset {preset.label!r} imports {preset.target}, not {job.target}"}
        )
    job.preset = preset_key
    job.mapping = mapping_suggest(job.layout["headers"], job.target, preset)
    job.status = ImportJob.Status.UPLOADED
    job.preview = {}
    job.save(update_fields=["preset", "mapping", "status", "preview"])
    return job


@transaction.atomic
def import_job_set_mapping(
    *, job: ImportJob, mapping: dict[str, str], day_first: bool = False, create_owners: bool = False
) -> ImportJob:
    if job.status in (ImportJob.Status.RUNNING, ImportJob.Status.DONE):
        raise ValidationError("This import has already run; upload the file again to import it anew.")
    headers = job.layout["headers"]
    unknown = set(mapping) - set(headers)
    if unknown:
        raise ValidationError({"mapping": f"no such column: {', '.join(sorted(unknown))}"})
    mapping = {h: mapping.get(h, "") for h in headers}
    problems = mapping_problems(job.target, mapping)
    if problems:
        raise ValidationError(problems)
    job.mapping = mapping
    job.options = {**job.options, "day_first": day_first, "create_owners": create_owners}
    job.status = ImportJob.Status.MAPPED
    job.preview = {}
    job.save(update_fields=["mapping", "options", "status", "preview"])
    return job


def import_job_preview(*, job: ImportJob) -> ImportJob:
    """The dry run: validates every row and counts what a run would do; writes only the report."""
    spec = _spec(job, _job_path(job))
    report = import_execute(spec=spec, dry_run=True)  # ValidationError when the file cannot be read
    job.preview = report
    job.total_rows = report["rows"]
    job.status = ImportJob.Status.PREVIEWED
    job.save(update_fields=["preview", "total_rows", "status"])
    return job


def run_in_background(function: Callable[..., Any], **kwargs: Any) -> threading.Thread:
    """Run in a thread of this process; the thread closes its own database connections."""

    def target() -> None:
        try:
            function(**kwargs)
        finally:
            connections.close_all()

    thread = threading.Thread(target=target, name=f"import-{kwargs.get('job_id')}", daemon=True)
    thread.start()
    return thread


def import_job_start(*, job: ImportJob, skip_invalid: bool, by: User | None) -> ImportJob:
    """Start the run in a background thread; the job page follows it through the progress registry."""
    if job.status not in (ImportJob.Status.MAPPED, ImportJob.Status.PREVIEWED):
        raise ValidationError("Map the columns and preview the import before running it.")
    invalid = job.preview.get("invalid", 0)
    if invalid and not skip_invalid:
        raise ValidationError(
            f"{invalid} rows are invalid. Fix the file and upload it again, or choose to skip invalid rows."
        )
    job.options = {**job.options, "skip_invalid": skip_invalid, "runner": runner_here()}
    job.status = ImportJob.Status.RUNNING
    job.started_at = timezone.now()
    job.processed_rows = 0
    job.save(update_fields=["options", "status", "started_at", "processed_rows"])
    progress_register(job.pk, Progress(bytes_total=job.file.size))
    run_in_background(import_job_run, job_id=job.pk, by_id=by.pk if by else None)
    return job


def import_job_run(*, job_id: int, by_id: int | None = None) -> ImportJob:
    """Run a job to the end and record the outcome. Progress lives in memory meanwhile; the job
    row is written only after the import's transaction has committed (see progress.py)."""
    job = ImportJob.objects.get(pk=job_id)
    by = User.objects.filter(pk=by_id).first() if by_id else job.created_by
    progress = progress_get(job_id) or progress_register(job_id, Progress())
    try:
        spec = _spec(job, _job_path(job))
        progress.bytes_total = spec.layout.size
        report = import_execute(
            spec=spec,
            dry_run=False,
            by=by,
            detail=f"CSV import #{job.pk} ({job.original_name})",
            progress=progress,
            job=job,
        )
        _finish(job, report)
    except Exception as exc:  # the thread must record any failure, or the page would spin forever
        logger.exception("import %s failed", job_id)
        job.status = ImportJob.Status.FAILED
        job.error = f"The import failed and nothing was written: {exc}"
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
    finally:
        progress_forget(job_id)
    return job


def _finish(job: ImportJob, report: dict[str, Any]) -> None:
    job.summary = report
    job.total_rows = report["rows"]
    job.processed_rows = report["rows"] if report["written"] else 0
    job.status = ImportJob.Status.DONE if report["written"] else ImportJob.Status.FAILED
    job.error = report.get("refused", "")
    job.finished_at = timezone.now()
    job.save(update_fields=["summary", "total_rows", "processed_rows", "status", "error", "finished_at"])


# -- the command line ----------------------------------------------------------------------------
def import_file(
    *,
    path: Path,
    target: str,
    preset_key: str = "",
    mapping_overrides: dict[str, str] | None = None,
    options: ImportOptions | None = None,
    dry_run: bool = False,
    by: User | None = None,
    progress: Progress | None = None,
) -> ImportJob:
    """Import a file from disk in the foreground (the `import` command). The job row records it
    among the past imports; the file itself is not copied."""
    _check_target(target)
    path = Path(path)
    if not path.is_file():
        raise ValidationError({"file": f"{path} does not exist or is not a file"})
    try:
        layout = inspect_csv(path)
    except CsvFileError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    preset = _preset(preset_key) if preset_key else preset_detect(layout.headers, target)
    if preset is not None and preset.target != target:
        raise ValidationError({"preset": f"the preset {preset.key!r} imports {preset.target}, not {target}"})
    mapping = mapping_suggest(layout.headers, target, preset)
    for column, field in (mapping_overrides or {}).items():
        match = next((h for h in layout.headers if h.casefold() == column.strip().casefold()), None)
        if match is None:
            raise ValidationError(
                {"map": f"the file has no column {column!r}; it has {', '.join(layout.headers)}"}
            )
        mapping[match] = field
    problems = mapping_problems(target, mapping)
    if problems:
        raise ValidationError(problems)
    options = options or ImportOptions()
    import_jobs_fail_interrupted()
    job = ImportJob.objects.create(
        original_name=str(path)[-255:],
        source=ImportJob.Source.CLI,
        target=target,
        preset=preset.key if preset else "",
        layout=layout.to_dict(),
        mapping=mapping,
        options={
            "skip_invalid": options.skip_invalid,
            "day_first": options.day_first,
            "create_owners": options.create_owners,
            "runner": runner_here(),
        },
        status=ImportJob.Status.RUNNING,
        started_at=timezone.now(),
        created_by=by,
    )
    spec = ImportSpec(
        path=path, layout=layout, target=target, mapping=mapping, preset=preset, options=options
    )
    try:
        report = import_execute(
            spec=spec,
            dry_run=dry_run,
            by=by,
            detail=f"CSV import #{job.pk} ({path.name})",
            progress=progress,
            job=job,
        )
    except ValidationError as exc:
        job.status, job.error, job.finished_at = (
            ImportJob.Status.FAILED,
            " ".join(exc.messages),
            timezone.now(),
        )
        job.save(update_fields=["status", "error", "finished_at"])
        raise
    if dry_run:
        job.preview = report
        job.total_rows = report["rows"]
        job.status = ImportJob.Status.PREVIEWED
        job.save(update_fields=["preview", "total_rows", "status"])
    else:
        _finish(job, report)
    return job
