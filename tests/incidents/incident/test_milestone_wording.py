"""A "Milestones edited" row says what happened to each milestone (issue 16, outside tester): a cleared
one was "removed" (its row removed with it), one given where there was none was "set", and only a changed
time "moved": on the incident page, the API, the print page and the Markdown export, in the reader's zone.
Rows stored before the wording was fixed read the same way."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from incidents.models import Incident, TimelineEntry
from incidents.review.services.postmortems import postmortem_start
from incidents.timeline.models import milestone_changes_text

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def backfilled(api_for, commander):
    api = api_for(commander)
    created = api.post(
        "/api/v1/incidents/",
        {
            "title": "Cache stampede",
            "severity": "SEV2",
            "started_at": "2026-11-01T10:00:00Z",
            "detected_at": "2026-11-01T10:07:00Z",
            "declared_at": "2026-11-01T10:10:00Z",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    return Incident.objects.get(number=created.json()["number"])


def _corrections(incident: Incident) -> list[TimelineEntry]:
    return list(incident.timeline_entries.filter(body__startswith="Milestones edited").order_by("id"))


@time_machine.travel(TODAY, tick=False)
def test_clearing_the_detection_time_says_removed_on_every_surface(
    client_for, api_for, commander, backfilled
):
    reader = commander
    reader.time_zone = "Asia/Kathmandu"
    reader.save()
    api = api_for(commander)
    path = f"/api/v1/incidents/{backfilled.number}/"
    assert api.patch(path, {"detected_at": None}, format="json").status_code == 200

    expected = "Milestones edited: detected removed (was 2026-11-01 15:52 UTC+05:45) (its “Detected” row removed with it)"
    (row,) = _corrections(backfilled)
    assert row.text_in(reader.tzinfo) == expected
    assert " moved" not in row.body
    postmortem_start(incident=backfilled, actor=commander)
    client = client_for(reader)
    pages = {
        "page": client.get(reverse("incidents:detail", args=[backfilled.number])),
        "print": client.get(reverse("incidents:postmortem_print", args=[backfilled.number])),
        "markdown": client.get(reverse("incidents:postmortem_export_md", args=[backfilled.number])),
    }
    for surface, response in pages.items():
        text = response.getvalue().decode().replace("&nbsp;", " ")  # the export is streamed
        assert expected in text, surface
    entries = api.get(f"/api/v1/timeline-entries/?incident={backfilled.number}").json()["results"]
    (body,) = [e["body"] for e in entries if e["body"].startswith("Milestones edited")]
    assert body == expected


@time_machine.travel(TODAY, tick=False)
def test_setting_an_empty_milestone_says_set_and_moving_one_keeps_both_times(api_for, commander, backfilled):
    api = api_for(commander)
    path = f"/api/v1/incidents/{backfilled.number}/"
    assert api.patch(path, {"acknowledged_at": "2026-11-01T10:12:00Z"}, format="json").status_code == 200
    assert api.patch(path, {"acknowledged_at": "2026-11-01T10:15:00Z"}, format="json").status_code == 200
    first, second = (row.text_in(UTC) for row in _corrections(backfilled))
    assert first == (
        "Milestones edited: acknowledged set to 2026-11-01 10:12 UTC (its “Acknowledged” row added)"
    )
    assert second == (
        "Milestones edited: acknowledged 2026-11-01 10:12 UTC → 2026-11-01 10:15 UTC"
        " (its “Acknowledged” row moved with it)"
    )


def test_a_removal_stored_with_the_old_wording_reads_as_removed():
    stored = [
        {
            "milestone": "detected_at",
            "label": "detected",
            "old": "2026-11-01T10:07:00+00:00",
            "new": None,
            "note": " (its “Detected” row moved with it)",
        }
    ]
    assert milestone_changes_text(stored, UTC) == (
        "Milestones edited: detected removed (was 2026-11-01 10:07 UTC) (its “Detected” row removed with it)"
    )
