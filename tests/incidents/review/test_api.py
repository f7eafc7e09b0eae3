"""Contributing factors and the postmortem over the API, through the review services."""

from __future__ import annotations

import pytest

from incidents.models import ContributingFactor, PostmortemReview, PostmortemStatus
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

    assert rev.post(f"{url}publish/", {}, format="json").status_code == 403
    published = cmd.post(f"{url}publish/", {}, format="json")
    assert published.status_code == 200, published.content
    assert published.json()["status"] == PostmortemStatus.PUBLISHED
    read = api_for(responder).get(f"/api/v1/incidents/{incident.number}/postmortem/")
    assert read.json()["status"] == "published"
    frozen = cmd.patch(
        url, {"sections": {"summary": "x"}, "version": published.json()["version"]}, format="json"
    )
    assert frozen.status_code == 409  # a published postmortem is frozen: the answer carries it
    assert frozen.json()["current"]["status"] == "published"


def test_save_without_version_or_if_match_is_refused(api_for, commander, incident):
    client = api_for(commander)
    pm = client.post(f"/api/v1/incidents/{incident.number}/postmortem/", {}, format="json").json()
    response = client.patch(f"/api/v1/postmortems/{pm['id']}/", {"sections": {"summary": "x"}}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()


def _request_schema(schema: dict, path: str, method: str) -> tuple[dict, bool]:
    """The JSON body schema of `method path` in the generated OpenAPI document (its component resolved),
    and whether the body is required."""
    body = schema["paths"][path][method]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]], bool(body.get("required"))


@pytest.mark.parametrize("method", ["put", "patch"])
def test_the_schema_and_the_api_agree_that_a_save_requires_sections(
    client, api_for, commander, incident, method
):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    body, required = _request_schema(schema, "/api/v1/postmortems/{id}/", method)
    assert "sections" in body["required"]
    assert required
    api = api_for(commander)
    pm = api.post(f"/api/v1/incidents/{incident.number}/postmortem/", {}, format="json").json()
    send = getattr(api, method)
    refused = send(f"/api/v1/postmortems/{pm['id']}/", {"version": pm["version"]}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()) == ["sections"]
    # Every other field the schema offers may be left out, as it says.
    saved = send(
        f"/api/v1/postmortems/{pm['id']}/",
        {"sections": {"summary": "x"}, "version": pm["version"]},
        format="json",
    )
    assert saved.status_code == 200, saved.content
    assert set(body["properties"]) - set(body["required"]) >= {"version", "note"}


def test_a_save_naming_a_field_it_does_not_take_is_refused_naming_it_and_nothing_changes(
    api_for, commander, incident
):
    client = api_for(commander)
    pm = client.post(f"/api/v1/incidents/{incident.number}/postmortem/", {}, format="json").json()
    for extra in ({"meeting_at": "2019-07-05T10:00:00"}, {"published_at": "2019-07-05T10:00:00Z"}):
        body = {"sections": {"summary": "Changed"}, "version": pm["version"], **extra}
        response = client.patch(f"/api/v1/postmortems/{pm['id']}/", body, format="json")
        assert response.status_code == 400
        assert list(response.json()) == list(extra)
    after = client.get(f"/api/v1/postmortems/{pm['id']}/").json()
    assert (after["version"], after["sections"].get("summary", "")) == (
        pm["version"],
        pm["sections"].get("summary", ""),
    )
    assert after["meeting_at"] is None


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


@pytest.fixture
def in_review(api_for, commander, responder, incident):
    cmd = api_for(commander)
    pm = cmd.post(f"/api/v1/incidents/{incident.number}/postmortem/", {}, format="json").json()
    url = f"/api/v1/postmortems/{pm['id']}/"
    asked = cmd.post(f"{url}request-review/", {"reviewers": [responder.pk]}, format="json")
    assert asked.status_code == 200, asked.content
    return url, asked.json()["postmortem"]["version"]


@pytest.mark.parametrize("action", ["approve", "request-changes"])
def test_a_decision_without_the_version_reviewed_is_refused(api_for, responder, in_review, action):
    url, _ = in_review
    response = api_for(responder).post(f"{url}{action}/", {"comment": "Impact needs numbers."}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()
    assert api_for(responder).get(url).json()["status"] == PostmortemStatus.IN_REVIEW


def test_a_stale_approval_is_409_with_the_current_postmortem(api_for, commander, responder, in_review):
    url, version = in_review
    saved = api_for(commander).patch(
        url, {"sections": {"impact": "Six hours"}, "version": version}, format="json"
    )
    assert saved.status_code == 200, saved.content
    response = api_for(responder).post(f"{url}approve/", {"version": version}, format="json")
    assert response.status_code == 409
    assert response.json()["current"]["version"] == version + 1
    assert response.json()["current"]["status"] == PostmortemStatus.IN_REVIEW


def test_approving_twice_through_the_api_keeps_one_approval(api_for, responder, in_review, incident):
    url, version = in_review
    client = api_for(responder)
    assert client.post(f"{url}approve/", {"version": version}, format="json").status_code == 200
    again = client.post(f"{url}approve/", {"version": version}, format="json")
    assert again.status_code == 200
    assert again.json()["status"] == PostmortemStatus.APPROVED
    review = PostmortemReview.objects.get()
    assert review.history.filter(decision="approved").count() == 1
    assert incident.timeline_entries.filter(body__contains="approved the postmortem").count() == 1
