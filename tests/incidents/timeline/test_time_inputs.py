"""Times on the timeline's inputs: duplicates flagged on every path (API, the entry edit page), a
transcript line with the offset its own DST message suggests, future lines and a future `?since=` refused,
and the import's date shown as ISO."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from incidents.timeline import services as svc

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_an_api_duplicate_can_be_skipped_and_the_answer_names_the_entry_already_there(
    api_for, commander, incident
):
    first = svc.timeline_entry_add(
        incident=incident,
        actor=commander,
        body="Failover started",
        occurred_at=datetime(2026, 11, 30, 8, 5, tzinfo=UTC),
    )
    api = api_for(commander)
    body = {"incident": incident.number, "body": "Failover started", "occurred_at": "2026-11-30T08:05:00Z"}
    skipped = api.post("/api/v1/timeline-entries/", {**body, "on_duplicate": "skip"}, format="json")
    assert skipped.status_code == 200
    assert (skipped.json()["id"], skipped.json()["duplicate_of"]) == (first.pk, first.pk)
    assert incident.timeline_entries.filter(body="Failover started").count() == 1  # dropped
    kept = api.post("/api/v1/timeline-entries/", body, format="json")
    assert kept.status_code == 201
    assert kept.json()["duplicate_of"] == first.pk
    assert incident.timeline_entries.filter(body="Failover started").count() == 2


@time_machine.travel(NOW, tick=False)
def test_editing_an_entry_into_a_duplicate_is_flagged_on_the_edit_page(client_for, commander, incident):
    at = datetime(2026, 11, 30, 8, 5, tzinfo=UTC)
    svc.timeline_entry_add(incident=incident, actor=commander, body="Failover started", occurred_at=at)
    other = svc.timeline_entry_add(
        incident=incident, actor=commander, body="Failover strated", occurred_at=at
    )
    url = reverse("incidents:timeline_edit", args=[incident.number, other.pk])
    form = {
        "body": "Failover started", "kind": "note", "when": "2026-11-30T08:05:00Z", "evidence": "",
        "knew_then": "", "based_on": other.updated_at.isoformat(),
    }  # fmt: skip
    client = client_for(commander)
    htmx = client.post(url, form, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200
    assert "already recorded by" in htmx.content.decode()
    other.refresh_from_db()
    plain = client.post(
        url, {**form, "body": "Failover started ", "based_on": other.updated_at.isoformat()}, follow=True
    )
    assert "already recorded by" in plain.content.decode()


@time_machine.travel(NOW, tick=False)
def test_a_transcript_line_with_the_offset_its_message_suggests_is_imported(client_for, commander, incident):
    url = reverse("incidents:timeline_import", args=[incident.number])
    client = client_for(commander)
    base = {"format": "transcript", "zone": "Europe/Copenhagen", "first_date": "2026-10-25"}
    refused = client.post(url, {**base, "content": "[2026-10-25 02:30] ana: failover"})
    message = refused.content.decode()
    assert "2026-10-25 02:30 +02:00" in message  # the form the message suggests...
    taken = client.post(
        url, {**base, "content": "[2026-10-25 02:30 +02:00] ana: failover\n[02:40 +01:00] bo: done"}
    )
    assert taken.status_code == 200, taken.content.decode()
    text = taken.content.decode()
    assert "2026-10-25 02:30 CEST" in text  # ...is read, the earlier of the two
    assert "2026-10-25 02:40 CET" in text


@time_machine.travel(NOW, tick=False)
def test_the_import_preview_neither_counts_nor_offers_future_lines(client_for, commander, incident):
    url = reverse("incidents:timeline_import", args=[incident.number])
    content = (
        "[2026-11-30 10:30] ana: not yet happened\n[2026-11-30 09:00] bo: on time"  # CET: 09:30, 08:00 UTC
    )
    page = client_for(commander).post(
        url,
        {"format": "transcript", "zone": "Europe/Copenhagen", "first_date": "2026-11-30", "content": content},
    )
    text = page.content.decode()
    assert page.status_code == 422
    assert "Line 1: this time is in the future" in text
    assert "<td>not yet happened</td>" not in text  # neither counted nor listed among the rows
    assert "<td>on time</td>" in text


@time_machine.travel(NOW, tick=False)
def test_the_import_date_input_holds_an_iso_date(client_for, commander, incident):
    page = client_for(commander).get(reverse("incidents:timeline_import", args=[incident.number]))
    assert 'value="2026-11-30"' in page.content.decode()


@time_machine.travel(NOW, tick=False)
def test_a_future_since_is_refused_rather_than_stalling_the_feed(api_for, commander, incident):
    api = api_for(commander)
    future = api.get(
        "/api/v1/timeline-entries/", {"incident": incident.number, "since": "2027-01-01T00:00:00Z"}
    )
    assert future.status_code == 400
    assert "future" in " ".join(future.json()["since"])
    past = api.get(
        "/api/v1/timeline-entries/", {"incident": incident.number, "since": "2026-11-29T00:00:00Z"}
    )
    assert past.status_code == 200


@time_machine.travel(NOW, tick=False)
def test_the_edit_form_labels_a_summer_entry_with_its_own_zone_label_in_winter(
    client_for, commander, incident
):
    commander.time_zone = "Europe/Copenhagen"
    commander.save()
    entry = svc.timeline_entry_add(
        incident=incident,
        actor=commander,
        body="Deploy",
        occurred_at=datetime(2026, 7, 12, 13, 55, tzinfo=UTC),
    )
    page = client_for(commander).get(reverse("incidents:timeline_edit", args=[incident.number, entry.pk]))
    text = page.content.decode()
    assert "times in Europe/Copenhagen, UTC+02:00, on 12 Jul;" in text
    assert "times in Europe/Copenhagen, UTC+01:00" not in text
