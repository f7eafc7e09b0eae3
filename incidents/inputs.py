"""Request input that no view has to defend itself against: the robustness layer in front of every route.

`InputGuardMiddleware` refuses, before any view runs (400, with a message; JSON under `/api/`):

- a NUL or another control character (C0 except tab, line feed and carriage return; DEL) in any query
  parameter's name or value, or in a field of a submitted form (PostgreSQL cannot store NUL at all; the
  rest are never typed by a person and are how terminal escapes and log forgery get in);
- a query parameter value longer than `MAX_QUERY_VALUE_CHARS` (a search, cursor or filter is short; a 100 kB
  one only makes a slow or failing LIKE pattern);
- an API body larger than `DATA_UPLOAD_MAX_MEMORY_SIZE`: 413 `{"detail": …}` instead of Django's HTML page.

What is left for each route (bounds of a number or a date) is parsed by a form field that knows them:
`BoundedIntegerField`, `BoundedDateField` (1970-01-01 .. tomorrow, for what has happened),
`int_param` for a hand-read number, `load_json` for an import (depth-limited), and `incidents.timeparse.EARLIEST` to
`latest_allowed()` for instants.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.template import loader
from django.utils import timezone

# Characters refused anywhere in a query string or a form: C0 controls except \t \n \r, and DEL.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_QUERY_VALUE_CHARS = 2_000
# The database columns' integer range (PostgreSQL bigint; SQLite's INTEGER is the same 64 bits).
MAX_DB_INTEGER = 2**63 - 1
MIN_DB_INTEGER = -(2**63)
# A positive integer column (ids, counts, minutes) fits PostgreSQL's 32-bit integer.
MAX_POSITIVE_INTEGER = 2**31 - 1


def refusal(data: QueryDict, what: str) -> str | None:
    """Why `data` (a query string or a form) is refused, or None when it is acceptable."""
    for key, values in data.lists():
        if CONTROL_CHARACTERS.search(key):
            return f"A {what} name contains a control character."
        for value in values:
            if not isinstance(value, str):
                continue
            if CONTROL_CHARACTERS.search(value):
                return f"The {what} “{key[:40]}” contains a control character (such as NUL); remove it and retry."
            if what == "query parameter" and len(value) > MAX_QUERY_VALUE_CHARS:
                return f"The {what} “{key[:40]}” is longer than {MAX_QUERY_VALUE_CHARS:,} characters."
    return None


class InputGuardMiddleware:
    """Refuse hostile query strings and form fields before any view sees them (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = request.path.startswith("/api/")
        if api and request.method in {"POST", "PUT", "PATCH"}:
            length = _content_length(request)
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if limit is not None and length > limit:
                return JsonResponse(
                    {
                        "detail": f"The request body is larger than {limit // 1_000_000} MB ({length:,} bytes)."
                    },
                    status=413,
                )
        why = refusal(request.GET, "query parameter")
        if why is None and not api and request.method == "POST" and _is_form(request):
            why = refusal(request.POST, "form field")
        if why is None:
            return self.get_response(request)
        if api:
            return JsonResponse({"detail": why}, status=400)
        body = loader.get_template("400.html").render({"exception": why}, request)
        return HttpResponse(body, status=400)


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _is_form(request: HttpRequest) -> bool:
    content_type = request.META.get("CONTENT_TYPE", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


class BoundedIntegerField(forms.IntegerField):
    """An integer form field that refuses what its column cannot store (defaults: 0 .. 2**31 - 1).

    `forms.IntegerField` accepts any size and any Unicode digit ('٣' is 3); the bounds make a huge
    number a form error instead of an overflow in the database.
    """

    def __init__(
        self, *, min_value: int = 0, max_value: int = MAX_POSITIVE_INTEGER, **kwargs: object
    ) -> None:
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)  # type: ignore[arg-type]


def int_param(
    raw: str | None, *, default: int | None = None, low: int = 0, high: int = MAX_POSITIVE_INTEGER
) -> int | None:
    """A hand-read integer parameter: ASCII digits (an optional leading '-') within [low, high], else `default`.

    `int()` accepts '٣' and ' 7 '; `str.isdigit()` accepts '²', which `int()` then refuses. Neither is a
    number a person typed into Hindsight, so both mean "not given".
    """
    if raw is None or not re.fullmatch(r"-?[0-9]{1,19}", raw):
        return default
    value = int(raw)
    return value if low <= value <= high else default


EARLIEST_DATE = date(1970, 1, 1)


class BoundedDateField(forms.DateField):
    """A date form field for something that has happened (an incident's start, a filter over them):
    1970-01-01 to tomorrow in the viewer's zone, so year 1 and year 9999 are form errors, not an overflow
    when a day is added to make a half-open range. `days_ahead` widens the upper bound (a due date)."""

    def __init__(self, *, days_ahead: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.days_ahead = days_ahead

    def clean(self, value: Any) -> date | None:
        cleaned: date | None = super().clean(value)
        if cleaned is None:
            return None
        latest = timezone.localdate() + timedelta(days=self.days_ahead)
        if cleaned < EARLIEST_DATE:
            raise forms.ValidationError("Give a date in 1970 or later.", code="min_value")
        if cleaned > latest:
            raise forms.ValidationError(f"Give a date no later than {latest.isoformat()}.", code="max_value")
        return cleaned


class JsonTooDeep(json.JSONDecodeError):
    """JSON nested deeper than the parser recurses: a `JSONDecodeError`, so callers report it as bad JSON."""

    def __init__(self, doc: str) -> None:
        super().__init__("nested too deeply (an export is a few levels deep)", doc[:0], 0)


def load_json(text: str | bytes) -> Any:
    """`json.loads` for what people upload or paste: a document nested beyond Python's recursion limit
    raises `JsonTooDeep` (a `json.JSONDecodeError`) instead of a RecursionError."""
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise JsonTooDeep(text if isinstance(text, str) else "") from exc
