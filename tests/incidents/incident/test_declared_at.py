"""The declaration time is a milestone on every surface (issue 16 outsider): the incident page shows the
"Incident declared" row at its time, and the API (detail and list) and the JSON export give the same
instant as `declared_at`, in UTC with `Z`, also for an incident backfilled long after it happened."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from incidents.models import Incident
from incidents.review.services.postmortems import postmortem_start
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db
TODAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@time_machine.travel(TODAY, tick=False)
def test_the_api_and_the_json_export_give_the_declaration_time_the_timeline_shows(
    api_for, client_for, commander
):
    api = api_for(commander)
    created = api.post(
        "/api/v1/incidents/",
        {
            "title": "Queue stalled",
            "severity": "SEV2",
            "started_at": "2026-11-01T10:00:00Z",
            "detected_at": "2026-11-01T11:07:00+01:00",
            "declared_at": "2026-11-01T11:12:00+01:00",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["declared_at"] == "2026-11-01T10:12:00Z"
    number = created.json()["number"]
    assert api.get(f"/api/v1/incidents/{number}/").json()["declared_at"] == "2026-11-01T10:12:00Z"
    listed = {i["number"]: i for i in api.get("/api/v1/incidents/").json()["results"]}
    assert listed[number]["declared_at"] == "2026-11-01T10:12:00Z"
    incident = Incident.objects.get(number=number)
    row = incident.timeline_entries.get(body__startswith="Incident declared")
    assert row.occurred_at == datetime(2026, 11, 1, 10, 12, tzinfo=UTC)
    postmortem_start(incident=incident, actor=commander)
    response = client_for(commander).get(reverse("incidents:postmortem_export_json", args=[number]))
    milestones = json.loads(b"".join(response.streaming_content))["incident"]["milestones"]
    assert milestones["declared_at"] == "2026-11-01T10:12:00Z"
    assert milestones["started_at"] == "2026-11-01T10:00:00Z"


def test_an_incident_stored_without_a_declaration_says_null_not_a_made_up_time(api_for, commander):
    incident = IncidentFactory(commander=commander)
    body = api_for(commander).get(f"/api/v1/incidents/{incident.number}/").json()
    assert body["declared_at"] is None


def test_the_schema_describes_declared_at_as_a_nullable_read_only_date_time(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    field = schema["components"]["schemas"]["Incident"]["properties"]["declared_at"]
    assert (field["type"], field["format"], field["readOnly"], field.get("nullable")) == (
        "string", "date-time", True, True,
    )  # fmt: skip
