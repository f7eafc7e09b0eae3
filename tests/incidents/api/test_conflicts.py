"""Conflict-safe writes: ETags, a stale If-Match (412), a stale version (409); timeline inserts never conflict."""

from __future__ import annotations

import pytest

from incidents.models import TimelineEntry

pytestmark = pytest.mark.django_db


def test_detail_carries_an_etag_that_changes_with_the_incident(api_for, commander, incident):
    client = api_for(commander)
    first = client.get(f"/api/v1/incidents/{incident.number}/")
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert client.get(f"/api/v1/incidents/{incident.number}/").headers["ETag"] == etag
    client.patch(f"/api/v1/incidents/{incident.number}/", {"title": "Payments down"}, format="json")
    assert client.get(f"/api/v1/incidents/{incident.number}/").headers["ETag"] != etag


def test_unchanged_incident_answers_304_to_if_none_match(api_for, viewer, incident):
    client = api_for(viewer)
    etag = client.get(f"/api/v1/incidents/{incident.number}/").headers["ETag"]
    response = client.get(f"/api/v1/incidents/{incident.number}/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304


@pytest.mark.parametrize("method", ["patch", "put"])
def test_stale_if_match_is_refused_with_412_and_the_current_representation(
    method, api_for, commander, admin_user, incident
):
    mine, theirs = api_for(commander), api_for(admin_user)
    url = f"/api/v1/incidents/{incident.number}/"
    etag = mine.get(url).headers["ETag"]
    assert theirs.patch(url, {"title": "Renamed by admin"}, format="json").status_code == 200

    response = getattr(mine, method)(url, {"title": "My title"}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 412
    body = response.json()
    assert body["current"]["title"] == "Renamed by admin"
    assert response.headers["ETag"] != etag
    incident.refresh_from_db()
    assert incident.title == "Renamed by admin"
    # Merging onto the current ETag succeeds.
    retry = getattr(mine, method)(
        url, {"title": "My title"}, format="json", HTTP_IF_MATCH=response.headers["ETag"]
    )
    assert retry.status_code == 200
    assert retry.json()["title"] == "My title"


def test_stale_version_is_refused_with_409_and_the_current_incident(api_for, commander, incident):
    client = api_for(commander)
    url = f"/api/v1/incidents/{incident.number}/"
    version = client.get(url).json()["version"]
    assert client.patch(url, {"summary": "first", "version": version}, format="json").status_code == 200

    response = client.patch(url, {"summary": "second", "version": version}, format="json")

    assert response.status_code == 409
    assert response.json()["current"]["summary"] == "first"
    incident.refresh_from_db()
    assert incident.summary == "first"


def test_timeline_inserts_from_stale_readers_never_conflict(api_for, commander, responder, incident):
    a, b = api_for(commander), api_for(responder)
    etag = a.get(f"/api/v1/incidents/{incident.number}/").headers["ETag"]
    for i, client in enumerate([a, b, a, b]):
        response = client.post(
            "/api/v1/timeline-entries/",
            {"incident": incident.number, "body": f"note {i}"},
            format="json",
            HTTP_IF_MATCH=etag,
        )
        assert response.status_code == 201
    assert TimelineEntry.objects.filter(incident=incident, source="api").count() == 4


def test_service_validation_errors_are_400_keyed_by_field(api_for, commander, incident):
    client = api_for(commander)
    url = f"/api/v1/incidents/{incident.number}/"
    response = client.patch(url, {"detected_at": "2000-01-01T00:00:00Z"}, format="json")
    assert response.status_code == 400
    assert "detected_at" in response.json()
    reopen = client.post(f"{url}reopen/", {"reason": "  "}, format="json")
    assert reopen.status_code == 400
    assert "reason" in reopen.json()
