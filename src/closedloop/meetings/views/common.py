"""Small helpers the meeting pages share: parsing form values and reporting service errors."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from closedloop.accounts.models import User


def errors_to_messages(request: HttpRequest, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errs in exc.message_dict.items():
            messages.error(request, f"{field}: {' '.join(errs)}")
    else:
        messages.error(request, " ".join(exc.messages))


def back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    return redirect(target or default)


def parse_date(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError({field: "must be a date like 2026-06-30"}) from None


def parse_int(value: str | None, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)  # type: ignore[arg-type]
    except ValueError:
        raise ValidationError({field: "must be a whole number"}) from None


def user_or_error(value: str | None, field: str) -> User | None:
    pk = parse_int(value, field)
    if pk is None:
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None:
        raise ValidationError({field: "no such user"})
    return user
