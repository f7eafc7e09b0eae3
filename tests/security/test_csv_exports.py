"""Every CSV download comes from the one writer (incidents/csv.py): streamed, its header first, formula-safe.

The routes are found, not listed from memory: `test_every_csv_route_is_checked_here` requests every GET route
of the URL configuration (and every API route with `?format=csv`) as an admin on the permission matrix's
seeded world and collects those answering text/csv; each must be in CSV_EXPORTS, which says how to fill its
URL and what its header row and file name are. A new CSV route fails there until it is added, and then fails
the checks below unless it is written by `incidents.csv.csv_download`:

- 200, a StreamingHttpResponse sent one row per chunk, `text/csv; charset=utf-8; header=present`, an
  attachment with the route's file name;
- the header row as written here by hand;
- the planted titles and descriptions `=HYPERLINK("http://x")`, `+1`, `@SUM(A1)` and the text `-5` come out
  with a leading apostrophe, never bare; a real negative number comes out as `-5`; no other cell starts
  with a formula character unless it is a number;
- instants as the API writes them (UTC with Z), never `+00:00`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityEvent
from accounts.security import security_event_record
from incidents import models as m
from incidents.followup import exports as followup_exports
from incidents.followup import selectors as followup_selectors
from incidents.insights import registry
from incidents.insights.forms import InsightsFilterForm
from incidents.insights.metrics import Figure
from tests.security.test_permission_matrix import ROUTES, World, _build_world, build_url

pytestmark = pytest.mark.django_db

PAYLOADS = ('=HYPERLINK("http://x")', "+1", "@SUM(A1)", "-5")  # the last as text: escaped too
NEGATIVE = -5  # a real number: written as it is
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
CONTENT_TYPE = "text/csv; charset=utf-8; header=present"

ITEM_HEADER = [
    "id", "title", "status", "priority", "type", "owner", "owner_email", "team", "due_date", "overdue",
    "breaches_target", "incident", "incident_title", "finding_id", "description", "completion_note",
    "wont_do_reason", "blocked_on", "success_criteria", "recheck_date", "recheck_outcome",
    "did_not_prevent_recurrence", "tracker_url", "created_at", "completed_at", "version",
]  # fmt: skip
FINDING_HEADER = [
    "id", "title", "area", "status", "risk", "owner", "owner_email", "verifier", "team", "due_date",
    "overdue", "incidents", "description", "evidence", "verified_by", "verified_at",
    "verification_evidence", "risk_accepted_by", "risk_accepted_until", "risk_acceptance_reason",
    "created_at", "closed_at", "version",
]  # fmt: skip
SECURITY_HEADER = ["time_utc", "kind", "actor", "target", "ip_address", "detail"]
INCIDENT_HEADER = [
    "reference", "title", "type", "severity", "status", "visibility", "started_at", "detected_at",
    "resolved_at", "impact_duration_seconds", "services", "commander", "Security: Customer ticket",
]  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One download to check: how to ask for it and what must come back."""

    url: str
    filename: str
    header: list[str]
    negative: bool = True  # the export has a number column that can hold the planted negative number
    times: bool = True  # the export has an instant column
    post: dict[str, Any] | None = None  # sent as a form POST instead of a GET


def _negative_versions(monkeypatch: Any, name: str) -> None:
    """The export's selector hands the view its rows with the version number below zero (the database
    refuses one, and no form takes it: this is how a negative number reaches these exports)."""
    select = getattr(followup_selectors, name)

    def rows(*args: Any, **kwargs: Any) -> list[Any]:
        found = list(select(*args, **kwargs))
        for row in found:
            row.version = NEGATIVE
        return found

    monkeypatch.setattr(followup_selectors, name, rows)


def _items(world: World, monkeypatch: Any) -> list[Case]:
    export = followup_exports.action_item_export_for

    def rows(*args: Any, **kwargs: Any) -> tuple[int, Any]:  # the streamed tuples, version (last) negative
        count, found = export(*args, **kwargs)
        return count, ((*row[:-1], NEGATIVE) for row in found)

    monkeypatch.setattr(followup_exports, "action_item_export_for", rows)
    return [Case(reverse("incidents:action_item_export"), "action-items.csv", ITEM_HEADER)]


def _findings(world: World, monkeypatch: Any) -> list[Case]:
    _negative_versions(monkeypatch, "export_findings_for")
    return [Case(reverse("incidents:finding_export"), "policy-findings.csv", FINDING_HEADER)]


def _security_events(world: World, monkeypatch: Any) -> list[Case]:
    name = f"security-events-{timezone.now():%Y%m%d}.csv"
    url = reverse("incidents:security_events_csv")
    return [Case(url, name, SECURITY_HEADER, negative=False)]  # no number column


