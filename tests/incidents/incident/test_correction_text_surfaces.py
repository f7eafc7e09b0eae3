"""A milestone correction reads the same, in the reader's zone, on every surface (issue 16, outside tester).

Found: a move within one minute read "03:35 → 03:35" on every text surface; the JSON export wrote the
row's text in UTC while the API wrote it in the reader's zone; and a UTC reader got "UTC, UTC+00:00".
One rule now (`incidents.timefmt.format_times` inside `TimelineEntry.text_in`): the text is in the reader's
zone, seconds shown when both instants share a minute, and a label that never says the same thing twice.
Checked for readers in UTC, Kathmandu (UTC+05:45) and Lord Howe (a half-hour daylight-saving change) on
the incident page, the print page, both exports, the API and the incident's history page.
"""

from __future__ import annotations

import json
import zoneinfo
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from incidents.models import Incident
from incidents.review.services.postmortems import postmortem_start
from incidents.timefmt import format_times
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
BEFORE = datetime(2026, 11, 1, 10, 7, 10, tzinfo=UTC)
AFTER = datetime(2026, 11, 1, 10, 7, 40, tzinfo=UTC)
SURFACES = ("page", "print", "markdown", "json", "api")


@pytest.fixture
def corrected(api_for, commander):
    api = api_for(commander)
    created = api.post(
        "/api/v1/incidents/",
        {
            "title": "Cache stampede",
            "severity": "SEV2",
            "started_at": "2026-11-01T10:00:00Z",
            "detected_at": "2026-11-01T10:07:10Z",
            "declared_at": "2026-11-01T10:10:00Z",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    incident = Incident.objects.get(number=created.json()["number"])
    path = f"/api/v1/incidents/{incident.number}/"
    assert api.patch(path, {"detected_at": "2026-11-01T10:07:40Z"}, format="json").status_code == 200
    postmortem_start(incident=incident, actor=commander)
    return incident


def _surfaces(client, api, incident: Incident) -> dict[str, str]:
    def get(name: str) -> str:
        response = client.get(reverse(f"incidents:{name}", args=[incident.number]))
        assert response.status_code == 200
        raw = response.getvalue() if response.streaming else response.content
        return raw.decode().replace("&nbsp;", " ")

    exported = json.loads(get("postmortem_export_json"))
    entries = api.get(f"/api/v1/timeline-entries/?incident={incident.number}").json()["results"]
    return {
        "page": get("detail"),
        "print": get("postmortem_print"),
        "markdown": get("postmortem_export_md"),
        "json": next(e["body"]["markdown"] for e in exported["timeline"] if e["milestone_changes"]),
        "api": next(e["body"] for e in entries if e["body"].startswith("Milestones edited")),
    }


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("zone", ["UTC", "Asia/Kathmandu", "Australia/Lord_Howe"])
def test_a_move_within_a_minute_reads_with_seconds_in_the_readers_zone_everywhere(
    client_for, api_for, corrected, zone
):
    reader = UserFactory(time_zone=zone, is_staff=True)
    was, now = format_times(BEFORE, AFTER, zoneinfo.ZoneInfo(zone), offset=True)
    assert was != now
    expected = f"Milestones edited: detected {was} → {now} (its “Detected” row moved with it)"
    shown = _surfaces(client_for(reader), api_for(reader), corrected)
    for surface in SURFACES:
        assert expected in shown[surface], (surface, shown[surface][:3000])
    assert shown["json"] == shown["api"] == expected


@time_machine.travel(TODAY, tick=False)
def test_a_utc_reader_reads_seconds_and_utc_once(client_for, api_for, corrected):
    reader = UserFactory(time_zone="UTC", is_staff=True)
    shown = _surfaces(client_for(reader), api_for(reader), corrected)
    expected = (
        "Milestones edited: detected 2026-11-01 10:07:10 UTC → 2026-11-01 10:07:40 UTC "
        "(its “Detected” row moved with it)"
    )
    for surface in SURFACES:
        assert expected in shown[surface], surface
        assert "UTC, UTC+00:00" not in shown[surface], surface


@time_machine.travel(TODAY, tick=False)
def test_the_history_page_tells_a_move_within_a_minute_by_its_seconds(client_for, corrected):
    reader = UserFactory(time_zone="Asia/Kathmandu", is_staff=True)
    html = client_for(reader).get(reverse("incidents:history", args=[corrected.number])).content
    text = html.decode()
    assert "2026-11-01 15:52:10 UTC+05:45" in text
    assert "2026-11-01 15:52:40 UTC+05:45" in text
