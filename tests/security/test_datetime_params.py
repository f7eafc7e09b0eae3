"""Every date-time (and date) query parameter of every API list answers 400 naming the parameter, never 500
and never a silent 200, for any value a breaker sends: offsets beyond ±23:59 (`+25:00` answered 500 on
PostgreSQL, found by an outside tester), year 0, instants that leave the calendar only once converted to
UTC, huge numbers, Unicode digits, NUL, surrogates, days and hours that do not exist.

The parameters are generated: every query parameter the OpenAPI schema documents as `date-time` or `date`,
plus the timeline's `?since=` (a cursor or a time, documented as a string). A new filter is covered without
editing this file, and a date-time filter that does not parse through `incidents.inputs` (the one parser)
fails `test_every_datetime_filter_is_the_one_filter`.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django_filters import filters as df
from django_filters.rest_framework import FilterSet
from drf_spectacular.generators import SchemaGenerator

from incidents.api.base import QueryDateFilter, UtcDateTimeFilter
from incidents.api.urls import router
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

# Sent raw in the query string (already percent-encoded where a browser would encode them).
HOSTILE_TIMES: dict[str, str] = {
    "offset +25:00": quote("2026-12-01T00:00:00+25:00"),
    "offset +24:00": quote("2026-12-01T00:00:00+24:00"),
    "offset -24:00": quote("2026-12-01T00:00:00-24:00"),
    "offset minutes 60": quote("2026-12-01T00:00:00+05:60"),
    "offset +15:00 (none in use)": quote("2026-12-01T00:00:00+15:00"),
    "offset -13:00 (none in use)": quote("2026-12-01T00:00:00-13:00"),
    "offset +9999": quote("2026-12-01T00:00:00+9999"),
    "year 0": quote("0000-01-01T00:00:00Z"),
    "year 1 to UTC underflows": quote("0001-01-01T00:00:00+14:00"),
    "year 9999 to UTC overflows": quote("9999-12-31T23:00:00-14:00"),
    "before 1970": quote("1969-12-31T23:59:59Z"),
    "five-digit year": quote("10000-01-01T00:00:00Z"),
    "negative year": quote("-0001-01-01T00:00:00Z"),
    "huge number": "99999999999999999999999999",
    "float": "1e309",
    "arabic digits": quote("٢٠٢٦-١٢-٠١T00:00:00Z"),
    "fullwidth digits": quote("２０２６-12-01T00:00:00Z"),
    "february 30": quote("2026-02-30T00:00:00Z"),
    "hour 24": quote("2026-12-01T24:00:00Z"),
    "month 13": quote("2026-13-01T00:00:00Z"),
    "no offset": quote("2026-12-01T00:00:00"),
    "long fraction": quote("2026-12-01T00:00:00.1234567890123Z"),
    "nul": "2026-12-01T00%3A00%3A00Z%00",
    "surrogate bytes": "2026-12-01%ED%A0%80",
    "lone surrogate utf-8 escape": "%ED%B0%80",
    "words": "yesterday",
    "long": "9" * 3000,
}
HOSTILE_DATES: dict[str, str] = {
    "year 0": "0000-01-01",
    "before 1970": "1969-12-31",
    "five-digit year": "10000-01-01",
    "huge number": "99999999999999999999999999",
    "arabic digits": quote("٢٠٢٦-١٢-٠١"),
    "february 30": "2026-02-30",
    "month 13": "2026-13-01",
    "nul": "2026-12-01%00",
    "surrogate bytes": "2026-12-01%ED%A0%80",
    "long": "9" * 3000,
}
VALID = {"date-time": quote("2026-11-30T14:02:00+14:00"), "date": "2026-11-30"}


def datetime_parameters() -> list[tuple[str, str, str]]:
    """(path, parameter, "date-time" | "date") for every GET query parameter of the API that reads a time."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is None or "{" in path:
            continue
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            kind = parameter.get("schema", {}).get("format")
            if parameter["name"] == "since":
                kind = "date-time"
            if kind in ("date-time", "date"):
                found.append((path, parameter["name"], kind))
    return found


PARAMETERS = datetime_parameters()


def test_the_generated_list_finds_the_known_parameters():
    names = {(path, name) for path, name, _ in PARAMETERS}
    assert ("/api/v1/incidents/", "started_after") in names
    assert ("/api/v1/incidents/", "started_before") in names
    assert ("/api/v1/timeline-entries/", "since") in names
    assert ("/api/v1/action-items/", "due_before") in names


@pytest.mark.parametrize(("path", "name", "kind"), PARAMETERS, ids=[f"{p}?{n}" for p, n, _ in PARAMETERS])
def test_every_hostile_time_is_a_400_naming_the_parameter(api_for, admin_user, path, name, kind):
    IncidentFactory()
    api = api_for(admin_user)
    ok = api.get(f"{path}?{name}={VALID[kind]}")
    assert ok.status_code == 200, ok.content[:300]
    wrong = []
    for label, raw in (HOSTILE_TIMES if kind == "date-time" else HOSTILE_DATES).items():
        response = api.get(path, QUERY_STRING=f"{name}={raw}")
        body = response.content.decode(errors="replace")
        if response.status_code != 400 or name not in body:
            wrong.append(f"{label}: {response.status_code} {body[:200]}")
    assert not wrong, "\n".join(wrong)


def test_an_offset_beyond_a_day_says_what_offsets_exist(api_for, admin_user):
    response = api_for(admin_user).get(
        "/api/v1/incidents/", QUERY_STRING=f"started_after={HOSTILE_TIMES['offset +25:00']}"
    )
    assert response.status_code == 400
    assert response.json() == {
        "started_after": ["+25:00 is not a UTC offset in use: offsets lie between -12:00 and +14:00."]
    }


def _filtersets() -> list[type[FilterSet]]:
    found = []
    for _, viewset, _ in router.registry:
        filterset = getattr(viewset, "filterset_class", None)
        if filterset is not None:
            found.append(filterset)
    return found


def test_every_datetime_filter_is_the_one_filter():
    """A DateTimeFilter of django-filter's own would parse with Django's parser again (500 on `+25:00`), a
    DateFilter of its own takes year 1."""
    assert _filtersets()
    wrong = [
        f"{filterset.__name__}.{name}"
        for filterset in _filtersets()
        for name, f in filterset.base_filters.items()
        if (
            isinstance(f, df.DateTimeFilter | df.IsoDateTimeFilter | df.DateTimeFromToRangeFilter)
            and not isinstance(f, UtcDateTimeFilter)
        )
        or (isinstance(f, df.DateFilter | df.DateFromToRangeFilter) and not isinstance(f, QueryDateFilter))
    ]
    assert not wrong, f"use incidents.api.base.UtcDateTimeFilter or QueryDateFilter for {wrong}"
