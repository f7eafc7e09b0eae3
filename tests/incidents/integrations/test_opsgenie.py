"""Opsgenie outgoing webhooks: Create declares, Close mitigates, other actions are entries."""

from __future__ import annotations

import time

import pytest

from incidents.models import Incident, IncidentStatus
from tests.incidents.integrations.conftest import post

pytestmark = pytest.mark.django_db
CREATED = int(time.time() * 1000) - 30 * 60 * 1000


def action(name: str, *, updated: int | None = None, note: str = "") -> dict:
    return {
        "action": name,
        "alert": {
            "alertId": "7d2b0e5b-0b9f-4c7e-9d7c-4f8c1a2b3c4d-1577836800000",
            "message": "Checkout error rate above 5%",
            "tags": ["checkout", "prod"],
            "tinyId": "42",
            "entity": "checkout",
            "alias": "checkout-errors",
            "createdAt": CREATED,
            "updatedAt": updated or CREATED,
            "username": "ana@example.com",
            "userId": "u1",
            "description": "See the dashboard.",
            "team": "",
            "responders": [],
            "teams": [],
            "actions": [],
            "details": {"region": "eu-west-1"},
            "priority": "P2",
            "source": "Datadog",
            "note": note,
        },
        "source": {"name": "", "type": "web"},
        "integrationName": "Hindsight",
        "integrationId": "abc",
        "integrationType": "Webhook",
    }


def test_create_note_close_follow_one_opsgenie_alert(integration_for):
    _, client = integration_for("opsgenie")
    assert post(client, action("Create")).status_code == 201
    assert post(client, action("Create")).json()["entries"] == 0
    post(client, action("AddNote", updated=CREATED + 60_000, note="rolled back"))
    post(client, action("AddNote", updated=CREATED + 60_000, note="rolled back"))
    post(client, action("Close", updated=CREATED + 120_000))
    incident = Incident.objects.get()
    assert incident.severity == "SEV2"
    assert incident.status == IncidentStatus.MONITORING
    bodies = list(incident.timeline_entries.filter(kind="alert").values_list("body", flat=True))
    assert len(bodies) == 3
    assert any("AddNote by ana@example.com: rolled back" in b for b in bodies)
    assert "`region=eu-west-1`" in bodies[0]


def test_a_malformed_opsgenie_action_gets_field_messages(integration_for):
    _, client = integration_for("opsgenie")
    bad = action("Create")
    bad["alert"]["createdAt"] = "yesterday"
    response = post(client, bad)
    assert response.status_code == 400
    assert "createdAt" in response.json()["alert"]
    assert "alert" in post(client, {"action": "Create"}).json()


def test_opsgenie_published_units_are_read_createdat_ms_and_updatedat_ns(integration_for):
    """Opsgenie's own sample sends createdAt in milliseconds and updatedAt in nanoseconds."""
    _, client = integration_for("opsgenie")
    payload = action("Create")
    payload["alert"]["updatedAt"] = CREATED * 1_000_000 + 2246
    response = post(client, payload)
    assert response.status_code == 201, response.json()
    incident = Incident.objects.get()
    assert abs(incident.started_at.timestamp() * 1000 - CREATED) < 1000
    close = action("Close")
    close["alert"]["updatedAt"] = (CREATED + 120_000) * 1_000_000
    assert post(client, close).status_code == 200
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.MONITORING


def test_opsgenie_time_in_seconds_is_not_read_as_1970(integration_for):
    _, client = integration_for("opsgenie")
    payload = action("Create")
    payload["alert"]["createdAt"] = CREATED // 1000
    payload["alert"]["updatedAt"] = CREATED // 1000
    assert post(client, payload).status_code == 201
    assert abs(Incident.objects.get().started_at.timestamp() - CREATED / 1000) < 2


@pytest.mark.parametrize("value", [-5, 0, 10**21, "soon"])
def test_opsgenie_bad_time_is_refused_under_the_senders_field(integration_for, value):
    _, client = integration_for("opsgenie")
    payload = action("Create")
    payload["alert"]["createdAt"] = value
    response = post(client, payload)
    assert response.status_code == 400
    assert set(response.json()) == {"alert"}
    assert set(response.json()["alert"]) == {"createdAt"}
    assert not Incident.objects.exists()
