"""Pages: a contact's personal data (counts, consent history, export, erasure with typed
confirmation), the company-wide consent log with CSV export, and the retention settings."""

import json
from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from closedloop.accounts.access import requires
from closedloop.accounts.roles import Permission
from closedloop.automation.models import ConsentRecord
from closedloop.crm.models import Contact
from closedloop.privacy import selectors, services
from closedloop.privacy.confirmation import confirmation_matches, confirmation_word
from closedloop.privacy.inventory import BY_MODEL
from closedloop.privacy.models import ErasureRecord
from closedloop.privacy.retention import retention_apply
from closedloop.web.csv_export import csv_response

PER_PAGE = 100
CONSENT_HEADER = ["at", "contact_id", "topic", "status", "source", "recorded_by", "detail"]


@requires(Permission.MANAGE_PERSONAL_DATA)
def privacy_home(request: HttpRequest) -> HttpResponse:
    context = {
        "erasures": ErasureRecord.objects.select_related("erased_by")[:20],
        "policy": selectors.retention_policy_get(),
        "can_edit_retention": request.user.has_role(Permission.MANAGE_RETENTION),  # type: ignore[union-attr]
    }
    return render(request, "privacy/home.html", context)


@requires(Permission.MANAGE_PERSONAL_DATA)
def contact_privacy(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.select_related("account", "owner"), pk=contact_id)
    counts = selectors.contact_record_counts(contact)
    labels = {h.model.lower(): h for h in BY_MODEL.values()}
    rows = [(label, labels[label].personal_data if label in labels else "", n) for label, n in counts.items()]
    context = {
        "contact": contact,
        "erasure": selectors.erasure_get(contact),
        "rows": rows,
        "consent": selectors.contact_consent_history(contact),
        "confirm_word": confirmation_word(contact),
    }
    return render(request, "privacy/contact.html", context)


@requires(Permission.MANAGE_PERSONAL_DATA)
def contact_export(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=contact_id)
    data = services.contact_export(contact, by=request.user)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.json"'
    return response


@requires(Permission.MANAGE_PERSONAL_DATA)
def contact_erase(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = get_object_or_404(Contact, pk=contact_id)
    if selectors.erasure_get(contact):
        messages.error(request, f"Contact {contact.pk} has already been erased.")
        return redirect("privacy_contact", contact_id=contact.pk)
    errors: dict[str, str] = {}
    posted = {"confirm": "", "reason": ErasureRecord.Reason.REQUEST}
    if request.method == "POST":
        posted = {"confirm": request.POST.get("confirm", ""), "reason": request.POST.get("reason", "")}
        if not confirmation_matches(contact, posted["confirm"]):
            errors["confirm"] = f"Type {confirmation_word(contact)} exactly to confirm the erasure."
        if posted["reason"] not in ErasureRecord.Reason.values:
            errors["reason"] = "Choose why the contact is erased."
        if not errors:
            try:
                services.contact_erase(contact, by=request.user, reason=posted["reason"])
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("privacy_contact", contact_id=contact.pk)
            messages.success(request, f"Contact {contact.pk} was erased.")
            return redirect("privacy_contact", contact_id=contact.pk)
    context = {
        "contact": contact,
        "errors": errors,
        "posted": posted,
        "reasons": ErasureRecord.Reason.choices,
        "confirm_word": confirmation_word(contact),
        "counts": selectors.contact_record_counts(contact),
    }
    return render(request, "privacy/erase.html", context, status=422 if errors else 200)


def _consent_filters(request: HttpRequest) -> dict[str, object]:
    days: dict[str, date | None] = {"start": None, "end": None}
    for key in days:
        raw = request.GET.get(key, "").strip()
        if raw:
            try:
                days[key] = date.fromisoformat(raw)
            except ValueError:
                messages.error(request, f"{key}: {raw!r} is not a date (YYYY-MM-DD); ignored.")
    status = request.GET.get("status", "")
    source = request.GET.get("source", "")
    return {
        "topic": request.GET.get("topic", "").strip(),
        "status": status if status in ("subscribed", "unsubscribed") else "",
        "source": source if source in ConsentRecord.Source.values else "",
        "start": days["start"],
        "end": days["end"],
    }


@requires(Permission.MANAGE_PERSONAL_DATA)
def consent_log(request: HttpRequest) -> HttpResponse:
    filters = _consent_filters(request)
    records = selectors.consent_log(**filters)  # type: ignore[arg-type]
    if request.GET.get("format") == "csv":
        return csv_response(  # type: ignore[return-value]
            filename="consent-log.csv",
            header=CONSENT_HEADER,
            rows=(
                [r.at, r.contact_id, r.topic, r.status, r.source, r.by.display_name if r.by else "", r.detail]
                for r in records.iterator(chunk_size=2000)
            ),
        )
    page = Paginator(records, PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in filters.items() if v})
    context = {
        "page": page,
        "filters": filters,
        "query": query,
        "sources": ConsentRecord.Source.choices,
    }
    return render(request, "privacy/consent_log.html", context)


def _parse_limit(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValueError(f"{raw!r} is not a whole number")
    return int(raw)


@requires(Permission.MANAGE_RETENTION)
def retention_settings(request: HttpRequest) -> HttpResponse:
    policy = selectors.retention_policy_get()
    errors: dict[str, str] = {}
    posted: dict[str, str] = {}
    if request.method == "POST":
        values: dict[str, int | None] = {}
        for name in services.RETENTION_FIELDS:
            posted[name] = request.POST.get(name, "")
            try:
                values[name] = _parse_limit(posted[name])
            except ValueError as exc:
                errors[name] = f"{exc}; leave blank for no limit."
        if not errors:
            try:
                services.retention_policy_update(by=request.user, **values)
            except ValidationError as exc:
                errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
        if not errors:
            messages.success(request, "Retention settings saved. They apply at the next daily run.")
            return redirect("privacy_retention")
    context = {
        "policy": policy,
        "errors": errors,
        "posted": posted,
        "preview": retention_apply(dry_run=True) if not errors else None,
    }
    return render(request, "privacy/retention.html", context, status=422 if errors else 200)


@require_POST
@requires(Permission.MANAGE_RETENTION)
def retention_run(request: HttpRequest) -> HttpResponse:
    result = retention_apply()
    messages.success(
        request,
        "Retention applied: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in result.as_dict().items()),
    )
    return redirect("privacy_retention")
