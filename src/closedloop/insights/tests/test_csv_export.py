"""The shared CSV writer: formula cells neutralised (OWASP CSV injection), BOM on request, streamed."""

import csv
import io

import pytest

from closedloop.web.csv_export import BOM, csv_cell, csv_lines, csv_response


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_cells_a_spreadsheet_would_run_as_formulas_get_an_apostrophe(value, written):
    assert csv_cell(value) == written


def test_numbers_dates_and_nulls_stay_data():
    from datetime import date
    from decimal import Decimal

    assert csv_cell(-12.5) == "-12.5"
    assert csv_cell(-3) == "-3"
    assert csv_cell(Decimal("-0.10")) == "-0.10"
    assert csv_cell(None) == ""
    assert csv_cell(True) == "true"
    assert csv_cell(date(2025, 6, 1)) == "2025-06-01"


def test_lines_parse_back_with_quotes_commas_and_newlines():
    text = "".join(csv_lines(["name", "note"], [["Zoë, Müller", 'says "hi"\nthen leaves'], ["=1+1", -1]]))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["name", "note"], ["Zoë, Müller", 'says "hi"\nthen leaves'], ["'=1+1", "-1"]]
    assert not text.startswith(BOM)


def test_bom_is_written_once_for_excel():
    lines = list(csv_lines(["a"], [["x"], ["y"]], bom=True))
    assert lines[0].startswith(BOM)
    assert sum(line.count(BOM) for line in lines) == 1


def test_response_streams_utf8_with_a_safe_filename():
    response = csv_response(
        filename='funnel"; evil=.csv', header=["städte"], rows=iter([["Zürich"]]), bom=True
    )
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="funnelevil.csv"'
    body = b"".join(response.streaming_content)
    assert body == "\ufeffstädte\r\nZürich\r\n".encode()
