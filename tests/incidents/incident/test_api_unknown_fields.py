"""The API's write endpoints refuse a field they do not know with 400 naming it: a time sent as `when`
(the field is `at`) is never replaced by "now" in silence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from incidents.models import Incident

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@time_machine.travel(TODAY, tick=False)
def test_a_when_key_on_a_state_change_is_refused_naming_it_and_the_field_to_use(api_for, commander):
    api = api_for(commander)
    created = api.post(
        "/api/v1/incidents/",
        {"title": "Queue stalled", "severity": "SEV2", "started_at": "2026-11-01T10:00:00Z"},
        format="json",
    )
    number = created.json()["number"]
    base = f"/api/v1/incidents/{number}/"
    for path, body in (
        ("resolve/", {}),
        ("status/", {"status": "identified"}),
        ("severity/", {"severity": "SEV1"}),
    ):
        response = api.post(base + path, {**body, "when": "2026-11-01T12:00:00Z"}, format="json")
        assert response.status_code == 400, path
        assert response.json() == {"when": ["Unknown field; the time is `at`."]}
    incident = Incident.objects.get(number=number)
    assert (incident.status, incident.severity, incident.resolved_at) == ("investigating", "SEV2", None)
    assert incident.timeline_entries.count() == 2  # "Impact started" and "Incident declared" only

    entry = api.post(
        "/api/v1/timeline-entries/",
        {"incident": number, "body": "Paged", "when": "2026-11-01T10:05:00Z"},
        format="json",
    )
    assert entry.status_code == 400
    assert entry.json() == {"when": ["Unknown field; the time is `occurred_at`."]}
    patched = api.patch(base, {"titel": "typo"}, format="json")
    assert patched.status_code == 400
    assert "titel" in patched.json()


def test_the_schema_says_unknown_fields_are_refused(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    described = {
        name: " ".join(component.get("description", "").split())
        for name, component in schema["components"]["schemas"].items()
    }
    for name in ("StatusChangeRequest", "ResolveRequest", "TimelineEntryCreateRequest"):
        assert "unknown fields (`when`) are refused with 400 naming them" in described[name].lower(), name
    assert "`duplicate_of`" in described["TimelineEntryCreateRequest"]
