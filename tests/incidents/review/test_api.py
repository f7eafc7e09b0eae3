"""Contributing factors and the postmortem over the API, through the review services."""

from __future__ import annotations

import pytest

from incidents.models import ContributingFactor, PostmortemStatus
from tests.factories import TimelineEntryFactory

pytestmark = pytest.mark.django_db


def test_postmortem_from_start_to_published(api_for, commander, responder, incident):
    cmd, rev = api_for(commander), api_for(responder)
    started = cmd.post(f"/api/v1/incidents/{incident.number}/postmortem/", {}, format="json")
    assert started.status_code == 200, started.content
    pm = started.json()
    url = f"/api/v1/postmortems/{pm['id']}/"

    saved = cmd.patch(
        url,
        {"sections": {"summary": "The primary's data directory was removed."}, "version": pm["version"]},
        format="json",
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["sections_html"]["summary"].startswith("<p>")
    stale = cmd.patch(url, {"sections": {"summary": "Older text"}, "version": pm["version"]}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current"]["sections"]["summary"] == "The primary's data directory was removed."

    asked = cmd.post(f"{url}request-review/", {"reviewers": [responder.pk]}, format="json")
    assert asked.status_code == 200, asked.content
    assert asked.json()["postmortem"]["status"] == PostmortemStatus.IN_REVIEW
    version = asked.json()["postmortem"]["version"]
    approved = rev.post(f"{url}approve/", {"version": version}, format="json")
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == PostmortemStatus.APPROVED

    assert rev.post(f"{url}publish/", {}, format="json").status_code in (400, 403)
    published = cmd.post(f"{url}publish/", {}, format="json")
    assert published.status_code == 200, published.content
    assert published.json()["status"] == PostmortemStatus.PUBLISHED
    read = api_for(responder).get(f"/api/v1/incidents/{incident.number}/postmortem/")
    assert read.json()["status"] == "published"
    frozen = cmd.patch(
        url, {"sections": {"summary": "x"}, "version": published.json()["version"]}, format="json"
    )
    assert frozen.status_code == 403  # a published postmortem is frozen


def test_save_without_version_or_if_match_is_refused(api_for, commander, incident):
    client = api_for(commander)
    pm = client.post(f"/api/v1/incidents/{incident.number}/postmortem/", {}, format="json").json()
    response = client.patch(f"/api/v1/postmortems/{pm['id']}/", {"sections": {"summary": "x"}}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()


def test_postmortem_stale_if_match_is_412(api_for, commander, admin_user, incident):
    mine, theirs = api_for(commander), api_for(admin_user)
    pm = mine.post(f"/api/v1/incidents/{incident.number}/postmortem/", {}, format="json").json()
    url = f"/api/v1/postmortems/{pm['id']}/"
    etag = mine.get(url).headers["ETag"]
    assert (
        theirs.patch(
            url, {"sections": {"impact": "Admin text"}, "version": pm["version"]}, format="json"
        ).status_code
        == 200
    )
    response = mine.patch(url, {"sections": {"impact": "Mine"}}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert response.json()["current"]["sections"]["impact"] == "Admin text"


def test_factor_is_recorded_with_evidence_and_rejects_foreign_entries(api_for, responder, incident):
    entry = TimelineEntryFactory(incident=incident)
    foreign = TimelineEntryFactory()
    client = api_for(responder)
    bad = client.post(
        "/api/v1/contributing-factors/",
        {
            "incident": incident.number,
            "category": "testing_gap",
            "title": "Restores never tested",
            "evidence_entries": [foreign.pk],
        },
        format="json",
    )
    assert bad.status_code == 400
    assert "evidence_entries" in bad.json()
    good = client.post(
        "/api/v1/contributing-factors/",
        {
            "incident": incident.number,
            "category": "testing_gap",
            "title": "Restores never tested",
            "evidence_entries": [entry.pk],
            "missing_test_types": ["integration", "regression"],
        },
        format="json",
    )
    assert good.status_code == 201, good.content
    assert good.json()["evidence_entries"] == [entry.pk]
    edited = client.patch(
        f"/api/v1/contributing-factors/{good.json()['id']}/",
        {"title": "Backups never restored"},
        format="json",
    )
    assert edited.status_code == 200
    factor = ContributingFactor.objects.get()
    assert factor.title == "Backups never restored"
    assert factor.missing_test_types == ["integration", "regression"]


def test_viewer_cannot_record_a_factor(api_for, viewer, incident):
    response = api_for(viewer).post(
        "/api/v1/contributing-factors/",
        {"incident": incident.number, "category": "process", "title": "x"},
        format="json",
    )
    assert response.status_code == 403
