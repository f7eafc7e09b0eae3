"""Edits judged on the merged values of one save, each error on the field the caller sent that causes it,
both times in the caller's zone (issue 16, second outside tester).

Found: PATCH could move the start after a recorded state change (a "Monitoring" row ending up before
"Impact started"); an acknowledgement before a moved start was reported on `detected_at`, a field the
caller got right; a resolution moved before a status change was named in UTC for a Lord Howe user.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from incidents.models import Incident

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _declare(api, **extra) -> Incident:
    created = api.post(
        "/api/v1/incidents/",
        {
            "title": "Checkout errors",
            "severity": "SEV2",
            "started_at": "2026-11-01T10:00:00Z",
            "declared_at": "2026-11-01T10:01:00Z",
            **extra,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    return Incident.objects.get(number=created.json()["number"])


@pytest.fixture
def lord_howe(commander):
    commander.time_zone = "Australia/Lord_Howe"  # UTC+11:00 in November
    commander.save()
    return commander


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("change", ["status", "severity"])
def test_the_start_cannot_move_after_a_recorded_state_change(api_for, client_for, lord_howe, change):
    api = api_for(lord_howe)
    incident = _declare(api, declared_at="2026-11-01T15:00:00Z", started_at="2026-11-01T14:00:00Z")
    base = f"/api/v1/incidents/{incident.number}/"
    if change == "status":
        done = api.post(
            base + "status/", {"status": "identified", "at": "2026-11-01T14:07:00Z"}, format="json"
        )
        row = "Status changed from Investigating to Identified"
    else:
        done = api.post(base + "severity/", {"severity": "SEV1", "at": "2026-11-01T14:07:00Z"}, format="json")
        row = "Severity changed from SEV2 to SEV1"
    assert done.status_code == 200, done.json()
    moved = api.patch(base, {"started_at": "2026-11-01T14:30:00Z"}, format="json")
    assert moved.status_code == 400, moved.json()
    (message,) = moved.json()["started_at"]
    assert "(2026-11-02 01:30 UTC+11:00)" in message, message
    assert f"“{row}” at 2026-11-02 01:07 UTC+11:00" in message, message
    incident.refresh_from_db()
    assert incident.started_at == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
    # The web edit form says the same beside the start.
    page = client_for(lord_howe).post(
        reverse("incidents:edit", args=[incident.number]),
        {
            "title": "Checkout errors",
            "summary": "",
            "customer_impact": "",
            "detection_method": "",
            "visibility": "internal",
            "started_at": "2026-11-02T01:30",
            "detected_at": "",
            "acknowledged_at": "",
            "mitigated_at": "",
            "resolved_at": "",
            "chat_channel_url": "",
            "dashboard_url": "",
            "change_url": "",
            "feature_flag": "",
            "version": incident.version,
        },  # fmt: skip
    )
    assert page.status_code == 200
    assert f"“{row}” at 2026-11-02 01:07" in page.content.decode().replace("&ldquo;", "“").replace(
        "&rdquo;", "”"
    )
    incident.refresh_from_db()
    assert incident.started_at == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("sent", "blamed"),
    [
        ({"started_at": "2026-11-01T10:05:00Z", "detected_at": "2026-11-01T10:06:00Z"}, "started_at"),
        ({"detected_at": "2026-11-01T09:59:00Z", "started_at": "2026-11-01T09:58:00Z"}, None),
    ],
)
def test_an_error_is_on_the_sent_field_that_causes_it(api_for, commander, sent, blamed):
    api = api_for(commander)
    incident = _declare(api, declared_at="2026-11-01T10:20:00Z")
    base = f"/api/v1/incidents/{incident.number}/"
    assert api.patch(base, {"acknowledged_at": "2026-11-01T10:00:30Z"}, format="json").status_code == 200
    response = api.patch(base, sent, format="json")
    if blamed is None:
        assert response.status_code == 200, response.json()
        return
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {blamed}, errors
    assert "The acknowledgement time cannot be before the start time." in errors[blamed][0]


@time_machine.travel(TODAY, tick=False)
def test_a_mitigation_before_a_moved_start_is_on_the_start(api_for, commander):
    api = api_for(commander)
    incident = _declare(api, declared_at="2026-11-01T10:20:00Z")
    base = f"/api/v1/incidents/{incident.number}/"
    assert api.patch(base, {"mitigated_at": "2026-11-01T10:03:00Z"}, format="json").status_code == 200
    response = api.patch(
        base, {"started_at": "2026-11-01T10:05:00Z", "detected_at": "2026-11-01T10:06:00Z"}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"started_at"}, errors
    assert "The mitigation time cannot be before the start time." in errors["started_at"][0]


@time_machine.travel(TODAY, tick=False)
def test_a_resolution_moved_before_a_status_change_is_named_in_the_callers_zone(api_for, lord_howe):
    api = api_for(lord_howe)
    incident = _declare(api)
    base = f"/api/v1/incidents/{incident.number}/"
    ok = api.post(base + "status/", {"status": "monitoring", "at": "2026-11-01T10:59:00Z"}, format="json")
    assert ok.status_code == 200, ok.json()
    assert api.post(base + "resolve/", {"at": "2026-11-01T11:30:00Z"}, format="json").status_code == 200
    response = api.patch(
        base, {"resolved_at": "2026-11-01T10:30:00Z", "mitigated_at": "2026-11-01T10:20:00Z"}, format="json"
    )
    assert response.status_code == 400
    (message,) = response.json()["resolved_at"]
    assert "(2026-11-01 21:30 UTC+11:00)" in message, message
    assert "at 2026-11-01 21:59 UTC+11:00" in message, message
    assert " UTC)" not in message
    assert " UTC," not in message
