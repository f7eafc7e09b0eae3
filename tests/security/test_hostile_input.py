"""Hostile input, generated over every route: no tampered parameter or form field ever answers 5xx.

The routes come from the URL configuration (and so the API router), walked by the permission matrix
(`tests/security/test_permission_matrix.py`), against the same world of objects. For each route, as a
signed-in admin (who may reach every branch), the test first *discovers* what the route reads:

- every key the view looks up in `request.GET`, `request.POST` and `request.FILES` during a GET and a POST
  (recording dictionaries are swapped in by a test middleware: form classes, filtersets, paginators and
  hand-read parameters are all found the same way, and a new one is found without editing this file);
- every key an API view reads from a JSON body (the JSON parser returns a recording dict);
- the parameters every list is known to take (`KNOWN_PARAMS`: cursor, before, since, n, q, ordering,
  from/to, ...), sent together to every GET.

Then it sends each value of `HOSTILE` to each discovered key, one key at a time (query parameters on GET,
form fields and files on POST, JSON fields on the API), plus every known parameter at once, and asserts
that nothing answers 5xx or raises. Each request runs in a transaction that is rolled back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.test import Client, override_settings
from django.utils.datastructures import MultiValueDict
from rest_framework import parsers

from tests.security.test_permission_matrix import ROUTES, Route, World, build_url
from tests.security.test_permission_matrix import _build_world as build_world

pytestmark = pytest.mark.django_db

DEEP_JSON = "[" * 5000 + "]" * 5000
# What a breaker types into a parameter: numbers beyond any column, negative ones, digits that are not
# ASCII (`int()` accepts '٣', `str.isdigit()` accepts '²'), the edges of the calendar, NUL and control
# characters, a very long string and JSON nested beyond any parser's recursion limit.
HOSTILE: dict[str, str] = {
    "huge": "99999999999999999999999999",
    "negative": "-9223372036854775809",
    "minus-one": "-1",
    "superscript": "²",
    "arabic-digit": "٣",
    "year-1": "0001-01-01",
    "year-9999": "9999-12-31",
    "year-1-time": "0001-01-01T00:00:00Z",
    "year-9999-time": "9999-12-31T23:59:59+14:00",
    "nul": "a\x00b",
    "control": "\x1b[31m\x07\x08",
    "long": "x" * 100_000,
    "deep-json": DEEP_JSON,
    "float": "1e309",
}
# JSON values for API bodies, beyond the strings above.
HOSTILE_JSON: dict[str, Any] = {
    "big-int": 10**30,
    "negative-int": -(10**30),
    "object": {"a": {"b": [1, 2]}},
    "list": ["x", None, 1.5],
    "null": None,
    "true": True,
}
# What an import parses, beyond the corpus: JSON nested deeper than any parser recurses, a Slack export and a
# CSV dated year 1 and 9999, a Slack export that is not a list of messages.
IMPORT_PAYLOADS: dict[str, str] = {
    "deep-json": DEEP_JSON,
    "deep-object": '{"a":' * 3000 + "1" + "}" * 3000,
    "slack-year-1": json.dumps([{"ts": "-62135596800.000", "user": "U1", "text": "x"}]),
    "slack-year-9999": json.dumps([{"ts": "253402300799.000", "user": "U1", "text": "x"}]),
    "slack-huge-ts": json.dumps([{"ts": "1" * 40, "user": "U1", "text": "x"}]),
    "slack-wrong-shape": json.dumps({"messages": {"ts": None}, "users": "x"}),
    "csv-year-1": "time,author,text\n0001-01-01 00:00,a,b\n",
    "csv-year-9999": "time,author,text\n9999-12-31 23:59,a,b\n",
    "transcript-year-9999": "[9999-12-31 23:59] alice: disk full\n",
}
# Parameters lists are known to read (sent to every GET, all at once per hostile value).
KNOWN_PARAMS = (
    "cursor",
    "before",
    "since",
    "n",
    "q",
    "ordering",
    "from",
    "to",
    "page",
    "page_size",
    "a",
    "b",
    "when",
    "days",
    "period",
    "severity",
    "status",
    "owner",
    "team",
    "user",
    "service",
    "started_after",
    "started_before",
)
# Keys that are framework plumbing, not input a route interprets.
IGNORED_KEYS = {"csrfmiddlewaretoken", "_probe", "_probe_file"}
# Routes whose POST ends the shared admin session (the world's session cookie would stop working).
NO_POST = {"accounts:logout", "accounts:sign_out_everywhere"}


@dataclass
class Reads:
    """What one route read: query keys, form keys, file keys and JSON keys."""

    get: set[str] = field(default_factory=set)
    post: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    json: set[str] = field(default_factory=set)
    # What the route's own page would submit: the other fields' values while one field is hostile.
    baseline: dict[str, str] = field(default_factory=dict)
    # The page's short choice lists (an import's format) and its text areas (a pasted import).
    choices: dict[str, list[str]] = field(default_factory=dict)
    textareas: set[str] = field(default_factory=set)


_recording: Reads | None = None


class _FormValues(HTMLParser):
    """The values a browser would submit from a page's forms (inputs, checked boxes, textareas, selects)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.options: dict[str, list[str]] = {}
        self.textareas: set[str] = set()
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "input" and name and a.get("type", "text") not in {"submit", "file", "button", "image"}:
            if a.get("type") in {"checkbox", "radio"} and "checked" not in a:
                return
            self.values.setdefault(name, a.get("value", "on" if a.get("type") == "checkbox" else ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.textareas.add(name)
            self.values.setdefault(name, "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            self.options.setdefault(self._select, []).append(a.get("value", ""))
            if self._select not in self.values or "selected" in a:
                self.values[self._select] = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._textarea and not self.values[self._textarea]:
            self.values[self._textarea] = data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


class _RecordingQueryDict(QueryDict):
    target: set[str]

    def __getitem__(self, key: str) -> Any:
        self.target.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.target.add(key)
        return super().get(key, default)

    def getlist(self, key: str, default: Any = None) -> Any:
        self.target.add(key)
        return super().getlist(key, default)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.target.add(key)
        return super().__contains__(key)


class _RecordingFiles(MultiValueDict):
    target: set[str]

    def __getitem__(self, key: str) -> Any:
        self.target.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.target.add(key)
        return super().get(key, default)

    def getlist(self, key: str, default: Any = None) -> Any:
        self.target.add(key)
        return super().getlist(key, default)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.target.add(key)
        return super().__contains__(key)


class _RecordingDict(dict[str, Any]):
    target: set[str]

    def __getitem__(self, key: Any) -> Any:
        self.target.add(str(key))
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self.target.add(str(key))
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.target.add(str(key))
        return super().__contains__(key)


def _recording_query(source: QueryDict, target: set[str]) -> QueryDict:
    copy = _RecordingQueryDict(mutable=True)
    copy.target = target
    for key, values in source.lists():
        copy.setlist(key, values)
    copy._mutable = False
    return copy


class RecorderMiddleware:
    """Test middleware: while discovering, swaps recording copies in for the request's GET, POST and FILES."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _recording is not None:
            request.GET = _recording_query(request.GET, _recording.get)  # type: ignore[assignment]
            if request.method == "POST" and not request.path.startswith("/api/"):
                files = _RecordingFiles(dict(request.FILES.lists()))
                files.target = _recording.files
                request._files = files  # type: ignore[attr-defined]
                request._post = _recording_query(request.POST, _recording.post)  # type: ignore[attr-defined]
        return self.get_response(request)


class _RecordingJSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        if _recording is not None and isinstance(data, dict):
            recorded = _RecordingDict(data)
            recorded.target = _recording.json
            return recorded
        return data


@contextmanager
def _recording_into(reads: Reads) -> Iterator[None]:
    global _recording
    _recording = reads
    try:
        yield
    finally:
        _recording = None


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            cache.clear()


class _Rollback(Exception):
    pass


@dataclass
class Outcome:
    status: int
    error: str = ""
    body: str = ""


def _send(
    session: str,
    method: str,
    url: str,
    *,
    data: Any = None,
    content_type: str | None = None,
    keep: bool = False,
) -> Outcome:
    client = Client(raise_request_exception=True)
    client.cookies[settings.SESSION_COOKIE_NAME] = session
    outcome = Outcome(0)
    try:
        with transaction.atomic():
            if method == "GET":
                response = client.get(url, data=data)
            elif content_type is not None:
                response = client.post(url, data=data, content_type=content_type)
            else:
                response = client.post(url, data=data)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)  # type: ignore[attr-defined]
            outcome = Outcome(response.status_code)
            if keep and not getattr(response, "streaming", False):
                outcome.body = response.content.decode(errors="replace")
            raise _Rollback
    except _Rollback:
        pass
    except Exception as exc:
        outcome = Outcome(500, f"{type(exc).__name__}: {str(exc)[:200]}")
    return outcome


def discover(route: Route, session: str, url: str) -> Reads:
    """What `route` reads from a GET (with a probe parameter, so `Form(request.GET or None)` binds) and a POST."""
    reads = Reads()
    with (
        override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, f"{__name__}.RecorderMiddleware"]),
        _recording_into(reads),
    ):
        parser_classes = [_RecordingJSONParser]
        callback_cls = getattr(route.callback, "cls", None)
        saved = getattr(callback_cls, "parser_classes", None)
        if callback_cls is not None:
            callback_cls.parser_classes = parser_classes
        try:
            page = _send(session, "GET", url, data={"_probe": "1"}, keep=True)
            if route.name not in NO_POST:
                if route.is_api:
                    _send(
                        session,
                        "POST",
                        url,
                        data=json.dumps({"_probe": "1"}),
                        content_type="application/json",
                    )
                else:
                    # A file too, so that `Form(request.POST, request.FILES or None)` binds its file fields.
                    probe_file = SimpleUploadedFile("probe.txt", b"probe")
                    _send(session, "POST", url, data={"_probe": "1", "_probe_file": probe_file})
        finally:
            if callback_cls is not None:
                callback_cls.parser_classes = saved
    for keys in (reads.get, reads.post, reads.files, reads.json):
        keys -= IGNORED_KEYS
    if route.is_api:
        reads.get.discard("format")
    elif page.body:
        parser = _FormValues()
        parser.feed(page.body)
        reads.baseline = {k: v for k, v in parser.values.items() if k in reads.post}
        reads.choices = {k: v for k, v in parser.options.items() if k in reads.post and len(v) <= 10}
        reads.textareas = parser.textareas & reads.post
    return reads


def _json_values() -> dict[str, Any]:
    # Strings a JSON field is typed as; control characters and the rest behave in JSON as in a form.
    strings = (
        "huge",
        "negative",
        "superscript",
        "arabic-digit",
        "year-1-time",
        "year-9999-time",
        "nul",
        "long",
    )
    values: dict[str, Any] = {k: HOSTILE[k] for k in strings}
    values.update(HOSTILE_JSON)
    return values


# The API's query parameters are read by django-filter, DRF's search and ordering filters and the paginator,
# the same few readers on every list: these values one parameter at a time.
API_QUERY_VALUES = ("huge", "superscript", "year-1-time", "year-9999-time", "long")
# Every known parameter at once (the parameters a route did not read cost nothing to send).
KNOWN_PARAM_VALUES = ("huge", "superscript", "year-1", "year-9999-time", "long")
# One key at a time, form fields and JSON fields get these (every field also gets the whole corpus at once).
ONE_AT_A_TIME = ("huge", "superscript", "year-9999-time", "big-int", "object")


def attacks(route: Route, reads: Reads) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(description, method, request arguments) for every hostile value at every key `route` reads.

    Query parameters of pages get every value one key at a time (a view reads them by hand, and the first it
    refuses would hide the rest); the API's get `API_QUERY_VALUES`. Form and JSON fields get every value in all fields at once (a form cleans each
    field whatever the others hold) and a few values one field at a time (a view that reads one field by
    hand before the form).
    """
    for name, value in HOSTILE.items():
        if name in KNOWN_PARAM_VALUES:
            yield f"GET all known params={name}", "GET", {"data": dict.fromkeys(KNOWN_PARAMS, value)}
        if route.is_api and name not in API_QUERY_VALUES:
            continue
        for key in sorted(reads.get):
            yield f"GET {key}={name}", "GET", {"data": {key: value}}
    if route.name in NO_POST:
        return
    if route.is_api:
        values = _json_values()
        for name, value in values.items():
            if reads.json:
                body = json.dumps(dict.fromkeys(reads.json, value))
                yield (
                    f"POST json all fields={name}",
                    "POST",
                    {"data": body, "content_type": "application/json"},
                )
        for key in sorted(reads.json):
            for name in ONE_AT_A_TIME:
                body = json.dumps({key: values[name]})
                yield f"POST json {key}={name}", "POST", {"data": body, "content_type": "application/json"}
        yield "POST deep json body", "POST", {"data": DEEP_JSON, "content_type": "application/json"}
        return
    form_keys = sorted(reads.post)
    for name, value in HOSTILE.items():
        if form_keys or reads.files:
            data: dict[str, Any] = dict.fromkeys(form_keys, value)
            for key in reads.files:
                data[key] = SimpleUploadedFile("hostile.json", value.encode())
            yield f"POST all fields={name}", "POST", {"data": data}
    for key in form_keys:
        for name in ONE_AT_A_TIME:
            if name in HOSTILE:
                yield f"POST {key}={name}", "POST", {"data": {**reads.baseline, key: HOSTILE[name]}}
    for key in sorted(reads.files):
        # A file is what an import parses: every value alone, beside the page's own values for the rest,
        # named .json (the JSON importers) and .md/.csv (the text ones).
        for name, value in HOSTILE.items():
            for suffix in ("json", "txt"):
                upload = SimpleUploadedFile(f"hostile.{suffix}", value.encode())
                yield f"POST file {key}={name}.{suffix}", "POST", {"data": {**reads.baseline, key: upload}}
        upload = SimpleUploadedFile("big.json", b"[" * 6_000_000)
        yield f"POST file {key}=6 MB", "POST", {"data": {**reads.baseline, key: upload}}
    if reads.files:
        # An import: each payload, pasted and uploaded, in each of the page's short choices (its format).
        variants: list[dict[str, str]] = [{}] + [
            {k: option} for k, options in reads.choices.items() for option in options
        ]
        for variant in variants:
            for name, payload in IMPORT_PAYLOADS.items():
                for key in sorted(reads.textareas):
                    data = {**reads.baseline, **variant, key: payload}
                    yield f"POST {key}={name} {variant}", "POST", {"data": data}
                for key in sorted(reads.files):
                    data = {
                        **reads.baseline,
                        **variant,
                        key: SimpleUploadedFile("import.json", payload.encode()),
                    }
                    yield f"POST file {key}={name} {variant}", "POST", {"data": data}


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_no_hostile_value_answers_a_server_error(route: Route, world: World):
    cache.clear()
    session = world.sessions["admin"]
    url = build_url(route, world, "internal")
    reads = discover(route, session, url)
    problems = []
    for description, method, kwargs in attacks(route, reads):
        outcome = _send(session, method, url, **kwargs)
        if outcome.status >= 500:
            problems.append(f"{description} -> {outcome.status} {outcome.error}")
    assert not problems, f"{route.name} ({url}) reads {reads}:\n" + "\n".join(problems)


def test_discovery_finds_form_fields_filters_and_hand_read_parameters(world: World):
    by_name = {r.name: r for r in ROUTES}
    session = world.sessions["admin"]

    def reads_of(name: str) -> Reads:
        route = by_name[name]
        return discover(route, session, build_url(route, world, "internal"))

    assert {"severity", "status"} <= reads_of("incidents:list").get  # a filter form bound to GET
    assert {"title", "severity"} <= reads_of("incidents:declare").post  # a form class's fields
    assert "cursor" in reads_of("incidents:timeline_changes").get  # read by hand
    assert "ordering" in reads_of("api:incident-list").get  # DRF's ordering filter
    assert "title" in reads_of("api:incident-list").json  # a serializer's fields
    assert "upload" in reads_of("incidents:timeline_import").files  # an import form's file
