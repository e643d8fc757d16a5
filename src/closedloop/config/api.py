"""The REST API: one NinjaAPI with a router per app, one error shape everywhere:
{"errors": [{"loc": ["events", 3, "ts"], "msg": "..."}]}."""

import json
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from closedloop.accounts.api_auth import BearerToken, SessionAuth
from closedloop.config.openapi_errors import add_error_responses


class ClosedloopAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        return add_error_responses(super().get_openapi_schema(**kwargs))


api = ClosedloopAPI(
    title="closedloop API",
    version="1",
    description=(
        "Ingest touchpoint events, upsert contacts and read the CRM. Authenticate with a bearer "
        "token (`Authorization: Bearer cl_…`, created with `closedloop createtoken`) or a browser "
        'session. Errors always have the shape `{"errors": [{"loc": [...], "msg": "..."}]}`.'
    ),
    auth=[BearerToken(), SessionAuth()],
    urls_namespace="api",
)


def error_response(request: HttpRequest, status: int, errors: list[dict[str, Any]]) -> HttpResponse:
    return api.create_response(request, {"errors": errors}, status=status)


def _clean_loc(loc: list[Any] | tuple[Any, ...]) -> list[Any]:
    # Ninja prefixes locations with the parameter source and name ("body", "payload"); clients
    # only care about the path inside their document.
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
        if parts and parts[0] == "payload":
            parts = parts[1:]
    return parts


def _body_not_an_object(request: HttpRequest) -> str:
    """The JSON type of a body that is not an object ("" when it is one, or not JSON). Ninja reads
    a bare array as an empty object, so without this its errors would only say fields are missing."""
    if request.content_type != "application/json" or not request.body:
        return ""
    try:
        value = json.loads(request.body)
    except ValueError:
        return ""
    names = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "" if isinstance(value, dict) else names.get(type(value), "null")


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if any(err.get("loc", ("",))[0] == "body" for err in exc.errors) and (
        kind := _body_not_an_object(request)
    ):
        return error_response(
            request, 422, [{"loc": [], "msg": f"the body must be a JSON object, not {kind}"}]
        )
    errors = []
    for err in exc.errors:
        msg = str(err.get("msg", "invalid value"))
        if err.get("type") == "json_invalid":
            return error_response(request, 400, [{"loc": [], "msg": f"malformed JSON: {msg}"}])
        errors.append({"loc": _clean_loc(err.get("loc", [])), "msg": msg})
    return error_response(request, 422, errors)


@api.exception_handler(DjangoValidationError)
def on_django_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = [
            {"loc": [field], "msg": " ".join(m.message % (m.params or {}) for m in msgs)}
            for field, msgs in exc.error_dict.items()
        ]
    else:
        errors = [{"loc": [], "msg": m} for m in exc.messages]
    return error_response(request, 422, errors)


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(
        request, 413, [{"loc": [], "msg": "request body is larger than the server accepts"}]
    )


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, [{"loc": ["Authorization"], "msg": "authentication required"}])


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(request, 403, [{"loc": [], "msg": str(exc) or "your role may not do this"}])


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # get_object_or_404's message names the model ("No Contact matches the given query."), which
    # says what was missing without saying anything about objects the caller may not see.
    return error_response(request, 404, [{"loc": [], "msg": str(exc) or "not found"}])


@api.exception_handler(OverflowError)
def on_overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
    # A number beyond what the database stores (an id or offset with 40 digits) is bad input,
    # not a server failure.
    return error_response(request, 422, [{"loc": [], "msg": "a number in the request is out of range"}])


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    msg = str(exc)
    if isinstance(exc.__cause__, ValueError):  # json.JSONDecodeError and UnicodeDecodeError
        msg = f"malformed JSON body: {exc.__cause__}"
    return error_response(request, exc.status_code, [{"loc": [], "msg": msg}])


api.add_router("/events", "closedloop.tracking.api.router")
api.add_router("/contacts", "closedloop.crm.api.router")
api.add_router("/agreements", "closedloop.agreement.api.router")
api.add_router("/alarms", "closedloop.alarms.api.router")
api.add_router("/handoffs", "closedloop.handoff.api.router")
api.add_router("/insights", "closedloop.insights.api.router")
api.add_router("/notifications", "closedloop.notifications.api.router")
api.add_router("/scoring", "closedloop.scoring.api.router")
api.add_router("/automation", "closedloop.automation.api.router")
api.add_router("/content", "closedloop.content.api.router")
api.add_router("/meetings", "closedloop.meetings.api.router")
api.add_router("/sla", "closedloop.sla.api.router")
api.add_router("/privacy", "closedloop.privacy.api.router")
