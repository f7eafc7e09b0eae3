"""State changes recorded after the fact are checked against what is already recorded: a backfilled
resolution, status change or severity change out of order is refused with a message saying why, and
resolving twice is an error that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from incidents.incident.services.lifecycle import incident_change_status
from incidents.models import Incident

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
START = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def _declare(api) -> int:
    created = api.post(
        "/api/v1/incidents/",
        {"title": "Queue stalled", "severity": "SEV2", "started_at": "2026-11-01T10:00:00Z"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    return created.json()["number"]


@time_machine.travel(TODAY, tick=False)
def test_a_backfilled_resolution_before_a_later_status_change_is_refused(api_for, commander):
    api = api_for(commander)
    number = _declare(api)
    base = f"/api/v1/incidents/{number}/"
    assert (
        api.post(
            base + "status/", {"status": "monitoring", "at": "2026-11-01T12:00:00Z"}, format="json"
        ).status_code
        == 200
    )
    response = api.post(base + "resolve/", {"at": "2026-11-01T11:00:00Z"}, format="json")
    assert response.status_code == 400
    message = " ".join(response.json()["at"])
    assert "Status changed from Investigating to Monitoring" in message
    assert "already recorded" in message
    incident = Incident.objects.get(number=number)
    assert incident.status == "monitoring"
    assert incident.resolved_at is None
    assert not incident.timeline_entries.filter(body__startswith="Incident resolved").exists()
    # After the last change it is taken.
    assert api.post(base + "resolve/", {"at": "2026-11-01T12:30:00Z"}, format="json").status_code == 200


@time_machine.travel(TODAY, tick=False)
def test_a_backfilled_resolution_before_a_recorded_mitigation_is_refused_on_at(api_for, commander):
    api = api_for(commander)
    number = _declare(api)
    base = f"/api/v1/incidents/{number}/"
    patched = api.patch(base, {"mitigated_at": "2026-11-01T13:00:00Z"}, format="json")
    assert patched.status_code == 200, patched.json()
    response = api.post(base + "resolve/", {"at": "2026-11-01T12:00:00Z"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"at"}  # the one field the caller sent
    assert "Mitigation cannot be after resolution" in " ".join(response.json()["at"])
    assert Incident.objects.get(number=number).resolved_at is None


@time_machine.travel(TODAY, tick=False)
def test_resolving_an_already_resolved_incident_is_an_error_and_changes_nothing(
    client_for, api_for, commander
):
    api = api_for(commander)
    number = _declare(api)
    base = f"/api/v1/incidents/{number}/"
    assert api.post(base + "resolve/", {"at": "2026-11-01T12:00:00Z"}, format="json").status_code == 200
    incident = Incident.objects.get(number=number)
    version, rows = incident.version, incident.timeline_entries.count()

    again = api.post(base + "resolve/", {}, format="json")
    assert again.status_code == 400
    assert "already resolved" in " ".join(again.json()["status"])

    page = client_for(commander).post(
        reverse("incidents:status", args=[number]), {"status": "resolved", "when": ""}, follow=True
    )
    text = page.content.decode()
    assert "already resolved" in text
    assert "Status changed." not in text
    incident.refresh_from_db()
    assert incident.resolved_at == datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    assert (incident.version, incident.timeline_entries.count()) == (version, rows)


@time_machine.travel(TODAY, tick=False)
def test_a_status_or_severity_change_before_the_start_is_refused(api_for, commander):
    api = api_for(commander)
    number = _declare(api)
    base = f"/api/v1/incidents/{number}/"
    early = (START - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    for path, body in (("status/", {"status": "identified"}), ("severity/", {"severity": "SEV1"})):
        response = api.post(base + path, {**body, "at": early}, format="json")
        assert response.status_code == 400, path
        assert "before the start time" in " ".join(response.json()["at"])
    incident = Incident.objects.get(number=number)
    assert (incident.status, incident.severity) == ("investigating", "SEV2")


def test_a_status_change_before_the_previous_one_is_refused(commander, incident):
    incident.started_at = TODAY - timedelta(days=1)
    incident.save()
    incident_change_status(
        incident=incident, actor=commander, status="identified", at=incident.started_at + timedelta(hours=2)
    )
    with pytest.raises(ValidationError) as exc:
        incident_change_status(
            incident=incident,
            actor=commander,
            status="monitoring",
            at=incident.started_at + timedelta(hours=1),
        )
    assert "Status changed from Investigating to Identified" in exc.value.message_dict["at"][0]


@time_machine.travel(TODAY, tick=False)
def test_resolving_twice_names_the_resolution_in_the_users_zone(api_for, commander):
    commander.time_zone = "Australia/Adelaide"  # UTC+10:30 in November
    commander.save()
    api = api_for(commander)
    number = _declare(api)
    base = f"/api/v1/incidents/{number}/"
    assert api.post(base + "resolve/", {"at": "2026-11-01T12:00:00Z"}, format="json").status_code == 200
    again = api.post(base + "resolve/", {}, format="json")
    assert again.status_code == 400
    message = " ".join(again.json()["status"])
    assert "already resolved (at 2026-11-01 22:30 ACDT)" in message, message
