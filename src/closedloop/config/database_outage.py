"""A database that cannot be reached (PostgreSQL restarting, SQLite locked past its timeout) answers
503 with Retry-After instead of a 500: JSON in the API's error shape under /api/, a short page
elsewhere. Clients retry; ingest clients resend the same idempotency keys, so nothing is stored twice."""

import sys
from typing import Any

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin

RETRY_AFTER_SECONDS = 5
MESSAGE = "the database is not available right now; retry in a few seconds"
OUTAGE_ERRORS = (OperationalError, InterfaceError)
_MARK = "_closedloop_database_outage"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>closedloop is briefly unavailable</title></head>
<body><h1>closedloop is briefly unavailable</h1>
<p>The database cannot be reached right now. Nothing you saved before this is lost.
Reload the page in a few seconds.</p></body></html>
"""


def outage_response(request: HttpRequest) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"errors": [{"loc": ["database"], "msg": MESSAGE}]}, status=503)
    else:
        response = HttpResponse(PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _note_outage(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    # Another middleware failed on the database (loading the session or the user): Django turns
    # that into a 500 before it reaches us, so the failure is noted on the request here, while
    # the exception is still being handled, and the 500 is replaced on the way out.
    if request is not None and isinstance(sys.exc_info()[1], OUTAGE_ERRORS):
        setattr(request, _MARK, True)


got_request_exception.connect(_note_outage, dispatch_uid="closedloop.database_outage")


class DatabaseOutageMiddleware(MiddlewareMixin):
    """Above every middleware that reads the database in MIDDLEWARE, so that it sees their responses."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OUTAGE_ERRORS):
            return outage_response(request)
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if response.status_code == 500 and getattr(request, _MARK, False):
            return outage_response(request)
        return response
