"""One streaming CSV writer for every export in the product.

Cells that a spreadsheet would read as a formula are neutralised (OWASP "CSV injection"): a cell
starting with =, +, -, @, a tab or a carriage return gets a leading apostrophe, so a contact named
"=HYPERLINK(...)" stays text in Excel. Rows are written as they are produced, so a large export
never sits in memory as one string. `bom=True` prefixes a UTF-8 byte order mark: Excel on Windows
needs it to read UTF-8 instead of the local code page ("Zoë" instead of "ZoÃ«").

Exports are recorded in the audit log (DESIGN §3.12) when the caller names what is exported:
`csv_response(..., audit_actor=request.user, audit_what="SLA report", audit_filters={...})`.
"""

import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence, Sized
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse

from closedloop.audit.services import audit_record

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def csv_cell(value: Any) -> str:
    """One value as CSV cell text: None is empty, dates ISO 8601, risky text neutralised.

    Numbers are written as numbers even when negative: -12.5 is data, not a formula, and an
    apostrophe would turn it into text in the spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool = False) -> Iterator[str]:
    """The CSV text line by line: optional BOM, the header, then each row."""
    writer = csv.writer(_Echo())
    first = writer.writerow([csv_cell(h) for h in header])
    yield (BOM + first) if bom else first
    for row in rows:
        yield writer.writerow([csv_cell(v) for v in row])


def csv_response(
    *,
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    bom: bool = False,
    audit_actor: Any = None,
    audit_what: str = "",
    audit_filters: Mapping[str, Any] | None = None,
    audit_action: str = "export.csv",
) -> StreamingHttpResponse:
    """A streamed download named `filename` (only letters, digits, '-', '_' and '.' are kept).

    With `audit_what` ("SLA report"), an audit entry records who exported what, with which filters
    and, when `rows` is a list, how many rows. It is written before the first byte is sent: the
    record is of the export being handed out, even if the download is then cut short."""
    safe = "".join(ch for ch in filename if ch.isalnum() or ch in "-_.") or "export.csv"
    if audit_what:
        changes: dict[str, Any] = {"file": safe, "filters": dict(audit_filters or {})}
        if isinstance(rows, Sized):
            changes["rows"] = len(rows)
        audit_record(
            actor=audit_actor,
            action=audit_action,
            obj=None,
            object_type="export",
            object_repr=safe,
            summary=f"exported {audit_what} as {safe}",
            changes=changes,
        )
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(header, rows, bom=bom)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    return response
