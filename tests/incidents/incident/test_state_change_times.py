"""One rule for the time of every state change, one for the declaration, and what a reopen clears (issue 16,
outside tester).

Found: status changes could be dated before the declaration while severity changes could not; a
declaration dated before the start of impact was accepted; a start at (or after) the declaration had no
"Impact started" row; a reopened incident kept its old mitigation time.

The rules now:
- every state change (status, resolve, reopen, severity) is at or after the start of impact and at or
  after the latest recorded change of the same state; the declaration is no bound for any of them (a
  backfilled incident records its changes at their real times, before its declaration row);
- a declaration is never before the start of impact (declaring, and moving the start later);
- every incident has its "Impact started" row, and its "Detected" row when it has a detection time;
- a reopen clears the resolution and the mitigation: the old values stay in the history and their rows.
Checked through the API, in Chatham (UTC+13:45) and Pago Pago (UTC-11:00), for each of the four changes.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from incidents.incident.services.declare import incident_declare
from incidents.incident.services.lifecycle import incident_resolve
from incidents.models import Incident

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
START = "2026-11-01T10:00:00Z"
DECLARED = "2026-11-01T12:00:00Z"


def _declare(api, **extra) -> Incident:
    created = api.post(
        "/api/v1/incidents/",
        {
            "title": "Checkout errors",
            "severity": "SEV2",
            "started_at": START,
            "declared_at": DECLARED,
            **extra,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    return Incident.objects.get(number=created.json()["number"])


def _change(api, incident: Incident, change: str, at: str):
    base = f"/api/v1/incidents/{incident.number}/"
    if change == "status":
        return api.post(base + "status/", {"status": "identified", "at": at}, format="json")
    if change == "severity":
        return api.post(base + "severity/", {"severity": "SEV1", "at": at}, format="json")
    if change == "resolve":
        return api.post(base + "resolve/", {"at": at}, format="json")
    assert change == "reopen"
    resolved = api.post(base + "resolve/", {"at": "2026-11-01T10:30:00Z"}, format="json")
    assert resolved.status_code == 200, resolved.json()
    return api.post(base + "reopen/", {"reason": "errors again", "at": at}, format="json")


CHANGES = ("status", "severity", "resolve", "reopen")


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("change", CHANGES)
def test_every_state_change_may_be_dated_before_the_declaration(api_for, commander, change):
    api = api_for(commander)
    incident = _declare(api)
    response = _change(api, incident, change, "2026-11-01T11:00:00Z")  # after the start, before declaring
    assert response.status_code == 200, response.json()


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize(
    ("zone", "shown"), [("Pacific/Chatham", "2026-11-01 23:15"), ("Pacific/Pago_Pago", "2026-10-31 22:30")]
)
def test_every_state_change_before_the_start_is_refused_the_same_way(api_for, commander, change, zone, shown):
    commander.time_zone = zone
    commander.save()
    api = api_for(commander)
    incident = _declare(api)
    response = _change(api, incident, change, "2026-11-01T09:30:00Z")
    assert response.status_code == 400
    (message,) = response.json()["at"]
    assert f"({shown} " in message, message  # the refused time, in the caller's zone
    assert "cannot be before the start time" in message


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("change", CHANGES)
def test_every_state_change_before_the_latest_change_of_its_state_is_refused(api_for, commander, change):
    api = api_for(commander)
    incident = _declare(api)
    base = f"/api/v1/incidents/{incident.number}/"
    if change == "severity":
        first = api.post(
            base + "severity/", {"severity": "SEV3", "at": "2026-11-01T11:00:00Z"}, format="json"
        )
    else:
        first = api.post(
            base + "status/", {"status": "monitoring", "at": "2026-11-01T11:00:00Z"}, format="json"
        )
    assert first.status_code == 200, first.json()
    if change == "reopen":
        assert api.post(base + "resolve/", {"at": "2026-11-01T11:30:00Z"}, format="json").status_code == 200
        response = api.post(
            base + "reopen/", {"reason": "again", "at": "2026-11-01T11:10:00Z"}, format="json"
        )
    else:
        response = _change(api, incident, change, "2026-11-01T10:50:00Z")
    assert response.status_code == 400, response.json()
    (message,) = response.json()["at"]
    assert "which is already recorded; record changes in the order they happened" in message


@time_machine.travel(TODAY, tick=False)
def test_a_declaration_before_the_start_of_impact_is_refused(api_for, client_for, commander):
    commander.time_zone = "Asia/Kathmandu"
    commander.save()
    api = api_for(commander)
    refused = api.post(
        "/api/v1/incidents/",
        {"title": "Early", "severity": "SEV2", "started_at": START, "declared_at": "2026-11-01T09:59:00Z"},
        format="json",
    )
    assert refused.status_code == 400
    (message,) = refused.json()["declared_at"]
    assert "The declaration (2026-11-01 15:44 UTC+05:45) cannot be before the start of impact" in message
    page = client_for(commander).post(
        reverse("incidents:declare"),
        {
            "title": "Early",
            "severity": "SEV2",
            "started_at": "2026-11-01T15:45",
            "declared_at": "2026-11-01T15:44",
        },
    )
    assert page.status_code == 200
    assert "cannot be before the start of impact" in page.content.decode()
    assert not Incident.objects.filter(title="Early").exists()
    # Moving the start past the declaration is the same rule.
    incident = _declare(api)
    moved = api.patch(
        f"/api/v1/incidents/{incident.number}/", {"started_at": "2026-11-01T12:30:00Z"}, format="json"
    )
    assert moved.status_code == 400
    assert "cannot be before the start of impact" in " ".join(moved.json()["started_at"])


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("declared_at", [START, DECLARED, None])
def test_start_and_detection_always_get_their_rows(commander, declared_at):
    start = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    incident = incident_declare(
        actor=commander,
        title="Slow",
        severity="SEV3",
        started_at=start,
        detected_at=start,
        declared_at=datetime.fromisoformat(declared_at) if declared_at else None,
    )
    rows = {e.body: e.occurred_at for e in incident.timeline_entries.all()}
    assert rows["Impact started"] == start
    assert rows["Detected"] == start


@time_machine.travel(TODAY, tick=False)
def test_reopening_clears_the_mitigation_and_keeps_it_in_history(api_for, commander):
    api = api_for(commander)
    incident = _declare(api)
    base = f"/api/v1/incidents/{incident.number}/"
    assert (
        api.post(
            base + "status/", {"status": "monitoring", "at": "2026-11-01T10:20:00Z"}, format="json"
        ).status_code
        == 200
    )
    assert api.post(base + "resolve/", {"at": "2026-11-01T10:40:00Z"}, format="json").status_code == 200
    reopened = api.post(
        base + "reopen/", {"reason": "errors again", "at": "2026-11-01T11:00:00Z"}, format="json"
    )
    assert reopened.status_code == 200, reopened.json()
    body = reopened.json()
    assert body["mitigated_at"] is None
    assert body["resolved_at"] is None
    assert body["time_to_mitigate"] is None
    incident.refresh_from_db()
    assert incident.history.filter(mitigated_at=datetime(2026, 11, 1, 10, 20, tzinfo=UTC)).exists()
    assert incident.timeline_entries.filter(
        body__startswith="Mitigated: automatic"
    ).exists()  # the row of what happened stays
    # Mitigated and resolved again: the figures measure the final mitigation.
    incident_resolve(incident=incident, actor=commander, at=datetime(2026, 11, 1, 11, 30, tzinfo=UTC))
    incident.refresh_from_db()
    assert incident.time_to_mitigate == 90 * 60


@time_machine.travel(datetime(2026, 12, 3, 19, 36, tzinfo=UTC), tick=False)
def test_a_declaration_without_a_start_starts_at_the_declaration(api_for, client_for, commander):
    commander.time_zone = "Asia/Kolkata"
    commander.save()
    created = api_for(commander).post(
        "/api/v1/incidents/",
        {"title": "Backfilled", "severity": "SEV2", "declared_at": "2021-06-18T04:00:00+05:30"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    declared = datetime(2021, 6, 17, 22, 30, tzinfo=UTC)
    incident = Incident.objects.get(number=created.json()["number"])
    assert incident.started_at == declared
    page = client_for(commander).post(
        reverse("incidents:declare"),
        {"title": "From the form", "severity": "SEV2", "started_at": "", "declared_at": "2021-06-18T04:00"},
    )
    assert page.status_code == 302, page.content.decode()
    incident = Incident.objects.get(title="From the form")
    assert incident.started_at == declared
    rows = [
        (e.occurred_at, e.body) for e in incident.timeline_entries.visible().order_by("occurred_at", "id")
    ]
    assert rows[0] == (declared, "Impact started")
    assert rows[1][0] == declared
    assert rows[1][1].startswith("Incident declared")
