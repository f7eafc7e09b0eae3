"""`/api/v1/incidents/N/attachments/`: list and upload attachments, download one; typed in the schema; too
large or a type not taken is 400 naming `file`; a reader may not upload; a hidden incident is 404."""

from __future__ import annotations

import io

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from incidents.incident.services.attachments import attachment_add
from incidents.models import Attachment, Visibility
from tests.factories import IncidentFactory, TimelineEntryFactory

pytestmark = pytest.mark.django_db


def _url(incident):
    return f"/api/v1/incidents/{incident.number}/attachments/"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 200, 10)).save(out, format="PNG")
    return out.getvalue()


def test_uploading_answers_the_attachment_and_lists_and_downloads_it(api_for, responder, incident):
    client = api_for(responder)
    entry = TimelineEntryFactory(incident=incident)
    answer = client.post(
        _url(incident),
        {"file": SimpleUploadedFile("graph.png", _png(), "image/png"), "entry": entry.pk},
        format="multipart",
    )
    assert answer.status_code == 201, answer.json()
    data = answer.json()
    assert data["name"] == "graph.png"
    assert (data["content_type"], data["is_image"], data["width"], data["height"]) == (
        "image/png",
        True,
        30,
        20,
    )
    assert (data["incident"], data["entry"]) == (incident.number, entry.pk)
    assert data["uploaded_by"]["email"] == responder.email
    assert data["uploaded_at"].endswith("Z")
    listed = client.get(_url(incident)).json()
    assert [a["id"] for a in listed["results"]] == [data["id"]]
    download = client.get(data["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(b"".join(download.streaming_content))).size == (30, 20)


def test_a_file_over_the_limit_or_of_a_type_not_taken_is_400_naming_file(
    api_for, responder, incident, settings
):
    settings.ATTACHMENT_MAX_BYTES = 100
    client = api_for(responder)
    big = client.post(_url(incident), {"file": SimpleUploadedFile("a.txt", b"x" * 101)}, format="multipart")
    assert big.status_code == 400
    assert big.json() == {"file": ["The file is larger than 100 bytes, the most an attachment may be."]}
    html = client.post(_url(incident), {"file": SimpleUploadedFile("a.html", b"<b>")}, format="multipart")
    assert html.status_code == 400
    assert "not taken" in html.json()["file"][0]
    missing = client.post(_url(incident), {}, format="json")
    assert missing.status_code == 400
    assert "file" in missing.json()
    unknown = client.post(
        _url(incident), {"file": SimpleUploadedFile("a.txt", b"x"), "when": "now"}, format="multipart"
    )
    assert unknown.status_code == 400
    assert "when" in unknown.json()
    assert not Attachment.objects.exists()


def test_a_reader_may_not_upload_and_a_hidden_incident_is_404(api_for, viewer, outsider, commander, team):
    internal = IncidentFactory(commander=commander)
    internal.teams.add(team)
    refused = api_for(viewer).post(
        _url(internal), {"file": SimpleUploadedFile("a.txt", b"x")}, format="multipart"
    )
    assert refused.status_code == 403
    restricted = IncidentFactory(commander=commander, visibility=Visibility.RESTRICTED)
    restricted.participants.add(commander)
    secret = attachment_add(
        incident=restricted, actor=commander, upload=SimpleUploadedFile("k.txt", b"Zebra key")
    )
    client = api_for(outsider)
    download = f"/api/v1/incidents/{restricted.number}/attachments/{secret.pk}/download/"
    ghost = f"/api/v1/incidents/{restricted.number}/attachments/987654/download/"
    assert client.get(download).status_code == client.get(ghost).status_code == 404
    assert client.get(_url(restricted)).status_code == 404
    assert b"Zebra" not in client.get(download).content


def test_listing_takes_as_many_queries_for_many_attachments_as_for_one(
    api_for, responder, incident, django_assert_max_num_queries
):
    client = api_for(responder)
    attachment_add(incident=incident, actor=responder, upload=SimpleUploadedFile("a.txt", b"x"))
    client.get(_url(incident))
    for i in range(6):
        attachment_add(incident=incident, actor=responder, upload=SimpleUploadedFile(f"{i}.png", _png()))
    with django_assert_max_num_queries(8):
        assert len(client.get(_url(incident)).json()["results"]) == 7


def test_the_schema_types_the_attachment_endpoints(client):
    schema = yaml.safe_load(client.get(reverse("api:schema")).content)
    listed = schema["paths"]["/api/v1/incidents/{number}/attachments/"]
    assert set(listed) >= {"get", "post"}
    assert "multipart/form-data" in listed["post"]["requestBody"]["content"]
    download = schema["paths"]["/api/v1/incidents/{number}/attachments/{attachment_id}/download/"]
    assert download["get"]["responses"]["200"]["content"]
    fields = schema["components"]["schemas"]["Attachment"]["properties"]
    assert {"name", "content_type", "size", "is_image", "download_url", "thumbnail_url", "entry"} <= set(
        fields
    )
