"""The one CSV writer: every CSV download is `csv_download` (streamed, RFC 4180 quoting, UTF-8, formula-safe).

Every cell goes through `safe_cell`: a text cell that starts with `=`, `+`, `-`, `@` (or a tab or carriage
return, which spreadsheets also treat as a formula start) gets a leading apostrophe, so opening the
file in a spreadsheet never runs a formula typed by a user (OWASP "CSV injection"). Real numbers (int,
float, Decimal; not bool) are written as numbers, so a negative figure stays `-5`. Commas, quotes, line
breaks and non-ASCII text survive: `csv.reader` on the output gives the cells back unchanged (apart from
that apostrophe). tests/security/test_csv_exports.py finds every route that answers text/csv and checks it
against these rules.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import chain
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone

from incidents.timefmt import format_utc

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPE = "text/csv; charset=utf-8; header=present"  # RFC 4180 media type with its parameters


def safe_cell(value: Any) -> str | int | float | Decimal:
    """The cell for `value`: None is empty, booleans `yes`/`no`, numbers as they are, datetimes UTC ISO 8601
    with `Z` (as the API writes them; a naive datetime raises ValueError), dates ISO, and any other value as
    its text, prefixed with `'` when it starts with a formula character."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            raise ValueError("naive datetime in an export")
        return format_utc(value) or ""  # `2017-01-31T23:27:00Z`
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_lines(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """The UTF-8 CSV lines (CRLF ends, minimal quoting) of `header` then `rows`, one row at a time, every
    cell through `safe_cell`; `rows` is read lazily, so a queryset iterator is never held whole."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    for cells in chain([header], rows):
        writer.writerow([safe_cell(cell) for cell in cells])
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate(0)


def csv_download(
    filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """A streamed attachment `filename` (`text/csv; charset=utf-8; header=present`) of `header` and `rows`.

    The only way a view answers CSV: the test over every CSV route requires this response."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
