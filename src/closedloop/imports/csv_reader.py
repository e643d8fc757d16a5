"""Reading uploaded CSV files: encoding and delimiter detection, header checks, and a stream of
records that keeps each record's line number as a text editor or spreadsheet shows it."""

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_CHUNK = 1 << 20


class CsvFileError(Exception):
    """The file as a whole cannot be read (no header, duplicate column names, broken quoting)."""


@dataclass(frozen=True)
class CsvLayout:
    encoding: str
    delimiter: str
    headers: list[str]
    size: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "delimiter_name": DELIMITER_NAMES[self.delimiter],
            "headers": self.headers,
            "notes": self.notes,
        }

    @classmethod
    def from_dict(cls, data: dict, *, size: int = 0) -> "CsvLayout":
        return cls(
            data["encoding"], data["delimiter"], list(data["headers"]), size, list(data.get("notes", []))
        )


class CsvRecord(NamedTuple):
    line: int  # line on which the record starts (the header is line 1 in a plain file)
    values: list[str]
    error: str  # "" when the record has the header's shape


def detect_encoding(path: Path) -> tuple[str, str]:
    """Return (encoding, note). A BOM decides; otherwise the whole file must decode as UTF-8,
    else it is read as Windows-1252 (what Excel writes on Western Windows) or Latin-1."""
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", ""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32", ""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", ""
    # UTF-16 without a BOM: ASCII text leaves every other byte zero.
    if len(head) >= 4:
        odd_zeros = head[1::2].count(0)
        even_zeros = head[0::2].count(0)
        if odd_zeros > len(head) // 4 and even_zeros == 0:
            return "utf-16-le", "The file has no byte-order mark but looks like UTF-16 (little-endian)."
        if even_zeros > len(head) // 4 and odd_zeros == 0:
            return "utf-16-be", "The file has no byte-order mark but looks like UTF-16 (big-endian)."
    bad_at = _first_undecodable(path, "utf-8")
    if bad_at is None:
        return "utf-8", ""
    if _first_undecodable(path, "cp1252") is None:
        return "cp1252", (
            f"The file is not valid UTF-8 (first invalid byte at offset {bad_at}); it was read as "
            "Windows-1252. Check accented names in the preview; save as UTF-8 to be sure."
        )
    return "latin-1", (
        f"The file is not valid UTF-8 (first invalid byte at offset {bad_at}); it was read as "
        "Latin-1. Check accented names in the preview; save as UTF-8 to be sure."
    )


def _first_undecodable(path: Path, encoding: str) -> int | None:
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset + exc.start
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return offset + exc.start
    return None


def _sniff_delimiter(header_line: str) -> str:
    """Pick the delimiter that splits the header line the most (outside quotes). The header is
    the one line whose shape we know; csv.Sniffer guesses wrong on short or uniform samples."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _open_text(path: Path, encoding: str) -> tuple[io.BufferedReader, io.TextIOWrapper]:
    raw = path.open("rb")
    return raw, io.TextIOWrapper(raw, encoding=encoding, newline="")


def _clean_headers(raw_headers: list[str]) -> list[str]:
    # NUL characters cannot be stored in PostgreSQL text; they are never meaningful in a CSV.
    names = [h.replace("\x00", "").strip().lstrip("\ufeff").strip() for h in raw_headers]
    while names and not names[-1]:  # trailing delimiters on the header line
        names.pop()
    if not names:
        raise CsvFileError("The first line of the file is empty; it must name the columns.")
    seen: dict[str, int] = {}
    duplicates = []
    for i, name in enumerate(names, start=1):
        if not name:
            names[i - 1] = f"(column {i})"
            continue
        key = name.casefold()
        if key in seen:
            duplicates.append(f'"{name}" (columns {seen[key]} and {i})')
        else:
            seen[key] = i
    if duplicates:
        raise CsvFileError(
            "Duplicate column names: " + ", ".join(duplicates) + ". Rename or remove one of each pair."
        )
    return names


def inspect_csv(path: Path) -> CsvLayout:
    """Detect encoding and delimiter and read the header line."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise CsvFileError("The file is empty.")
    encoding, note = detect_encoding(path)
    raw, text = _open_text(path, encoding)
    with raw, text:
        first = ""
        for line in text:
            if line.strip():
                first = line
                break
    if not first:
        raise CsvFileError("The file has no header line (it contains only blank lines).")
    delimiter = _sniff_delimiter(first)
    try:
        header = next(csv.reader([first], delimiter=delimiter))
    except csv.Error as exc:
        raise CsvFileError(f"Line 1: {exc}") from exc
    notes = [note] if note else []
    return CsvLayout(encoding, delimiter, _clean_headers(header), size, notes)


def iter_records(
    path: Path, layout: CsvLayout, *, on_progress: Callable[..., None] | None = None
) -> Iterator[CsvRecord]:
    """Yield the data records after the header. Blank lines (and lines of bare delimiters) are
    skipped; a record whose number of values differs from the header's carries an error, except
    for extra empty values (trailing delimiters), which are dropped. on_progress(rows=, bytes_read=)
    is called every 1,000 records and at the end."""
    width = len(layout.headers)
    raw, text = _open_text(Path(path), layout.encoding)
    with raw, text:
        reader = csv.reader(text, delimiter=layout.delimiter)
        header_seen = False
        last_line = 0
        count = 0
        try:
            for values in reader:
                if any("\x00" in v for v in values):
                    values = [v.replace("\x00", "") for v in values]
                start = last_line + 1
                last_line = reader.line_num
                if not values or not (values[0].strip() or any(v.strip() for v in values)):
                    continue
                if not header_seen:
                    header_seen = True
                    continue
                count += 1
                if on_progress is not None and count % 1000 == 0:
                    on_progress(rows=count, bytes_read=raw.tell())
                n = len(values)
                if n == width:
                    yield CsvRecord(start, values, "")
                elif n > width and not any(v.strip() for v in values[width:]):
                    yield CsvRecord(start, values[:width], "")
                else:
                    yield CsvRecord(
                        start, values, f"the row has {n} values but the header has {width} columns"
                    )
        except csv.Error as exc:
            raise CsvFileError(f"Line {reader.line_num}: {exc}") from exc
        if on_progress is not None:
            on_progress(rows=count, bytes_read=layout.size)


def read_samples(path: Path, layout: CsvLayout, *, rows: int = 3) -> list[list[str]]:
    """The first few values of each column, for the mapping page."""
    samples: list[list[str]] = [[] for _ in layout.headers]
    for seen, record in enumerate(iter_records(path, layout), start=1):
        for i, value in enumerate(record.values[: len(layout.headers)]):
            if value.strip() and len(samples[i]) < rows:
                samples[i].append(value.strip()[:80])
        if seen >= 50 or all(len(s) >= rows for s in samples):
            break
    return samples
