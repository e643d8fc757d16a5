"""The 503 a lost database gives, through Django's own exception handling: a database error in a
view, or in a middleware below (loading the session or the user), becomes a 503 with Retry-After in
the API's error shape under /api/ and a short page elsewhere; any other error stays a 500. The real
outage (PostgreSQL stopped under load) is in test_faults.py."""

import json

import pytest
from django.core.handlers.exception import convert_exception_to_response
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory

from closedloop.config.database_outage import DatabaseOutageMiddleware

MESSAGE = "the database is not available right now; retry in a few seconds"


def _stack(error: Exception):
    """The outage middleware above another that fails, wrapped the way Django wraps every middleware."""

    def failing_middleware(request):
        raise error

    return convert_exception_to_response(
        DatabaseOutageMiddleware(convert_exception_to_response(failing_middleware))
    )


@pytest.mark.parametrize(
    "error", [OperationalError("connection refused"), InterfaceError("connection closed")]
)
def test_api_request_during_an_outage_gets_a_json_503(error):
    response = _stack(error)(RequestFactory().post("/api/v1/events/batch", data={}))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"errors": [{"loc": ["database"], "msg": MESSAGE}]}


def test_page_request_during_an_outage_gets_a_short_page():
    response = _stack(OperationalError("the database system is shutting down"))(RequestFactory().get("/"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    assert b"briefly unavailable" in response.content
    assert b"shutting down" not in response.content  # the database's own message is not shown


def test_other_errors_stay_500():
    response = _stack(ValueError("a bug"))(RequestFactory().get("/api/v1/contacts/"))
    assert response.status_code == 500


def test_a_view_raising_a_database_error_gets_a_503():
    middleware = DatabaseOutageMiddleware(lambda request: None)
    request = RequestFactory().get("/api/v1/contacts/")
    response = middleware.process_exception(request, OperationalError("server closed the connection"))
    assert response is not None and response.status_code == 503
    assert middleware.process_exception(request, KeyError("x")) is None
