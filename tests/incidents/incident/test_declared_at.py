"""The declaration time is a milestone on every surface (issue 16 outsider): the incident page shows the
"Incident declared" row at its time, and the API (detail and list) and the JSON export give the same
instant as `declared_at`, in UTC with `Z`, also for an incident backfilled long after it happened."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from incidents.models import Incident
from incidents.review.services.postmortems import postmortem_start
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db
TODAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@time_machine.travel(TODAY, tick=False)
def test_the_api_and_the_json_export_give_the_declaration_time_the_timeline_shows(
    api_for, client_for, commander
):
    api = api_for(commander)
    created = api.post(
        "/api/v1/incidents/",
        {
            "title": "Queue stalled",
            "severity": "SEV2",
            "started_at": "2026-11-01T10:00:00Z",
            "detected_at": "2026-11-01T11:07:00+01:00",
            "declared_at": "2026-11-01T11:12:00+01:00",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["declared_at"] == "2026-11-01T10:12:00Z"
    number = created.json()["number"]
    assert api.get(f"/api/v1/incidents/{number}/").json()["declared_at"] == "2026-11-01T10:12:00Z"
    listed = {i["number"]: i for i in api.get("/api/v1/incidents/").json()["results"]}
    assert listed[number]["declared_at"] == "2026-11-01T10:12:00Z"
    incident = Incident.objects.get(number=number)
    row = incident.timeline_entries.get(body__startswith="Incident declared")
    assert row.occurred_at == datetime(2026, 11, 1, 10, 12, tzinfo=UTC)
    postmortem_start(incident=incident, actor=commander)
    response = client_for(commander).get(reverse("incidents:postmortem_export_json", args=[number]))
    milestones = json.loads(b"".join(response.streaming_content))["incident"]["milestones"]
    assert milestones["declared_at"] == "2026-11-01T10:12:00Z"
    assert milestones["started_at"] == "2026-11-01T10:00:00Z"


def test_an_incident_stored_without_a_declaration_says_null_not_a_made_up_time(api_for, commander):
    incident = IncidentFactory(commander=commander)
    body = api_for(commander).get(f"/api/v1/incidents/{incident.number}/").json()
    assert body["declared_at"] is None


def test_the_schema_describes_declared_at_as_a_nullable_read_only_date_time(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    field = schema["components"]["schemas"]["Incident"]["properties"]["declared_at"]
    assert (field["type"], field["format"], field["readOnly"], field.get("nullable")) == (
        "string", "date-time", True, True,
    )  # fmt: skip


# Every surface that lists the milestones, with how to read its (label, instant) rows.
def _dl_rows(html: str, start: str) -> list[tuple[str, str]]:
    part = html[html.index(start) :]
    part = part[: part.index("</dl>")]
    return [
        (label, when or "")
        for label, when in re.findall(r'<dt>([^<]+)</dt><dd>(?:<time datetime="([^"]+)")?', part)
    ]


def _print_rows(html: str) -> list[tuple[str, str]]:
    table = html[html.index('<table class="facts">') :]
    heads, cells = table.split("</tr>")[:2]
    return list(zip(re.findall(r"<th>([^<]+)</th>", heads), re.findall(r"<td>([^<(]+)", cells), strict=True))


def _md_rows(md: str) -> list[tuple[str, str]]:
    part = md[md.index("| Milestone | Time |") :].split("\n\n")[0]
    return re.findall(r"^\| (\w+) \| ([^|(]+?)(?: \(.*\))? \|$", part, re.M)[1:]


@time_machine.travel(TODAY, tick=False)
def test_every_milestone_surface_lists_the_same_milestones_declared_among_them(
    api_for, client_for, commander
):
    commander.time_zone = "Europe/Copenhagen"
    commander.save()
    number = (
        api_for(commander)
        .post(
            "/api/v1/incidents/",
            {"title": "Queue stalled", "severity": "SEV2", "started_at": "2026-11-01T10:00:00Z",
             "detected_at": "2026-11-01T10:07:00Z", "declared_at": "2026-11-01T10:12:00Z"},
            format="json",
        )
        .json()["number"]
    )  # fmt: skip
    Incident.objects.filter(number=number).update(
        acknowledged_at=datetime(2026, 11, 1, 10, 20, tzinfo=UTC),
        mitigated_at=datetime(2026, 11, 1, 23, 50, tzinfo=UTC),
    )
    incident = Incident.objects.get(number=number)
    postmortem_start(incident=incident, actor=commander)
    web = client_for(commander)
    labels = ["Started", "Detected", "Declared", "Acknowledged", "Mitigated", "Resolved"]
    local = ["2026-11-01T11:00:00+01:00", "2026-11-01T11:07:00+01:00", "2026-11-01T11:12:00+01:00",
             "2026-11-01T11:20:00+01:00", "2026-11-02T00:50:00+01:00", ""]  # fmt: skip
    texts = ["2026-11-01 11:00 CET, UTC+01:00", "2026-11-01 11:07 CET, UTC+01:00",
             "2026-11-01 11:12 CET, UTC+01:00", "2026-11-01 11:20 CET, UTC+01:00",
             "2026-11-02 00:50 CET, UTC+01:00", "unknown"]  # fmt: skip
    page = web.get(reverse("incidents:detail", args=[number])).content.decode()
    assert _dl_rows(page, 'id="incident-facts"') == list(zip(labels, local, strict=True))
    pm_page = web.get(reverse("incidents:postmortem", args=[number])).content.decode()
    assert _dl_rows(pm_page, "<h2>Milestones</h2>") == list(zip(labels, local, strict=True))
    printed = web.get(reverse("incidents:postmortem_print", args=[number])).content.decode()
    assert [(label, text.strip()) for label, text in _print_rows(printed)] == list(
        zip(labels, texts, strict=True)
    )
    md = b"".join(
        web.get(reverse("incidents:postmortem_export_md", args=[number])).streaming_content
    ).decode()
    assert _md_rows(md) == list(zip(labels, texts, strict=True))
    exported = json.loads(
        b"".join(web.get(reverse("incidents:postmortem_export_json", args=[number])).streaming_content)
    )["incident"]["milestones"]
    api = api_for(commander).get(f"/api/v1/incidents/{number}/").json()
    keys = ["started_at", "detected_at", "declared_at", "acknowledged_at", "mitigated_at", "resolved_at"]
    assert list(exported) == keys
    assert exported == {k: api[k] for k in keys}
    assert exported["declared_at"] == "2026-11-01T10:12:00Z"
