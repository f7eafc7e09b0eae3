"""CSV exports: RFC 4180 quoting through the standard `csv` module, UTF-8, formula cells neutralised.

Every cell goes through `safe_cell`: a text cell that starts with `=`, `+`, `-`, `@` (or a tab or carriage
return, which spreadsheets also treat as a formula start) gets a leading apostrophe, so opening the
file in a spreadsheet never runs a formula typed by a user (OWASP "CSV injection"). Commas, quotes, line
breaks and non-ASCII text survive: `csv.reader` on the output gives the cells back unchanged (apart from
that apostrophe).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from incidents.timefmt import format_utc

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """The cell text for `value`: None is empty, datetimes are UTC ISO 8601, dates ISO, and text starting
    with a formula character is prefixed with `'`."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            raise ValueError("naive datetime in an export")
        return format_utc(value) or ""  # `2017-01-31T23:27:00Z`, as the API writes it
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_stream(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The CSV lines of `rows` (the first is the header), one string per row for a StreamingHttpResponse,
    every cell through `safe_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The CSV text (CRLF line ends, minimal RFC 4180 quoting) for `header` and `rows`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    """An attachment response with `text/csv; charset=utf-8` (RFC 4180 media type, `header=present`)."""
    response = HttpResponse(
        write_csv(header, rows).encode("utf-8"), content_type="text/csv; charset=utf-8; header=present"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
