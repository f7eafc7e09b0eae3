"""Severity changes recorded after the fact keep the timeline true (issue 16, outside tester): a change is
refused when dated before the incident started or before the severity change recorded latest, on the page
and the API alike, with both instants in the reader's own zone (the one rule of every state change's time,
tests/incidents/incident/test_state_change_times.py: the declaration is no bound). So every
"from X to Y" row states the severity the incident had at that time, and the latest row is the incident's
current severity, which Insights and the exports read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from incidents.models import Incident
from incidents.review.exports import export_markdown
from incidents.review.services.postmortems import postmortem_start

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _declare(api) -> int:
    created = api.post(
        "/api/v1/incidents/",
        {
            "title": "Checkout errors",
            "severity": "SEV2",
            "started_at": "2026-11-01T10:00:00Z",
            "declared_at": "2026-11-01T10:30:00Z",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    return created.json()["number"]


def _severity_rows(number: int) -> list[str]:
    incident = Incident.objects.get(number=number)
    return [
        e.body
        for e in incident.timeline_entries.visible().order_by("occurred_at", "id")
        if e.body.startswith(("Incident declared", "Severity changed"))
    ]


@time_machine.travel(TODAY, tick=False)
def test_a_severity_change_dated_before_the_latest_one_is_refused_naming_both_in_the_callers_zone(
    api_for, commander
):
    commander.time_zone = "Pacific/Chatham"  # UTC+13:45 in November
    commander.save()
    api = api_for(commander)
    number = _declare(api)
    url = f"/api/v1/incidents/{number}/severity/"
    assert api.post(url, {"severity": "SEV1", "at": "2026-11-01T12:00:00Z"}, format="json").status_code == 200

    late_entry = api.post(url, {"severity": "SEV3", "at": "2026-11-01T11:00:00Z"}, format="json")

    assert late_entry.status_code == 400
    message = " ".join(late_entry.json()["at"])
    assert "2026-11-02 00:45 UTC+13:45" in message  # the refused time, in Chatham
    assert "“Severity changed from SEV2 to SEV1” at 2026-11-02 01:45 UTC+13:45" in message
    incident = Incident.objects.get(number=number)
    assert incident.severity == "SEV1"
    assert _severity_rows(number) == [
        "Incident declared as SEV2: Checkout errors",
        "Severity changed from SEV2 to SEV1",
    ]
    # In order it is taken, and says what the severity was then.
    assert api.post(url, {"severity": "SEV3", "at": "2026-11-01T13:00:00Z"}, format="json").status_code == 200
    assert _severity_rows(number)[-1] == "Severity changed from SEV1 to SEV3"
    assert Incident.objects.get(number=number).severity == "SEV3"


@time_machine.travel(TODAY, tick=False)
def test_a_severity_change_before_the_start_is_refused_with_both_times(api_for, commander):
    commander.time_zone = "America/St_Johns"  # UTC-02:30 in summer, -03:30 in November
    commander.save()
    api = api_for(commander)
    number = _declare(api)
    response = api.post(
        f"/api/v1/incidents/{number}/severity/",
        {"severity": "SEV1", "at": "2026-11-01T09:00:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["at"] == [
        "The severity change (2026-11-01 05:30 NST) cannot be before the start time (2026-11-01 06:30 NST)."
    ]


@time_machine.travel(TODAY, tick=False)
def test_the_incident_timeline_and_export_agree_on_the_severity_after_backfilled_changes(
    client_for, api_for, commander
):
    api = api_for(commander)
    number = _declare(api)
    url = f"/api/v1/incidents/{number}/severity/"
    for severity, at in (("SEV1", "2026-11-01T11:00:00Z"), ("SEV3", "2026-11-01T10:45:00Z")):
        api.post(url, {"severity": severity, "at": at}, format="json")
    incident = Incident.objects.get(number=number)
    assert incident.severity == "SEV1"
    postmortem = postmortem_start(incident=incident, actor=commander)
    markdown = export_markdown(postmortem, viewer=commander)
    assert "Severity changed from SEV2 to SEV1" in markdown
    assert "SEV3" not in markdown
    page = client_for(commander).get(reverse("incidents:detail", args=[number])).content.decode()
    assert "from SEV2 to SEV3" not in page
    assert "from SEV1 to SEV3" not in page


@time_machine.travel(TODAY, tick=False)
def test_setting_the_severity_it_already_has_is_refused_and_stores_nothing(client_for, api_for, commander):
    api = api_for(commander)
    number = _declare(api)
    incident = Incident.objects.get(number=number)
    version, rows = incident.version, incident.timeline_entries.count()

    again = api.post(f"/api/v1/incidents/{number}/severity/", {"severity": "SEV2"}, format="json")
    assert again.status_code == 400
    assert again.json()["severity"] == [f"{incident.reference} is already SEV2; nothing changed."]

    page = client_for(commander).post(
        reverse("incidents:severity", args=[number]),
        {"severity": "SEV2", "reason": "", "when": ""},
        follow=True,
    )
    text = page.content.decode()
    assert "is already SEV2; nothing changed." in text
    assert "Severity changed." not in text
    incident.refresh_from_db()
    assert (incident.severity, incident.version, incident.timeline_entries.count()) == ("SEV2", version, rows)
