"""Action items and policy findings over the API: the follow-up services' rules, conflicts as 409/412."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from incidents.models import ActionItem, FindingStatus
from tests.factories import ActionItemFactory, PolicyFindingFactory

pytestmark = pytest.mark.django_db


def test_responder_creates_an_action_item_on_an_incident(api_for, responder, incident):
    response = api_for(responder).post(
        "/api/v1/action-items/",
        {
            "title": "Alert on empty backups",
            "incident": incident.number,
            "owner": responder.pk,
            "priority": "P1",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["incident"] == incident.number
    assert body["owner"]["id"] == responder.pk
    assert body["due_date"]  # the priority's target, filled in by the service
    assert ActionItem.objects.get(pk=body["id"]).created_by == responder


def test_action_item_on_an_invisible_incident_is_a_field_error(api_for, outsider, incident):
    response = api_for(outsider).post(
        "/api/v1/action-items/", {"title": "x", "incident": incident.number}, format="json"
    )
    assert response.status_code in (400, 403)
    assert ActionItem.objects.count() == 0


def test_done_needs_a_completion_note(api_for, responder, incident):
    item = ActionItemFactory(incident=incident, owner=responder)
    client = api_for(responder)
    refused = client.post(f"/api/v1/action-items/{item.pk}/status/", {"status": "done"}, format="json")
    assert refused.status_code == 400
    assert "note" in refused.json() or "status" in refused.json()
    done = client.post(
        f"/api/v1/action-items/{item.pk}/status/", {"status": "done", "note": "Alert live"}, format="json"
    )
    assert done.status_code == 200
    assert done.json()["status"] == "done"


def test_stale_action_item_version_is_409_and_stale_if_match_is_412(api_for, responder, admin_user, incident):
    item = ActionItemFactory(incident=incident, owner=responder)
    mine, theirs = api_for(responder), api_for(admin_user)
    url = f"/api/v1/action-items/{item.pk}/"
    read = mine.get(url)
    etag, version = read.headers["ETag"], read.json()["version"]
    assert theirs.patch(url, {"title": "Changed by admin"}, format="json").status_code == 200

    stale_version = mine.patch(url, {"title": "Mine", "version": version}, format="json")
    stale_etag = mine.patch(url, {"title": "Mine"}, format="json", HTTP_IF_MATCH=etag)

    assert stale_version.status_code == 409
    assert stale_version.json()["current"]["title"] == "Changed by admin"
    assert stale_etag.status_code == 412
    assert stale_etag.json()["current"]["title"] == "Changed by admin"
    item.refresh_from_db()
    assert item.title == "Changed by admin"


def test_finding_is_verified_by_someone_other_than_its_owner(api_for, responder, admin_user):
    finding = PolicyFindingFactory(
        owner=responder, status=FindingStatus.REMEDIATED, evidence="Two-person rule on"
    )
    by_owner = api_for(responder).post(
        f"/api/v1/policy-findings/{finding.pk}/verify/", {"evidence": "I checked"}, format="json"
    )
    assert by_owner.status_code in (400, 403)
    finding.refresh_from_db()
    assert finding.status == FindingStatus.REMEDIATED

    by_admin = api_for(admin_user).post(
        f"/api/v1/policy-findings/{finding.pk}/verify/", {"evidence": "Tried it: refused"}, format="json"
    )
    assert by_admin.status_code == 200, by_admin.content
    assert by_admin.json()["status"] == "verified"
    assert by_admin.json()["verified_by"]["id"] == admin_user.pk


def test_accepting_risk_needs_a_reason(api_for, admin_user, responder):
    # The date is within the 365-day limit, so the missing reason is the only thing wrong.
    finding = PolicyFindingFactory(owner=responder)
    until = (timezone.now() + dt.timedelta(days=30)).date().isoformat()
    client = api_for(admin_user)
    url = f"/api/v1/policy-findings/{finding.pk}/accept-risk/"

    refused = client.post(url, {"until": until, "reason": "  "}, format="json")

    assert refused.status_code == 400
    assert set(refused.json()) == {"reason"}, refused.json()
    finding.refresh_from_db()
    assert finding.status == FindingStatus.OPEN

    accepted = client.post(url, {"until": until, "reason": "Compensating control in place"}, format="json")
    assert accepted.status_code == 200, accepted.content
    finding.refresh_from_db()
    assert (finding.status, finding.risk_accepted_until.isoformat()) == (FindingStatus.RISK_ACCEPTED, until)
