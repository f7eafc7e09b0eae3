"""Pages that never skip or repeat: keyset cursors both ways with equal timestamps, every ordering ends with
the primary key, and the `?since=` change feed keeps a settle margin like the page's live feed."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from incidents.api.pagination import StableOrderingFilter
from incidents.api.urls import router
from incidents.models import Incident, TimelineEntry
from tests.factories import IncidentFactory, TimelineEntryFactory

pytestmark = pytest.mark.django_db


def _walk(client, url, key):
    pages, seen = [], []
    while url:
        body = client.get(url).json()
        pages.append(body)
        seen += [row[key] for row in body["results"]]
        url = body["next"]
    return pages, seen


def test_timeline_cursor_pages_are_exact_both_ways_with_equal_timestamps(api_for, responder, incident):
    at = incident.started_at + timedelta(minutes=5)
    TimelineEntryFactory.create_batch(95, incident=incident, occurred_at=at)
    TimelineEntryFactory.create_batch(5, incident=incident, occurred_at=at + timedelta(minutes=1))
    expected = list(
        TimelineEntry.objects.filter(incident=incident)
        .order_by("occurred_at", "id")
        .values_list("id", flat=True)
    )
    client = api_for(responder)
    pages, forward = _walk(client, f"/api/v1/timeline-entries/?incident={incident.number}&page_size=15", "id")
    assert forward == expected

    backward: list[int] = []
    url = pages[-1]["previous"]
    while url:
        body = client.get(url).json()
        backward = [row["id"] for row in body["results"]] + backward
        url = body["previous"]
    assert backward + [row["id"] for row in pages[-1]["results"]] == expected
    # ... and `next` from a page reached backwards carries on without a gap.
    first = client.get(pages[1]["previous"]).json()
    assert [r["id"] for r in first["results"]] == expected[:15]
    assert first["previous"] is None
    assert [r["id"] for r in client.get(first["next"]).json()["results"]] == expected[15:30]


@pytest.mark.parametrize("position", ["²³.1", "9" * 40 + ".1", "-5.3", "1.x"])
def test_a_tampered_cursor_is_not_found_not_a_server_error(api_for, responder, incident, position):
    from base64 import b64encode

    cursor = b64encode(f"p={position}".encode()).decode()
    response = api_for(responder).get(f"/api/v1/timeline-entries/?cursor={cursor}")
    assert response.status_code == 404


def _ordered_viewsets():
    for prefix, viewset, _ in router.registry:
        if any(issubclass(b, OrderingFilter) for b in getattr(viewset, "filter_backends", [])):
            yield prefix, viewset


def test_every_ordering_of_every_list_ends_with_the_primary_key():
    checked = 0
    for prefix, viewset in _ordered_viewsets():
        assert StableOrderingFilter in viewset.filter_backends, prefix
        for field in viewset.ordering_fields:
            for key in (field, f"-{field}"):
                request = Request(APIRequestFactory().get(f"/api/v1/{prefix}/", {"ordering": key}))
                view = viewset(action="list", request=request, format_kwarg=None, kwargs={})
                model = viewset.serializer_class.Meta.model
                ordering = (
                    StableOrderingFilter()
                    .filter_queryset(view.request, model.objects.all(), view)
                    .query.order_by
                )
                assert ordering[0] == key, (prefix, ordering)
                assert ordering[-1] in ("pk", "-pk", "id", "-id"), (prefix, key, ordering)
                checked += 1
    assert checked >= 20  # incidents, action items, findings, factors, postmortems, both directions


ORDERED = list(_ordered_viewsets())


@pytest.mark.parametrize(("prefix", "viewset"), ORDERED, ids=[prefix for prefix, _ in ORDERED])
def test_an_unknown_ordering_is_a_400_naming_the_allowed_values(api_for, admin_user, prefix, viewset):
    """DRF drops an unknown `?ordering=` key in silence and sorts by the default: a caller reading
    `?ordering=-severty` believed the list sorted. Every list that sorts answers 400 instead, naming
    what it takes; each allowed key still sorts."""
    IncidentFactory()
    api = api_for(admin_user)
    allowed = ", ".join(f"{f}, -{f}" for f in viewset.ordering_fields)
    for bad in ("bogus", "-bogus", f"{viewset.ordering_fields[0]},bogus", "--id", "password", ","):
        response = api.get(f"/api/v1/{prefix}/", {"ordering": bad})
        assert response.status_code == 400, (prefix, bad, response.content[:200])
        (message,) = response.json()["ordering"]
        assert message.endswith(f"use one of: {allowed}."), message
    for field in viewset.ordering_fields:
        for key in (field, f"-{field}"):
            assert api.get(f"/api/v1/{prefix}/", {"ordering": key}).status_code == 200, (prefix, key)


def test_every_list_that_sorts_is_found():
    assert {prefix for prefix, _ in ORDERED} >= {
        "incidents", "action-items", "policy-findings", "contributing-factors", "postmortems",
    }  # fmt: skip


@pytest.mark.services
def test_incidents_sorted_by_severity_page_without_duplicates_on_postgresql(
    requires_postgres, api_for, admin_user
):
    for i in range(60):
        IncidentFactory(severity=("SEV2", "SEV3")[i % 2])
    _, numbers = _walk(api_for(admin_user), "/api/v1/incidents/?ordering=severity&page_size=7", "number")
    assert len(numbers) == 60
    assert set(numbers) == set(Incident.objects.values_list("number", flat=True))


def test_since_feed_resends_what_a_late_commit_stamped_earlier(api_for, responder, incident):
    client = api_for(responder)
    url = f"/api/v1/timeline-entries/?incident={incident.number}"
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = TimelineEntryFactory(incident=incident, body="first")
        answer = client.get(url, {"since": "2020-01-01T00:00:00Z"}).json()
        assert [e["body"] for e in answer["results"]] == ["first"]
        clock.shift(timedelta(seconds=3))
        # Committed now, but stamped 2 s ago (its transaction started first): after the last poll's rows.
        late = TimelineEntryFactory(incident=incident, body="late")
        TimelineEntry.objects.filter(pk=late.pk).update(updated_at=timezone.now() - timedelta(seconds=2))
        again = client.get(url, {"since": answer["since"]}).json()
        assert "late" in [e["body"] for e in again["results"]]
        assert again["next"].endswith(f"since={again['since']}") or f"since={again['since']}" in again["next"]
        clock.shift(timedelta(seconds=30))
        settled = client.get(url, {"since": again["since"]}).json()
        assert settled["results"] == [] or {e["body"] for e in settled["results"]} <= {"first", "late"}
        assert client.get(url, {"since": settled["since"]}).json()["results"] == []
    assert first.pk < late.pk


@pytest.mark.parametrize("since", ["yesterday", "²⁰²⁶-01-01", "0001-01-01T00:00:00+23:59", "9" * 30 + ".1"])
def test_a_bad_since_is_a_field_error(api_for, responder, incident, since):
    response = api_for(responder).get("/api/v1/timeline-entries/", {"since": since})
    assert response.status_code == 400
    assert "since" in response.json()
