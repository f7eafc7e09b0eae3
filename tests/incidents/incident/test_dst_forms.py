"""Web 'when' fields on a daylight-saving change: a repeated hour or a skipped time is refused with a
message that names the zone and both instants, and the form offers a choice between them, so a milestone
in the repeated hour can be saved (the datetime-local input carries no offset)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
# Europe/Copenhagen: 2026-10-25 03:00 CEST -> 02:00 CET (02:xx happens twice); 2026-03-29 02:00 -> 03:00.


@pytest.fixture
def copenhagen(commander):
    commander.time_zone = "Europe/Copenhagen"
    commander.save()
    return commander


def _incident(commander, **kw):
    incident = IncidentFactory(
        commander=commander,
        declared_by=commander,
        started_at=datetime(2026, 10, 24, 22, 0, tzinfo=UTC),
        **kw,
    )
    incident.participants.add(commander)
    return incident


def _edit_data(incident, **changes):
    data = {
        "title": incident.title, "summary": "", "customer_impact": "", "detection_method": "",
        "visibility": "internal", "started_at": "2026-10-25T00:00", "detected_at": "",
        "acknowledged_at": "", "mitigated_at": "", "resolved_at": "", "chat_channel_url": "",
        "dashboard_url": "", "change_url": "", "feature_flag": "", "version": incident.version,
    }  # fmt: skip
    data.update(changes)
    return data


@time_machine.travel(TODAY, tick=False)
def test_a_milestone_in_the_repeated_hour_names_both_instants_and_saves_the_one_chosen(
    client_for, copenhagen
):
    incident = _incident(copenhagen)
    client = client_for(copenhagen)
    url = reverse("incidents:edit", args=[incident.number])
    refused = client.post(url, _edit_data(incident, detected_at="2026-10-25T02:30"))
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "happens twice in Europe/Copenhagen" in page
    assert "2026-10-25 02:30 CEST, UTC+02:00 (2026-10-25 00:30 UTC)" in page
    assert "2026-10-25 02:30 CET, UTC+01:00 (2026-10-25 01:30 UTC)" in page
    assert 'name="detected_at_pick"' in page
    incident.refresh_from_db()
    assert incident.detected_at is None

    saved = client.post(url, _edit_data(incident, detected_at="2026-10-25T02:30", detected_at_pick="later"))
    assert saved.status_code == 302
    incident.refresh_from_db()
    assert incident.detected_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)

    # Shown again with its choice made, so saving the form unchanged keeps the same instant.
    form = client.get(url).content.decode()
    assert '<option value="later" selected>' in form
    again = client.post(
        url, _edit_data(incident, detected_at="2026-10-25T02:30", detected_at_pick="later", title="Renamed")
    )
    assert again.status_code == 302
    incident.refresh_from_db()
    assert incident.title == "Renamed"
    assert incident.detected_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


@time_machine.travel(TODAY, tick=False)
def test_a_when_in_a_gap_says_the_time_does_not_exist_and_a_choice_records_it(client_for, copenhagen):
    incident = _incident(copenhagen)
    incident.started_at = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    incident.save()
    client = client_for(copenhagen)
    url = reverse("incidents:status", args=[incident.number])
    refused = client.post(url, {"status": "identified", "when": "2026-03-29T02:30"}, follow=True)
    page = refused.content.decode()
    assert "2026-03-29 02:30 does not exist in Europe/Copenhagen: the clocks jumped forward" in page
    assert "(2026-03-29 00:30 UTC)" in page
    assert "(2026-03-29 01:30 UTC)" in page
    assert 'name="when_pick"' in page  # the choice is on the page the error comes back to
    incident.refresh_from_db()
    assert incident.status == "investigating"

    client.post(url, {"status": "identified", "when": "2026-03-29T02:30", "when_pick": "earlier"})
    incident.refresh_from_db()
    assert incident.status == "identified"
    assert incident.timeline_entries.get(body__startswith="Status changed").occurred_at == datetime(
        2026, 3, 29, 0, 30, tzinfo=UTC
    )


@time_machine.travel(TODAY, tick=False)
def test_the_severity_when_in_the_repeated_hour_names_the_zone_and_both_instants(client_for, copenhagen):
    incident = _incident(copenhagen)
    client = client_for(copenhagen)
    response = client.post(
        reverse("incidents:severity", args=[incident.number]),
        {"severity": "SEV1", "when": "2026-10-25T02:15"},
        follow=True,
    )
    page = response.content.decode()
    assert "happens twice in Europe/Copenhagen" in page
    assert "02:15 CEST" in page
    assert "02:15 CET" in page
    incident.refresh_from_db()
    assert incident.severity != "SEV1"


@time_machine.travel(TODAY, tick=False)
def test_a_stored_milestone_in_the_repeated_hour_offers_both_instants_without_javascript(
    client_for, commander
):
    """America/New_York, 2026-11-01: 01:00-02:00 happens twice (EDT, then EST). The edit form names both
    readings in the choice itself, before any save, and a form sent back with an error elsewhere keeps them."""
    commander.time_zone = "America/New_York"
    commander.save()
    incident = IncidentFactory(
        commander=commander,
        started_at=datetime(2026, 11, 1, 5, 0, tzinfo=UTC),
        detected_at=datetime(2026, 11, 1, 5, 20, tzinfo=UTC),  # 01:20 EDT, the earlier reading
    )
    incident.participants.add(commander)
    client = client_for(commander)
    url = reverse("incidents:edit", args=[incident.number])
    form = client.get(url).content.decode()
    choice = form[form.index('name="detected_at_pick"') :].split("</select>")[0]
    assert '<option value="earlier" selected>the earlier: 2026-11-01 01:20 EDT, UTC-04:00</option>' in choice
    assert '<option value="later">the later: 2026-11-01 01:20 EST, UTC-05:00</option>' in choice

    refused = client.post(
        url,
        _edit_data(incident, title="", started_at="2026-11-01T01:00", started_at_pick="earlier",
                   detected_at="2026-11-01T01:20", detected_at_pick="later"),
    )  # fmt: skip
    page = refused.content.decode()
    choice = page[page.index('name="detected_at_pick"') :].split("</select>")[0]
    assert '<option value="earlier">the earlier: 2026-11-01 01:20 EDT, UTC-04:00</option>' in choice
    assert '<option value="later" selected>the later: 2026-11-01 01:20 EST, UTC-05:00</option>' in choice
