"""Milestones are facts with their own times: a backfilled incident is recorded as it happened, through
the web forms and the API, and its timeline rows sit at the milestones they describe."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from incidents.models import Incident

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _rows(incident: Incident) -> list[tuple[datetime, str]]:
    return [(e.occurred_at, e.body) for e in incident.timeline_entries.order_by("occurred_at", "id")]


MITIGATED_AT_RESOLUTION = "Mitigated: automatic, the resolution time (no mitigation time was given)"


@time_machine.travel(TODAY, tick=False)
def test_a_backfilled_incident_is_recorded_at_its_real_times_through_the_web_forms(client_for, commander):
    commander.time_zone = "Europe/Berlin"
    commander.save()
    client = client_for(commander)
    response = client.post(
        reverse("incidents:declare"),
        {
            "title": "Checkout errors",
            "severity": "SEV3",
            "started_at": "2026-03-28T23:50",  # CET, the night before summer time
            "declared_at": "2026-03-29T00:20",
            "visibility": "internal",
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get(title="Checkout errors")
    path = lambda name: reverse(f"incidents:{name}", args=[incident.number])  # noqa: E731
    client.post(path("severity"), {"severity": "SEV1", "reason": "all regions", "when": "2026-03-29T00:40"})
    client.post(path("status"), {"status": "identified", "when": "2026-03-29T01:10"})
    client.post(path("status"), {"status": "resolved", "when": "2026-03-29T03:30"})  # CEST after 02:00
    client.post(path("reopen"), {"reason": "errors again", "when": "2026-03-29T04:00"})
    client.post(path("status"), {"status": "resolved", "when": "2026-03-29T05:15"})
    incident.refresh_from_db()
    assert incident.started_at == datetime(2026, 3, 28, 22, 50, tzinfo=UTC)
    assert incident.resolved_at == datetime(2026, 3, 29, 3, 15, tzinfo=UTC)
    assert _rows(incident) == [
        (datetime(2026, 3, 28, 22, 50, tzinfo=UTC), "Impact started"),
        (datetime(2026, 3, 28, 23, 20, tzinfo=UTC), "Incident declared as SEV3: Checkout errors"),
        (datetime(2026, 3, 28, 23, 40, tzinfo=UTC), "Severity changed from SEV3 to SEV1: all regions"),
        (datetime(2026, 3, 29, 0, 10, tzinfo=UTC), "Status changed from Investigating to Identified"),
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "Incident resolved"),
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), MITIGATED_AT_RESOLUTION),
        (datetime(2026, 3, 29, 2, 0, tzinfo=UTC), "Incident reopened: errors again"),
        (datetime(2026, 3, 29, 3, 15, tzinfo=UTC), "Incident resolved (2nd time)"),
        (datetime(2026, 3, 29, 3, 15, tzinfo=UTC), MITIGATED_AT_RESOLUTION.replace(":", " (2nd time):", 1)),
    ]
    # Time to resolve runs from detection, which nobody recorded: the page says so.
    page = client.get(path("detail")).content.decode()
    assert "(no detection time recorded)" in page
    assert "4 h 25 min" in page  # impact: 23:50 CET to 05:15 CEST


@time_machine.travel(TODAY, tick=False)
def test_a_when_in_the_future_or_before_the_resolution_is_refused(client_for, commander):
    client = client_for(commander)
    client.post(reverse("incidents:declare"), {"title": "Slow", "severity": "SEV3", "visibility": "internal"})
    incident = Incident.objects.get(title="Slow")
    response = client.post(
        reverse("incidents:status", args=[incident.number]),
        {"status": "resolved", "when": "2026-12-30T10:00"},
        follow=True,
    )
    assert "in the future" in response.content.decode()
    incident.refresh_from_db()
    assert incident.resolved_at is None


@time_machine.travel(TODAY, tick=False)
def test_the_api_takes_a_when_for_every_state_change(api_for, commander):
    api = api_for(commander)
    created = api.post(
        "/api/v1/incidents/",
        {
            "title": "Queue stalled",
            "severity": "SEV2",
            "started_at": "2026-11-01T10:00:00Z",
            "detected_at": "2026-11-01T10:07:00Z",
            "declared_at": "2026-11-01T10:12:00Z",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    number = created.json()["number"]
    base = f"/api/v1/incidents/{number}/"
    assert (
        api.post(
            base + "severity/", {"severity": "SEV1", "at": "2026-11-01T10:20:00Z"}, format="json"
        ).status_code
        == 200
    )
    assert api.post(base + "resolve/", {"at": "2026-11-01T12:00:00Z"}, format="json").status_code == 200
    assert (
        api.post(
            base + "reopen/", {"reason": "back", "at": "2026-11-01T11:00:00Z"}, format="json"
        ).status_code
        == 400
    )
    assert (
        api.post(
            base + "reopen/", {"reason": "back", "at": "2026-11-01T12:30:00Z"}, format="json"
        ).status_code
        == 200
    )
    body = api.get(base).json()
    assert body["detected_at"] == "2026-11-01T10:07:00Z"
    incident = Incident.objects.get(number=number)
    assert [b for _, b in _rows(incident)] == [
        "Impact started",
        "Detected",
        "Incident declared as SEV2: Queue stalled",
        "Severity changed from SEV2 to SEV1",
        "Incident resolved",
        MITIGATED_AT_RESOLUTION,
        "Incident reopened: back",
    ]
