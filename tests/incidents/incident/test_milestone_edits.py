"""Editing a milestone keeps the timeline in agreement: the milestone's own row moves with it, and the
correction row states both values in each reader's zone with their UTC offsets (stored in UTC)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from incidents.incident.services.declare import incident_declare
from incidents.incident.services.edits import incident_update
from incidents.incident.services.lifecycle import incident_change_status, incident_resolve
from incidents.models import Incident
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _rows(incident: Incident) -> list[tuple[datetime, str]]:
    return [
        (e.occurred_at, e.body) for e in incident.timeline_entries.visible().order_by("occurred_at", "id")
    ]


@time_machine.travel(TODAY, tick=False)
def test_editing_milestones_moves_their_rows_and_states_both_values_in_each_readers_zone(
    client_for, api_for, commander
):
    commander.time_zone = "Europe/Copenhagen"
    commander.save()
    api = api_for(commander)
    created = api.post(
        "/api/v1/incidents/",
        {
            "title": "Queue stalled",
            "severity": "SEV2",
            "started_at": "2026-11-01T10:00:00Z",
            "detected_at": "2026-11-01T10:07:00Z",
            "declared_at": "2026-11-01T10:12:00Z",
        },  # fmt: skip
        format="json",
    )
    number = created.json()["number"]
    assert api.post(f"/api/v1/incidents/{number}/resolve/", {"at": "2026-11-01T12:00:00Z"}).status_code == 200
    incident = Incident.objects.get(number=number)
    client = client_for(commander)
    response = client.post(
        reverse("incidents:edit", args=[number]),
        {
            "title": "Queue stalled",
            "summary": "",
            "customer_impact": "",
            "detection_method": "",
            "visibility": "internal",
            "started_at": "2026-11-01T10:55",  # CET: 09:55 UTC
            "detected_at": "2026-11-01T11:05",
            "acknowledged_at": "",
            "mitigated_at": "2026-11-01T13:00",  # the automatic one the form shows, left as it is
            "resolved_at": "2026-11-01T13:30",
            "chat_channel_url": "",
            "dashboard_url": "",
            "change_url": "",
            "feature_flag": "",
            "version": incident.version,
        },  # fmt: skip
    )
    assert response.status_code == 302, response.content.decode()
    incident.refresh_from_db()
    rows = _rows(incident)
    assert rows[:4] == [
        (datetime(2026, 11, 1, 9, 55, tzinfo=UTC), "Impact started"),
        (datetime(2026, 11, 1, 10, 5, tzinfo=UTC), "Detected"),
        (datetime(2026, 11, 1, 10, 12, tzinfo=UTC), "Incident declared as SEV2: Queue stalled"),
        (datetime(2026, 11, 1, 12, 30, tzinfo=UTC), "Incident resolved"),
    ]
    entry = incident.timeline_entries.get(body__startswith="Milestones edited")
    correction = entry.text_in(ZoneInfo("Europe/Copenhagen"))
    assert "started 2026-11-01 11:00 CET, UTC+01:00 → 2026-11-01 10:55 CET, UTC+01:00" in correction
    assert "resolved 2026-11-01 13:00 CET, UTC+01:00 → 2026-11-01 13:30 CET, UTC+01:00" in correction
    assert (
        "mitigated 2026-11-01 13:00 CET, UTC+01:00 → 2026-11-01 13:30 CET, UTC+01:00 (automatic" in correction
    )
    # A reader in Auckland reads the same row in their own zone, on the page too.
    auckland = entry.text_in(ZoneInfo("Pacific/Auckland"))
    assert "started 2026-11-01 23:00 NZDT, UTC+13:00 → 2026-11-01 22:55 NZDT, UTC+13:00" in auckland
    reader = UserFactory(time_zone="Pacific/Auckland", is_staff=True)
    page = client_for(reader).get(reverse("incidents:detail", args=[number])).content.decode()
    assert "started 2026-11-01 23:00 NZDT, UTC+13:00 → 2026-11-01 22:55 NZDT, UTC+13:00" in page
    assert "CET" not in page


@time_machine.travel(TODAY, tick=False)
def test_a_detection_given_later_gets_its_row_and_a_resolution_cannot_pass_an_earlier_status_change(
    commander, incident
):
    incident.started_at = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    incident.save()
    incident_change_status(
        incident=incident, actor=commander, status="identified", at=datetime(2026, 11, 1, 11, 0, tzinfo=UTC)
    )
    incident_resolve(incident=incident, actor=commander, at=datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
    incident.refresh_from_db()
    incident_update(incident=incident, actor=commander, detected_at=datetime(2026, 11, 1, 10, 20, tzinfo=UTC))
    assert (datetime(2026, 11, 1, 10, 20, tzinfo=UTC), "Detected") in _rows(incident)
    with pytest.raises(ValidationError) as exc:
        incident_update(
            incident=incident, actor=commander, resolved_at=datetime(2026, 11, 1, 10, 30, tzinfo=UTC)
        )
    assert "Status changed from Investigating to Identified" in exc.value.message_dict["resolved_at"][0]
    incident.refresh_from_db()
    assert incident.resolved_at == datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@time_machine.travel(TODAY, tick=False)
def test_a_start_moved_before_the_declaration_gets_its_impact_started_row(commander):
    incident = incident_declare(
        actor=commander, title="Slow", severity="SEV3", started_at=datetime(2026, 11, 1, 10, 0, tzinfo=UTC),
        declared_at=datetime(2026, 11, 1, 10, 0, tzinfo=UTC),
    )  # fmt: skip
    # A start at the declaration has its row too (it had none: outside tester).
    assert [b for _, b in _rows(incident)] == ["Impact started", "Incident declared as SEV3: Slow"]
    incident_update(incident=incident, actor=commander, started_at=datetime(2026, 11, 1, 9, 40, tzinfo=UTC))
    assert _rows(incident)[0] == (datetime(2026, 11, 1, 9, 40, tzinfo=UTC), "Impact started")
    assert [b for _, b in _rows(incident)].count("Impact started") == 1  # moved, not added
