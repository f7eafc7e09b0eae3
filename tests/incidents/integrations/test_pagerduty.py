"""PagerDuty v3 webhooks: one PagerDuty incident is one group; signed with X-PagerDuty-Signature."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident, IncidentStatus
from tests.incidents.integrations.conftest import post

pytestmark = pytest.mark.django_db
T0 = timezone.now() - timedelta(minutes=30)


def event(kind: str, event_id: str, *, when=None, priority: str = "P1") -> dict:
    when = when or timezone.now() - timedelta(minutes=1)
    return {
        "event": {
            "id": event_id,
            "event_type": kind,
            "resource_type": "incident",
            "occurred_at": when.isoformat(),
            "agent": {
                "html_url": "https://acme.pagerduty.com/users/PLH1HKV",
                "id": "PLH1HKV",
                "self": "https://api.pagerduty.com/users/PLH1HKV",
                "summary": "Tenex Engineer",
                "type": "user_reference",
            },  # fmt: skip
            "client": None,
            "data": {
                "id": "PGR0VU2",
                "type": "incident",
                "self": "https://api.pagerduty.com/incidents/PGR0VU2",
                "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2",
                "number": 2,
                "status": "triggered",
                "incident_key": "d3640fbd41094207a1c11e58e46b1662",
                "created_at": T0.isoformat(),
                "title": "A little bump in the road",
                "service": {
                    "html_url": "https://acme.pagerduty.com/services/PF9KMXH",
                    "id": "PF9KMXH",
                    "summary": "API Service",
                    "type": "service_reference",
                },  # fmt: skip
                "assignees": [],
                "escalation_policy": None,
                "teams": [],
                "priority": {"id": "PSO75BM", "summary": priority, "type": "priority_reference"},
                "urgency": "high",
                "conference_bridge": None,
                "resolve_reason": None,
            },
        }
    }


def signed(secret: str, payload: dict) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"HTTP_X_PAGERDUTY_SIGNATURE": f"v1=deadbeef,v1={digest}"}


def test_triggered_acknowledged_resolved_follow_one_pagerduty_incident(integration_for):
    _, client = integration_for("pagerduty", signing_secret="pd-secret")
    for kind, eid in [
        ("incident.triggered", "E1"),
        ("incident.acknowledged", "E2"),
        ("incident.resolved", "E3"),
    ]:
        raw, headers = signed("pd-secret", event(kind, eid))
        response = post(client, raw, **headers)
        assert response.status_code in {200, 201}, response.content
        # PagerDuty retries a delivery it thinks failed: the same event changes nothing.
        assert post(client, raw, **headers).json()["entries"] == 0
    incident = Incident.objects.get()
    assert incident.title == "A little bump in the road (API Service)"
    assert incident.severity == "SEV1"
    assert incident.status == IncidentStatus.MONITORING
    bodies = list(incident.timeline_entries.filter(kind="alert").values_list("body", flat=True))
    assert len(bodies) == 3
    assert any("acknowledged by Tenex Engineer" in b for b in bodies)
    assert any("[source](https://acme.pagerduty.com/incidents/PGR0VU2)" in b for b in bodies)


def test_an_unsigned_or_wrongly_signed_pagerduty_event_is_refused(integration_for):
    _, client = integration_for("pagerduty", signing_secret="pd-secret")
    raw, _ = signed("pd-secret", event("incident.triggered", "E1"))
    assert post(client, raw).status_code == 403
    raw, headers = signed("another", event("incident.triggered", "E1"))
    assert post(client, raw, **headers).status_code == 403
    assert Incident.objects.count() == 0


def test_events_about_other_resources_change_nothing(integration_for):
    _, client = integration_for("pagerduty")
    payload = event("service.updated", "E9")
    payload["event"]["resource_type"] = "service"
    assert post(client, payload).json()["incident"] is None


def test_a_pagerduty_event_without_its_incident_gets_field_messages(integration_for):
    _, client = integration_for("pagerduty")
    payload = event("incident.triggered", "E1")
    payload["event"]["data"] = {"title": "no id"}
    response = post(client, payload)
    assert response.status_code == 400
    assert "id" in response.json()["event"]["data"]
    response = post(client, {"event": {"event_type": "incident.triggered"}})
    assert response.status_code == 400
    assert "occurred_at" in response.json()["event"]


def test_a_pagerduty_note_as_pagerduty_sends_it_becomes_an_entry(integration_for):
    """incident.annotated carries the note (type incident_note); its incident is data.incident."""
    _, client = integration_for("pagerduty")
    assert post(client, event("incident.triggered", "E1")).status_code == 201
    note = event("incident.annotated", "E5")
    note["event"]["data"] = {
        "incident": {
            "html_url": "https://acme.pagerduty.com/incidents/PGR0VU2",
            "id": "PGR0VU2",
            "self": "https://api.pagerduty.com/incidents/PGR0VU2",
            "summary": "A little bump in the road",
            "type": "incident_reference",
        },
        "id": "P8SNOTE",
        "content": "Rolled back the 14:02 deploy.",
        "trigger_log_entry_id": None,
        "type": "incident_note",
    }
    response = post(client, note)
    assert response.status_code == 200, response.content
    assert response.json()["entries"] == 1
    assert post(client, note).json()["entries"] == 0
    bodies = list(Incident.objects.get().timeline_entries.filter(kind="alert").values_list("body", flat=True))
    assert any("note by Tenex Engineer: Rolled back the 14:02 deploy." in b for b in bodies)


def test_a_pagerduty_note_without_its_incident_gets_a_field_message(integration_for):
    _, client = integration_for("pagerduty")
    note = event("incident.annotated", "E5")
    note["event"]["data"] = {"id": "P8SNOTE", "type": "incident_note", "content": "x"}
    response = post(client, note)
    assert response.status_code == 400
    assert "incident" in response.json()["event"]["data"]