def _insights(world: World, monkeypatch: Any) -> list[Case]:
    """Every figure, each with a row per payload added to what it computed, its numbers negative."""
    cases = []
    for slug, build in list(registry.FIGURES.items()):
        figure = build(world.users["admin"], _filters())
        header = [
            f"{c} (seconds)" if k == "seconds" else c
            for c, k in zip(figure.columns, figure.kinds, strict=True)
        ]
        cases.append(
            Case(reverse("incidents:insights_csv", args=[slug]), f"hindsight-{slug}.csv", header, times=False)
        )
        monkeypatch.setitem(registry.FIGURES, slug, _planted(build))
    return cases


def _incidents(world: World, monkeypatch: Any) -> list[Case]:
    # No number column can hold a negative number (the impact duration is never negative).
    return [Case(reverse("incidents:export_csv"), "incidents.csv", INCIDENT_HEADER, negative=False)]


def _admin_security_events(world: World, monkeypatch: Any) -> list[Case]:
    """The admin's "Export selected events as CSV" action: a POST, so discovery does not find it."""
    ids = [str(pk) for pk in SecurityEvent.objects.values_list("pk", flat=True)]
    return [
        Case(
            reverse("admin:accounts_securityevent_changelist"),
            "security-events.csv",
            SECURITY_HEADER,
            negative=False,
            post={"action": "export_csv", "_selected_action": ids},
        )
    ]


Cases = Callable[[World, Any], list[Case]]
# Route name -> the downloads to check (planting what the export needs through `monkeypatch`). A route
# answering CSV that is missing here fails the discovery test.
CSV_EXPORTS: dict[str, Cases] = {
    "incidents:action_item_export": _items,
    "incidents:finding_export": _findings,
    "incidents:security_events_csv": _security_events,
    "incidents:insights_csv": _insights,
    "incidents:export_csv": _incidents,
}
OTHER_CSV_RESPONSES: dict[str, Cases] = {
    "admin: security events export action": _admin_security_events,
}


def _filters() -> Any:
    form = InsightsFilterForm({})
    assert form.is_valid(), form.errors
    return form.to_filters()


def _planted(build: Callable[[Any, Any], Figure]) -> Callable[[Any, Any], Figure]:
    """A figure builder that adds one row per payload, its other cells the negative number."""

    def wrapped(user: Any, filters: Any) -> Figure:
        figure = build(user, filters)
        width = len(figure.columns)
        figure.rows = [*figure.rows, *([text] + [NEGATIVE] * (width - 1) for text in PAYLOADS)]
        return figure

    return wrapped


def _plant(world: World) -> None:
    """Hostile text in the titles and descriptions of what each export lists."""
    first, second, third, text = PAYLOADS
    for variant in world.objects.values():
        m.ActionItem.objects.filter(pk=variant["item"].pk).update(
            title=first, description=second, completion_note=third, blocked_on=text
        )
        m.PolicyFinding.objects.filter(pk=variant["finding"].pk).update(
            title=first, description=second, evidence=third, verification_evidence=text
        )
        m.ContributingFactor.objects.filter(pk=variant["factor"].pk).update(title=first, description=second)
    # The incident list: each incident's title and its custom field value.
    for variant, (title, value) in zip(world.objects.values(), ((first, second), (third, text)), strict=True):
        m.Incident.objects.filter(pk=variant["incident"].pk).update(title=title)
        m.CustomFieldValue.objects.filter(incident=variant["incident"]).update(text=value)
    security_event_record(
        kind=SecurityEvent.Kind.SIGN_IN_FAILED, actor_email=first, target=second, detail=third
    )
    security_event_record(kind=SecurityEvent.Kind.SIGN_IN_FAILED, actor_email="a@example.com", detail=text)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """The permission matrix's world with the payloads planted, rolled back at the end."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            w = _build_world()
            _plant(w)
            yield w
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            cache.clear()


class _Rollback(Exception):
    pass


def _client(world: World) -> Client:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions["admin"]
    return client


def _content_type(client: Client, url: str) -> str:
    """The Content-Type `url` answers an admin's GET with; whatever the route writes is rolled back."""
    content_type = ""
    try:
        with transaction.atomic():
            response = client.get(url)
            content_type = response.get("Content-Type", "")
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)  # type: ignore[attr-defined]
            raise _Rollback
    except _Rollback:
        pass
    return content_type


