"""Reading files as people export them: encodings, BOMs, delimiters, broken headers and rows."""

import codecs

import pytest

from closedloop.imports.csv_reader import CsvFileError, inspect_csv, iter_records

ROWS = [
    ["Name", "Email", "City"],
    ["Zoë Müller", "zoe@example.com", "Zürich"],
    ["Łukasz", "l@example.pl", "Łódź"],
]


def _records(path):
    return list(iter_records(path, inspect_csv(path)))


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16")],
)
def test_unicode_encodings_read_back_exactly(write_csv, encoding, expected):
    path = write_csv(ROWS, encoding=encoding)
    layout = inspect_csv(path)
    assert layout.encoding == expected
    assert layout.headers == ["Name", "Email", "City"]  # no BOM glued to the first header
    assert [r.values for r in _records(path)] == ROWS[1:]
    assert layout.notes == []


def test_utf16_big_endian_with_bom(write_csv):
    text = "Name,Email\nZoë,z@example.com\n"
    path = write_csv(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    assert inspect_csv(path).encoding == "utf-16"
    assert _records(path)[0].values == ["Zoë", "z@example.com"]


def test_utf16_without_bom_is_recognised_and_noted(write_csv):
    path = write_csv("Name,Email\nZoë,z@example.com\n".encode("utf-16-le"))
    layout = inspect_csv(path)
    assert layout.encoding == "utf-16-le"
    assert "UTF-16" in layout.notes[0]
    assert _records(path)[0].values == ["Zoë", "z@example.com"]


def test_windows_1252_falls_back_with_a_note(write_csv):
    # Excel on Western Windows: "é" is one byte 0xE9 and "€" is 0x80, neither valid UTF-8.
    path = write_csv("Name,Price\nRené,€5\n", encoding="cp1252")
    layout = inspect_csv(path)
    assert layout.encoding == "cp1252"
    assert (
        "not valid UTF-8" in layout.notes[0] and "offset 14" in layout.notes[0]
    )  # 11 bytes of header, then "Ren"
    assert _records(path)[0].values == ["René", "€5"]


def test_bytes_undefined_in_1252_fall_back_to_latin1(write_csv):
    path = write_csv(b"Name\nA\x81B\n")  # 0x81 is unassigned in Windows-1252
    layout = inspect_csv(path)
    assert layout.encoding == "latin-1"
    assert _records(path)[0].values == ["A\x81B"]


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("\t", "tab"), (",", "comma")])
def test_delimiter_is_sniffed_from_the_header(write_csv, delimiter, name):
    rows = [["Name", "Amount", "Note"], ["Ada", "1,234.50", "a, b"], ["Bob", "7", "c; d"]]
    path = write_csv(rows, delimiter=delimiter)
    layout = inspect_csv(path)
    assert layout.delimiter == delimiter
    assert layout.to_dict()["delimiter_name"] == name
    assert [r.values for r in _records(path)] == rows[1:]


def test_duplicate_headers_are_named_with_their_positions(write_csv):
    path = write_csv("Email,Name,email,Phone,Name\n")
    with pytest.raises(CsvFileError) as exc:
        inspect_csv(path)
    message = str(exc.value)
    assert '"email" (columns 1 and 3)' in message
    assert '"Name" (columns 2 and 5)' in message


def test_empty_file_and_blank_only_file_are_refused(write_csv):
    with pytest.raises(CsvFileError, match="empty"):
        inspect_csv(write_csv(""))
    with pytest.raises(CsvFileError, match="no header"):
        inspect_csv(write_csv("\n\n  \n"))


def test_ragged_rows_carry_an_error_with_their_line(write_csv):
    path = write_csv("a,b,c\n1,2,3\n1,2\n1,2,3,4\n")
    records = _records(path)
    assert [(r.line, r.error) for r in records] == [
        (2, ""),
        (3, "the row has 2 values but the header has 3 columns"),
        (4, "the row has 4 values but the header has 3 columns"),
    ]


def test_blank_lines_are_skipped_and_line_numbers_stay_true(write_csv):
    path = write_csv('\nName,Note\n\nAda,"two\nlines"\n,\nBob,x\n')
    records = _records(path)
    # Line 1 is blank, the header is line 2; Ada's record spans lines 4–5; ", " is blank.
    assert [(r.line, r.values) for r in records] == [(4, ["Ada", "two\nlines"]), (7, ["Bob", "x"])]


def test_trailing_delimiters_are_tolerated(write_csv):
    path = write_csv("Name,Email,\nAda,ada@example.com,\nBob,bob@example.com,,\n")
    layout = inspect_csv(path)
    assert layout.headers == ["Name", "Email"]
    assert [r.values for r in _records(path)] == [["Ada", "ada@example.com"], ["Bob", "bob@example.com"]]
    assert all(r.error == "" for r in _records(path))


def test_unnamed_middle_column_gets_a_placeholder_name(write_csv):
    path = write_csv("Name,,Email\nAda,x,a@example.com\n")
    assert inspect_csv(path).headers == ["Name", "(column 2)", "Email"]


def test_crlf_line_endings(write_csv):
    path = write_csv(b"Name,Email\r\nAda,a@example.com\r\nBob,b@example.com\r\n")
    assert [(r.line, r.values[0]) for r in _records(path)] == [(2, "Ada"), (3, "Bob")]
