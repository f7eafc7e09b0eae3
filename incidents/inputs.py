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
`int_param` for a hand-read number, `load_json` for an import (depth-limited), `AwareDateTimeField` /
`parse_aware_datetime` for every date-time query parameter (API filters, `?since=`), and
`incidents.timeparse.EARLIEST` to `latest_allowed()` for instants.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import models
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.template import loader
from django.utils import timezone

from incidents.timeparse import offset_refusal

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
            try:
                why = refusal(request.POST, "form field")
            except RequestDataTooBig:  # over DATA_UPLOAD_MAX_MEMORY_SIZE: the view answers in its protocol
                why = None  # (a chat server's JSON; a page's form gets Django's 400 when it reads it)
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


NAIVE_MESSAGE = (
    "Give the time with its UTC offset, e.g. 2026-07-12T13:55:00Z or 2026-07-12T15:55:00+02:00; "
    "a time without one could mean any zone."
)
# The instants a date-time query parameter may name, in UTC: 1970 (nothing in Hindsight is older) to a day
# before the calendar ends, so no later conversion to a zone or `+ 1 day` can overflow.
EARLIEST_QUERY_TIME = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_QUERY_TIME = datetime(9999, 12, 30, 23, 59, 59, tzinfo=UTC)
_ISO_DATETIME = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})[T ](?P<clock>[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?)"
    r"(?P<offset>Z|z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)
EXAMPLE_TIME = "2026-11-30T14:02:00Z"


# A date-time whose offset's `+` arrived as a space: `+` in a query string means a space unless encoded.
_PLUS_AS_SPACE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)? \d{2}(?::?\d{2})?$")


def plus_sent_as_space(raw: str) -> str | None:
    """The message for a query-string date-time whose offset's `+` arrived as a space
    (`?since=2026-11-30T14:02:00+13:00` unencoded reads `2026-11-30T14:02:00 13:00`), else None."""
    text = (raw or "").strip()
    if not _PLUS_AS_SPACE.match(text):
        return None
    head, _, offset = text.rpartition(" ")
    return (
        f"The offset's + arrived as a space ({text!r}): in a query string a + must be sent as %2B "
        f"({head}%2B{offset}), or give the time in UTC with Z."
    )


def parse_aware_datetime(raw: str) -> datetime:
    """A date-time query parameter (`?started_after=`, `?since=`): ISO 8601 in ASCII digits with its UTC
    offset (`Z`, `+02:00`, `-0500`), returned as an aware datetime in UTC within
    `EARLIEST_QUERY_TIME` .. `LATEST_QUERY_TIME`.

    Raises `forms.ValidationError` with a message for a person (code `invalid`, `naive`, `offset` or
    `range`, `plus`) for anything else: an offset whose `+` arrived as a space (`plus_sent_as_space`), another shape, Unicode digits, a day or hour that does not exist, an offset
    no place on Earth uses (outside `-12:00` .. `+14:00`, such as `+25:00` or `+15:00`:
    `incidents.timeparse.offset_refusal`, the rule of every time input), no offset, or an instant outside the range (also one that only leaves the
    calendar once converted to UTC, such as `9999-12-31T23:00:00-14:00`). Never raises anything else.
    """
    text = raw.strip() if isinstance(raw, str) else ""
    m = _ISO_DATETIME.fullmatch(text)
    if m is None and (message := plus_sent_as_space(text)):
        # As a parameter: the message's `%2B` is not a format directive.
        raise forms.ValidationError("%(message)s", code="plus", params={"message": message})
    if m is None:
        raise forms.ValidationError(
            f"Give a date and time in ISO 8601 with its offset, such as {EXAMPLE_TIME}.", code="invalid"
        )
    if m["offset"] is None:
        raise forms.ValidationError(NAIVE_MESSAGE, code="naive")
    offset = m["offset"].upper()
    if (why := offset_refusal(offset)) is not None:
        raise forms.ValidationError("%(message)s", code="offset", params={"message": why})
    if offset != "Z":
        digits = offset[1:].replace(":", "")
        offset = f"{offset[0]}{digits[:2]}:{digits[2:] or '00'}"
    clock = m["clock"].replace(",", ".")
    if "." in clock:
        whole, fraction = clock.split(".")
        clock = f"{whole}.{fraction[:6].ljust(6, '0')}"
    try:
        value = datetime.fromisoformat(f"{m['date']}T{clock}{'+00:00' if offset == 'Z' else offset}")
    except ValueError:
        raise forms.ValidationError(
            f"{text[:40]} is not a date and time that exists (check the month, day and hour).", code="invalid"
        ) from None
    try:
        utc: datetime | None = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST_QUERY_TIME <= utc <= LATEST_QUERY_TIME:
        raise forms.ValidationError(
            "This time is out of range: give one from 1970-01-01T00:00:00Z to 9999-12-30T23:59:59Z.",
            code="range",
        )
    return utc


class AwareDateTimeField(forms.Field):
    """The form field of every date-time query parameter: `parse_aware_datetime` (a form error with a
    message for any bad value, never an exception), empty is None."""

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        return parse_aware_datetime(str(value))


class QueryDateField(forms.DateField):
    """The form field of every date query parameter (`?due_before=`): `YYYY-MM-DD` in ASCII digits from
    1970-01-01 to 9999-12-30 (a later `+ 1 day` cannot overflow), else a form error with a message."""

    def to_python(self, value: Any) -> date | None:
        if (
            isinstance(value, str)
            and value.strip()
            and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip())
        ):
            raise forms.ValidationError("Give a date as YYYY-MM-DD, such as 2026-11-30.", code="invalid")
        cleaned: date | None = super().to_python(value)
        if cleaned is not None and not EARLIEST_DATE <= cleaned <= LATEST_QUERY_TIME.date():
            raise forms.ValidationError("Give a date from 1970-01-01 to 9999-12-30.", code="range")
        return cleaned


def normalise_newlines(text: str) -> str:
    """`text` with every CRLF and lone CR turned into LF: how Hindsight stores line breaks, whatever sent
    them (browsers submit a textarea with CRLF, scripts usually LF)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


class TextField(forms.CharField):
    """Every text field of every form (`forms.CharField` with the same arguments): line breaks are stored
    as LF (`normalise_newlines`), so saving a form that only changed the title never rewrites a description
    the browser sent back with CRLF, and a stale form's untouched text compares equal to what it was based
    on. tests/security/test_line_endings.py checks every text field of every form normalises."""

    def to_python(self, value: Any) -> str | None:
        text = super().to_python(value)
        return normalise_newlines(text) if isinstance(text, str) else text


def text_formfield(db_field: Any, **kwargs: Any) -> forms.Field | None:
    """A ModelForm's `formfield_callback`: the model's text columns (CharField, TextField without choices)
    become `TextField`, every other column its usual form field."""
    if isinstance(db_field, models.CharField | models.TextField) and not db_field.choices:
        kwargs.setdefault("form_class", TextField)
    field: forms.Field | None = db_field.formfield(**kwargs)
    return field


class TypedTimeField(TextField):
    """A box a person types a time into (`14:05`, `-5m`, `yesterday 23:40`, `2025-03-10T14:05+02:00`): text
    here, read by its form with `incidents.timeparse.parse_time` (which needs the viewer's zone, now and the
    days a bare time is on), so an offset no place uses is a form error on this field
    (`timeparse.offset_refusal`). tests/security/test_datetime_inputs.py walks every one of these."""
