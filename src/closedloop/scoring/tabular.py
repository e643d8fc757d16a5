"""Reading real exported CSVs into typed columns: the delimiter is sniffed (`;` from European
Excel, `,` elsewhere), quoted headers are unquoted, trailing empty columns (a trailing comma on
every line) are dropped, and placeholders such as "Select" (the untouched value of a CRM form's
drop-down) or "N/A" count as missing. A column is numeric when nearly all its values are numbers.

No Django here: the evaluate command and the predictive model share it.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# Values that mean "nobody filled this in" in CRM and marketing-automation exports.
MISSING_TOKENS = frozenset(
    {"", "na", "n/a", "nan", "null", "none", "nil", "-", "--", "?", "select", "(select)", "-- select --",
     "#n/a", "not set", "(not set)"}
)  # fmt: skip
# A column counts as numeric when at least this share of its filled values parse as numbers;
# the rest (a stray "many", "10+") become missing rather than turning the column into text.
NUMERIC_SHARE = 0.95


class TableError(ValueError):
    """A CSV that cannot be used, with the reason in words."""


@dataclass
class Column:
    name: str
    kind: str  # "numeric" or "category"
    numbers: np.ndarray | None = None  # float64 with NaN for missing (numeric columns)
    labels: list[str | None] = field(default_factory=list)  # category columns, None for missing

    def __len__(self) -> int:
        return len(self.numbers) if self.numbers is not None else len(self.labels)


@dataclass
class Table:
    columns: dict[str, Column]
    rows: int
    delimiter: str


def _is_missing(value: str) -> bool:
    return value.strip().lower() in MISSING_TOKENS


def _to_number(value: str) -> float | None:
    text = value.strip().replace("\u00a0", "")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        # The sniffer gives up on files with many quoted fields; the header line decides then.
        header = sample.splitlines()[0] if sample else ""
        counts = {d: header.count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_text(path: str | Path) -> str:
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise TableError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise TableError(f"{path}: is a directory, not a CSV file") from None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def table_from_text(text: str, *, source: str = "CSV") -> Table:
    """Parse CSV text into typed columns. Raises TableError naming the problem."""
    if not text.strip():
        raise TableError(f"{source} is empty: expected a header line and at least one row")
    delimiter = _sniff_delimiter(text[:65536])
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    lines = [row for row in reader if any(cell.strip() for cell in row)]
    if not lines:
        raise TableError(f"{source} is empty: expected a header line and at least one row")
    header = [h.strip().strip('"').strip() for h in lines[0]]
    body = lines[1:]
    if not body:
        raise TableError(f"{source} has a header but no data rows")
    width = len(header)
    # Trailing commas give an unnamed last column; rows may also be a cell short or long.
    keep = [i for i, name in enumerate(header) if name]
    names: list[str] = []
    for i in keep:
        name, n = header[i], 2
        while name in names:  # two columns with one header: keep both, tell them apart
            name, n = f"{header[i]}_{n}", n + 1
        names.append(name)
    cells: list[list[str]] = [[] for _ in keep]
    for row in body:
        if len(row) < width:
            row = row + [""] * (width - len(row))
        for slot, i in enumerate(keep):
            cells[slot].append(row[i])
    columns = {name: _typed_column(name, values) for name, values in zip(names, cells, strict=True)}
    return Table(columns=columns, rows=len(body), delimiter=delimiter)


def _typed_column(name: str, values: list[str]) -> Column:
    # Exports repeat few distinct values per column: classify and parse each distinct value once.
    distinct = set(values)
    missing_values = {v for v in distinct if _is_missing(v)}
    numbers_of = {v: _to_number(v) for v in distinct - missing_values}
    filled = len(values) - sum(1 for v in values if v in missing_values)
    numeric = sum(1 for v in values if numbers_of.get(v) is not None)
    if filled and numeric / filled >= NUMERIC_SHARE:
        lookup = {v: (np.nan if n is None else n) for v, n in numbers_of.items()}
        numbers = np.fromiter((lookup.get(v, np.nan) for v in values), dtype=np.float64, count=len(values))
        return Column(name=name, kind="numeric", numbers=numbers)
    clean = {v: (None if v in missing_values else v.strip()) for v in distinct}
    return Column(name=name, kind="category", labels=[clean[v] for v in values])


def table_read(path: str | Path) -> Table:
    return table_from_text(read_text(path), source=str(path))
