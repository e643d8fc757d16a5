"""The generated access-control test: every role (and an anonymous visitor) against every page
and every API operation, expecting exactly what the matrix in docs/security.md says."""

import json
import re
from dataclasses import replace
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from tests.security.matrix import (
    ANONYMOUS,
    DOC,
    Entry,
    all_roles,
    api_entries,
    document_with_matrix,
    page_entries,
)
from tests.security.openapi_examples import NONEXISTENT_ID, minimal_request

ROLES = [*all_roles(), ANONYMOUS]
# Bodies the OpenAPI document describes wrongly today: agreement's and scoring's request schemas are
# both called RuleIn and share one component (tests/fuzz/test_openapi_document.py).
BODY_OVERRIDES = {"POST /api/v1/agreements/validate-rule": {"source": "true"}}
PAGES = page_entries()
OPERATIONS = api_entries()


def _page_url(route: str) -> str:
    # Objects that do not exist are enough: `requires` runs before the view looks anything up.
    def fill(match: re.Match[str]) -> str:
        converter = match.group(1) or "str"
        return str(NONEXISTENT_ID) if converter == "int" else "x"

    return "/" + re.sub(r"<(?:(\w+):)?\w+>", fill, route)


def _refused_by_login(response) -> bool:
    login = reverse(settings.LOGIN_URL)
    return (
        response.status_code == 302
        and response["Location"].startswith(login)
        and "next=" in response["Location"]
    )


def _client(role_users, role: str) -> Client:
    client = Client(raise_request_exception=False)
    if role != ANONYMOUS:
        client.force_login(role_users[role][0])
    return client


def page_mismatches(entry: Entry, role_users) -> list[str]:
    url = _page_url(entry.route)
    wrong = []
    for role in ROLES:
        client = _client(role_users, role)
        response = client.get(url)
        if response.status_code == 405:  # a form endpoint: try what it takes
            response = client.post(url, {})
        refused = response.status_code in (401, 403) or _refused_by_login(response)
        if entry.allows(role) and refused:
            wrong.append(f"{role}: refused with {response.status_code}, the matrix allows it")
        elif not entry.allows(role) and not refused:
            wrong.append(f"{role}: got {response.status_code}, the matrix refuses it")
        elif response.status_code >= 500:
            wrong.append(f"{role}: server error {response.status_code}")
    return [f"{url} {w}" for w in wrong]


@pytest.mark.django_db
@pytest.mark.parametrize("entry", PAGES, ids=[e.label or "/" for e in PAGES])
def test_page_access_follows_the_matrix(entry: Entry, role_users):
    wrong = page_mismatches(entry, role_users)
    assert not wrong, "\n".join(wrong)


@pytest.fixture(scope="module")
def openapi_doc(django_db_blocker):
    with django_db_blocker.unblock():
        return Client().get(reverse("api:openapi-json")).json()


def _send(method: str, request: dict, headers: dict[str, str]):
    client = Client(raise_request_exception=False)
    path = request["path"]
    if request["query"]:
        path += "?" + urlencode(request["query"])
    if request["form"] is not None:
        form = {k: v.as_upload() if hasattr(v, "as_upload") else v for k, v in request["form"].items()}
        body = encode_multipart(BOUNDARY, form)
        return client.generic(method, path, body, content_type=MULTIPART_CONTENT, headers=headers)
    body = json.dumps(request["body"]) if request["body"] is not None else ""
    return client.generic(method, path, body, content_type="application/json", headers=headers)


def api_mismatches(entry: Entry, role_users, openapi_doc) -> list[str]:
    # Operations hidden from the document (tracking links) take their path parameters as text.
    operation = openapi_doc["paths"].get(entry.route, {}).get(entry.method.lower(), {})
    request = minimal_request(entry.route, operation, openapi_doc)
    request["path"] = re.sub(r"\{\w+\}", "x", request["path"])
    request["body"] = BODY_OVERRIDES.get(entry.label, request["body"])
    wrong = []
    for role in ROLES:
        headers = {} if role == ANONYMOUS else {"Authorization": f"Bearer {role_users[role][1]}"}
        response = _send(entry.method, request, headers)
        status = response.status_code
        expected_refusal = 401 if role == ANONYMOUS else 403
        if entry.allows(role):
            if status in (401, 403):
                wrong.append(f"{role}: refused with {status}: {response.content[:200]!r}")
            elif status >= 500:
                wrong.append(f"{role}: server error {status}")
            checked = getattr(response.wsgi_request, "closedloop_required_roles", None)
            if checked is not None and checked != entry.roles:
                wrong.append(
                    f"{role}: the operation checked {sorted(checked)}, the matrix says {entry.permission}"
                )
        elif status != expected_refusal:
            wrong.append(f"{role}: got {status}, expected {expected_refusal}: {response.content[:200]!r}")
    return [f"{entry.label} with {request}: {w}" for w in wrong]


@pytest.mark.django_db
@pytest.mark.parametrize("entry", OPERATIONS, ids=[e.label for e in OPERATIONS])
def test_api_access_follows_the_matrix(entry: Entry, role_users, openapi_doc):
    wrong = api_mismatches(entry, role_users, openapi_doc)
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_a_wrong_matrix_entry_is_caught(role_users, openapi_doc):
    # The checks above must be able to fail: claim sales reps may not read contacts, and that
    # partners may, and both the page and the API check must say so, naming the roles.
    page = next(e for e in PAGES if e.route == "contacts/")
    wrong_roles = (page.roles - {"sales_rep"}) | {"partner"}
    problems = page_mismatches(replace(page, roles=wrong_roles), role_users)
    assert any("sales_rep: refused" not in p and "sales_rep: got 200" in p for p in problems)
    assert any("partner: refused with 403" in p for p in problems)
    op = next(e for e in OPERATIONS if e.route == "/api/v1/contacts" and e.method == "GET")
    problems = api_mismatches(replace(op, roles=wrong_roles), role_users, openapi_doc)
    assert any("sales_rep: got 200, expected 403" in p for p in problems)
    assert any("partner: refused with 403" in p for p in problems)


def test_every_role_is_in_the_matrix():
    # A role added to accounts/roles.py must appear as a column (and so be tested) automatically.
    assert set(ROLES) == {
        "admin",
        "head_of_marketing",
        "head_of_sales",
        "marketer",
        "sales_rep",
        "partner",
        ANONYMOUS,
    }


def test_matrix_covers_pages_and_operations():
    assert len(PAGES) >= 30 and len(OPERATIONS) >= 20
    assert any(e.route == "contacts/" for e in PAGES)
    assert any(e.route == "/api/v1/events/batch" and e.method == "POST" for e in OPERATIONS)


def test_the_documented_matrix_is_current():
    text = DOC.read_text()
    assert document_with_matrix(text) == text, (
        "docs/security.md's access matrix is out of date: run `python -m tests.security.matrix --write`"
    )
