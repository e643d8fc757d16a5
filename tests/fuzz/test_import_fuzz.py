"""Property tests for the CSV importer: whatever bytes or CSV text arrive, the import either succeeds
or is refused with a ValidationError / row errors, never another exception and never a 500 from the
upload page; and a refused import leaves the database exactly as it was."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closedloop.imports.models import ImportJob
from closedloop.imports.services import import_file
from tests.factories import ContactFactory, UserFactory
from tests.security.db_snapshot import db_snapshot, snapshot_diff

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
HEADERS = ["Email", "First Name", "Last Name", "Create Date", "Company Name", "Lifecycle Stage", "Phone", "x"]
CELL = st.one_of(
    st.text(alphabet=st.sampled_from(list("abcZé€ \t\n\r\",;|=+-@'\\0123456789/:.")), max_size=12),
    st.sampled_from(["ada@example.org", "bad@", "2024-03-31", "31/03/2024", "lead", "=1+1", "", "NULL"]),
    st.emails().map(str),
)


@st.composite
def csv_files(draw) -> bytes:
    headers = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=6))
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=len(headers) + 1), max_size=8))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(headers)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return buffer.getvalue().encode(encoding, errors="replace")


@pytest.fixture
def workspace(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TIME_ZONE = "UTC"
    ContactFactory(email="kept@example.org")
    return tmp_path


def _import_checked(tmp_path, data: bytes) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    before = db_snapshot()
    try:
        job = import_file(path=path, target="contacts")
    except ValidationError as exc:
        assert exc.messages and all(m.strip() for m in exc.messages)
        refused = True
    else:
        refused = job.status != ImportJob.Status.DONE
        if refused:
            assert job.summary["errors"] or job.summary.get("refused"), job.summary
            for error in job.summary["errors"]:
                assert error["line"] >= 1 and error["message"], error
    if refused:
        assert not snapshot_diff(before, db_snapshot()), snapshot_diff(before, db_snapshot())


@FUZZ
@given(data=st.binary(max_size=600))
def test_arbitrary_bytes_are_imported_or_refused_cleanly(workspace, data):
    _import_checked(workspace, data)


@FUZZ
@given(data=csv_files())
def test_arbitrary_csv_is_imported_or_refused_cleanly(workspace, data):
    _import_checked(workspace, data)


@pytest.fixture
def marketer_client(db, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(UserFactory(username="mia-fuzz", role="marketer"))
    return client


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.one_of(st.binary(max_size=400), csv_files()))
def test_upload_page_never_fails(marketer_client, data):
    upload = io.BytesIO(data)
    upload.name = "fuzz.csv"
    response = marketer_client.post("/imports/", {"file": upload, "target": "contacts"})
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 302:
        # The mapping page reads the stored file again; it must show it or say what is wrong.
        assert marketer_client.get(response["Location"]).status_code in (200, 400)