def test_every_csv_route_is_checked_here(world: World):
    client = _client(world)
    answering_csv = set()
    for route in ROUTES:
        if route.name.startswith("<unnamed"):
            continue
        cache.clear()  # the API throttle measures rates, not this walk
        url = build_url(route, world, "internal")
        urls = [url, url + ("&" if "?" in url else "?") + "format=csv"] if route.is_api else [url]
        if any(_content_type(client, u).startswith("text/csv") for u in urls):
            answering_csv.add(route.name)
    assert len(ROUTES) > 100, "the walk found too few routes: is the URL configuration walked?"
    missing = answering_csv - set(CSV_EXPORTS)
    assert not missing, (
        f"{sorted(missing)} answer CSV: write them with incidents.csv.csv_download and add them to "
        "CSV_EXPORTS in tests/security/test_csv_exports.py"
    )
    assert answering_csv == set(CSV_EXPORTS), "a route in CSV_EXPORTS no longer answers CSV"


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _check(case: Case, response: Any) -> list[str]:
    where = case.url
    if response.status_code != 200:
        return [f"{where}: status {response.status_code}"]
    problems = []
    if not isinstance(response, StreamingHttpResponse):
        problems.append(f"{where}: not streamed ({type(response).__name__}): use incidents.csv.csv_download")
        return problems
    if response["Content-Type"] != CONTENT_TYPE:
        problems.append(f"{where}: Content-Type {response['Content-Type']!r}")
    if response["Content-Disposition"] != f'attachment; filename="{case.filename}"':
        problems.append(f"{where}: Content-Disposition {response['Content-Disposition']!r}")
    chunks: list[bytes] = list(response.streaming_content)  # type: ignore[arg-type]
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8"), newline="")))
    if len(chunks) != len(rows):
        problems.append(f"{where}: {len(chunks)} chunks for {len(rows)} rows (one row per chunk streams)")
    if not rows or rows[0] != case.header:
        problems.append(f"{where}: header {rows[:1]}, expected {case.header}")
    cells = [cell for row in rows[1:] for cell in row]
    for payload in PAYLOADS:
        if "'" + payload not in cells:
            problems.append(f"{where}: the planted {payload!r} is not in the export with its apostrophe")
    bare = [c for c in cells if c.startswith(FORMULA_STARTS) and not _is_number(c)]
    if bare:
        problems.append(f"{where}: cells a spreadsheet would run: {bare[:5]}")
    if case.negative and str(NEGATIVE) not in cells:
        problems.append(f"{where}: the negative number {NEGATIVE} is not written as a number")
    if case.times:
        if not any(UTC_Z.match(c) for c in cells):
            problems.append(f"{where}: no instant written as UTC with Z")
        if any("+00:00" in c for c in cells):
            problems.append(f"{where}: an instant written with +00:00")
    return problems


@pytest.mark.parametrize("name", [*CSV_EXPORTS, *OTHER_CSV_RESPONSES])
def test_csv_export_is_streamed_with_its_header_and_formula_safe(name: str, world: World, monkeypatch):
    cases = {**CSV_EXPORTS, **OTHER_CSV_RESPONSES}[name](world, monkeypatch)
    client = _client(world)
    problems = []
    for case in cases:
        cache.clear()
        with transaction.atomic():
            if case.post is not None:
                response = client.post(case.url, data=case.post)
            else:
                response = client.get(case.url)
            problems += _check(case, response)
            transaction.set_rollback(True)
    assert cases
    assert not problems, "\n".join(problems)


def test_the_checks_catch_a_writer_that_breaks_the_rules(world: World):
    """The checks fail on a hand-made CSV that escapes nothing, escapes numbers, or is not streamed."""
    case = Case("/x", "x.csv", ["a", "b"], times=False)

    def streamed(lines: list[str]) -> StreamingHttpResponse:
        response = StreamingHttpResponse((line.encode() for line in lines), content_type=CONTENT_TYPE)
        response["Content-Disposition"] = 'attachment; filename="x.csv"'
        return response

    good = ["a,b\r\n", '"\'=HYPERLINK(""http://x"")",-5\r\n', "'+1,-5\r\n", "'@SUM(A1),-5\r\n", "'-5,-5\r\n"]
    assert _check(case, streamed(good)) == []
    unescaped = [good[0], '"=HYPERLINK(""http://x"")",-5\r\n', "+1,-5\r\n", "@SUM(A1),-5\r\n", "-5,-5\r\n"]
    assert len(_check(case, streamed(unescaped))) >= 4
    numbers_escaped = [line.replace(",-5", ",'-5") for line in good]
    assert any("negative number" in p for p in _check(case, streamed(numbers_escaped)))
    whole = HttpResponse("".join(good), content_type=CONTENT_TYPE)
    assert any("not streamed" in p for p in _check(case, whole))
