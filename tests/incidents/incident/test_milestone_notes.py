"""Milestones out of the usual order are accepted by a written rule, never silently: an incident may be
mitigated or over before anyone detected it (found later, in logs or an audit). The save says so, the API
returns it (`milestone_notes`) and the page states it beside the figure (issue 16 outsider)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from incidents.models import Incident

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
DETECTED_LATE = "Detected after it was resolved: the impact ended before anyone noticed"


def _declare(api, **times):
    created = api.post(
        "/api/v1/incidents/",
        {
            "title": "Backups silently failing",
            "severity": "SEV2",
            "started_at": "2026-11-01T10:00:00Z",
            **times,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    return created.json()


@time_machine.travel(TODAY, tick=False)
def test_a_detection_after_the_resolution_is_accepted_and_said_by_the_api_the_form_and_the_page(
    client_for, api_for, commander
):
    api = api_for(commander)
    number = _declare(api, declared_at="2026-11-01T10:05:00Z")["number"]
    resolved = api.post(f"/api/v1/incidents/{number}/resolve/", {"at": "2026-11-01T12:00:00Z"}, format="json")
    assert resolved.status_code == 200
    assert resolved.json()["milestone_notes"] == []
    patched = api.patch(
        f"/api/v1/incidents/{number}/", {"detected_at": "2026-11-03T08:00:00Z"}, format="json"
    )
    assert patched.status_code == 200, patched.json()
    body = patched.json()
    assert body["time_to_resolve"] == 0
    assert [n[: len(DETECTED_LATE)] for n in body["milestone_notes"]] == [DETECTED_LATE]

    incident = Incident.objects.get(number=number)
    client = client_for(commander)
    response = client.post(
        reverse("incidents:edit", args=[number]),
        {
            "title": incident.title,
            "summary": "",
            "customer_impact": "",
            "detection_method": "",
            "visibility": "internal",
            "started_at": "2026-11-01T10:00",
            "detected_at": "2026-11-03T09:00",
            "acknowledged_at": "",
            "mitigated_at": "2026-11-01T12:00",
            "resolved_at": "2026-11-01T12:00",
            "chat_channel_url": "",
            "dashboard_url": "",
            "change_url": "",
            "feature_flag": "",
            "version": incident.version,
        },  # fmt: skip
    )
    assert response.status_code == 302, response.content.decode()
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == [f"Incident saved. {Incident.objects.get(number=number).milestone_notes[0]}"]
    assert DETECTED_LATE in said[0]
    page = client.get(reverse("incidents:detail", args=[number])).content.decode()
    assert "(resolved before detection)" in page


@time_machine.travel(TODAY, tick=False)
def test_resolving_before_the_recorded_detection_says_so_on_the_resolve(client_for, api_for, commander):
    number = _declare(
        api_for(commander), detected_at="2026-11-01T13:00:00Z", declared_at="2026-11-01T13:05:00Z"
    )["number"]
    response = client_for(commander).post(
        reverse("incidents:status", args=[number]), {"status": "resolved", "when": "2026-11-01 12:30"}
    )
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(said) == 1, said
    assert said[0].startswith("Status changed. " + DETECTED_LATE), said


@time_machine.travel(TODAY, tick=False)
def test_a_mitigation_before_detection_is_accepted_and_named_beside_time_to_mitigate(
    client_for, api_for, commander
):
    api = api_for(commander)
    number = _declare(api, detected_at="2026-11-01T11:00:00Z", declared_at="2026-11-01T11:05:00Z")["number"]
    patched = api.patch(
        f"/api/v1/incidents/{number}/", {"mitigated_at": "2026-11-01T10:30:00Z"}, format="json"
    )
    assert patched.status_code == 200, patched.json()
    body = api.get(f"/api/v1/incidents/{number}/").json()
    assert body["milestone_notes"] == [
        "Mitigated before it was detected: time to mitigate runs from the start, as always."
    ]
    page = client_for(commander).get(reverse("incidents:detail", args=[number])).content.decode()
    assert "(mitigated before detection)" in page
