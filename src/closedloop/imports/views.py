"""Import pages: upload, column mapping, dry-run preview, progress and summary. Each view parses
input, calls one service or selector, and renders."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from closedloop.accounts.access import requires
from closedloop.accounts.roles import Permission
from closedloop.imports import selectors, services
from closedloop.imports.forms import UploadForm
from closedloop.imports.models import ImportJob

SHOWN_ERRORS = 50


def _job(job_id: int) -> ImportJob:
    job = selectors.import_job_get(job_id=job_id)
    if job is None:
        raise Http404("No such import.")
    return job


def _messages(exc: ValidationError) -> list[str]:
    return list(exc.messages)


@requires(Permission.IMPORT_DATA)
def import_list(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(
                uploaded_file=form.cleaned_data["file"],
                target=form.cleaned_data["target"],
                by=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as exc:
            form.add_error("file", " ".join(_messages(exc)))
        else:
            return redirect("import_map", job_id=job.pk)
    status = 400 if request.method == "POST" else 200
    jobs = selectors.import_job_list()
    return render(request, "imports/list.html", {"form": form, "jobs": jobs}, status=status)


@requires(Permission.IMPORT_DATA)
def import_map(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(job_id)
    if job.source == ImportJob.Source.CLI:
        return redirect("import_detail", job_id=job.pk)
    errors: list[str] = []
    if request.method == "POST":
        try:
            if request.POST.get("action") == "preset":
                services.import_job_apply_preset(job=job, preset_key=request.POST.get("preset", ""))
                return redirect("import_map", job_id=job.pk)
            headers = job.layout["headers"]
            mapping = {h: request.POST.get(f"map-{i}", "") for i, h in enumerate(headers)}
            services.import_job_set_mapping(
                job=job,
                mapping=mapping,
                day_first=request.POST.get("day_first") == "on",
                create_owners=request.POST.get("create_owners") == "on",
            )
            services.import_job_preview(job=job)
            return redirect("import_preview", job_id=job.pk)
        except ValidationError as exc:
            errors = _messages(exc)
            for i, header in enumerate(job.layout["headers"]):  # show what was chosen, not the stored mapping
                job.mapping[header] = request.POST.get(f"map-{i}", job.mapping.get(header, ""))
    preset_choices = selectors.import_preset_choices(target=job.target)
    context = {
        "job": job,
        "columns": selectors.import_job_columns(job=job),
        "field_choices": selectors.import_field_choices(target=job.target),
        "preset_choices": preset_choices,
        "preset_label": dict(preset_choices).get(job.preset, ""),
        "errors": errors,
    }
    return render(request, "imports/map.html", context, status=400 if errors else 200)


def _render_preview(
    request: HttpRequest, job: ImportJob, errors: list[str], status: int = 200
) -> HttpResponse:
    report = job.preview
    context = {
        "job": job,
        "report": report,
        "row_errors": report.get("errors", [])[:SHOWN_ERRORS],
        "errors": errors,
    }
    return render(request, "imports/preview.html", context, status=status)


@requires(Permission.IMPORT_DATA)
def import_preview(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(job_id)
    if not job.preview:
        return redirect("import_map", job_id=job.pk)
    if job.status in (ImportJob.Status.RUNNING, ImportJob.Status.DONE, ImportJob.Status.FAILED):
        return redirect("import_detail", job_id=job.pk)
    return _render_preview(request, job, [])


@require_POST
@requires(Permission.IMPORT_DATA)
def import_run(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(job_id)
    try:
        services.import_job_start(
            job=job,
            skip_invalid=request.POST.get("skip_invalid") == "on",
            by=request.user,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        return _render_preview(request, job, _messages(exc), status=400)
    return redirect("import_detail", job_id=job.pk)


def _progress_context(job: ImportJob) -> dict:
    report = job.summary or job.preview
    return {
        "job": job,
        "progress": selectors.import_job_progress(job=job),
        "report": report,
        "row_errors": report.get("errors", [])[:SHOWN_ERRORS] if report else [],
    }


@requires(Permission.IMPORT_DATA)
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(job_id)
    if (
        job.status in (ImportJob.Status.UPLOADED, ImportJob.Status.MAPPED)
        and job.source == ImportJob.Source.WEB
    ):
        return redirect("import_map", job_id=job.pk)
    if job.status == ImportJob.Status.PREVIEWED and job.source == ImportJob.Source.WEB:
        return redirect("import_preview", job_id=job.pk)
    return render(request, "imports/detail.html", _progress_context(job))


@requires(Permission.IMPORT_DATA)
def import_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The fragment the job page polls every second while the import runs."""
    return render(request, "imports/_progress.html", _progress_context(_job(job_id)))
