"""A bare clock time (`14:05`) is read on the day it is about, at that day's offset: on the timeline entry
edit form the entry's own day, in quick add on a resolved (backfilled) incident the first of the incident's
days where the time falls between its start and resolution; the time boxes' labels name the zone, the
offset and the day (issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from incidents.incident.services.lifecycle import incident_resolve
from incidents.models import TimelineEntry
from incidents.timeline import services as svc

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # winter: Copenhagen is UTC+01:00
HX = {"HX-Request": "true"}


def _utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def copenhagen(commander):
    commander.time_zone = "Europe/Copenhagen"
    commander.save()
    return commander


@pytest.fixture
def backfilled(incident, copenhagen):
    """Impact from 3 Mar 2019 23:10 to 4 Mar 02:40 Copenhagen (22:10 to 01:40 UTC), recorded in 2026."""
    incident.started_at = _utc(2019, 3, 3, 22, 10)
    incident.save()
    with time_machine.travel(NOW, tick=False):
        incident_resolve(incident=incident, actor=copenhagen, at=_utc(2019, 3, 4, 1, 40))
    incident.refresh_from_db()
    return incident


@time_machine.travel(NOW, tick=False)
def test_a_bare_time_on_the_edit_form_stays_on_the_entrys_summer_day_at_its_offset(
    client_for, copenhagen, incident
):
    entry = svc.timeline_entry_add(
        incident=incident, actor=copenhagen, body="Deploy", occurred_at=_utc(2026, 7, 12, 13, 55)
    )
    edit = reverse("incidents:timeline_edit", args=[incident.number, entry.pk])
    client = client_for(copenhagen)
    page = client.get(edit).content.decode()
    assert "times in Europe/Copenhagen, UTC+02:00, on 12 Jul;" in page
    form = {"body": "Deploy", "kind": entry.kind, "when": "14:05", "based_on": entry.updated_at.isoformat()}
    assert client.post(edit, form).status_code == 302
    entry.refresh_from_db()
    # 14:05 CEST on 12 July, not 14:05 of today (30 Nov) nor 14:05 at today's offset (13:05 UTC).
    assert entry.occurred_at == _utc(2026, 7, 12, 12, 5)


@time_machine.travel(NOW, tick=False)
def test_quick_add_on_a_backfilled_incident_puts_a_bare_time_on_the_incident_day_it_falls_in(
    client_for, copenhagen, backfilled
):
    client = client_for(copenhagen)
    add = reverse("incidents:timeline_quick_add", args=[backfilled.number])
    for when, body in [
        ("23:30", "Error rate up"),
        ("01:15", "Failover"),
        ("22:50", "Deploy"),
        ("09:00", "Review"),
    ]:
        assert client.post(add, {"body": body, "when": when}, headers=HX).status_code == 200
    at = {e.body: e.occurred_at for e in TimelineEntry.objects.filter(incident=backfilled, source="web")}
    assert at == {
        "Error rate up": _utc(2019, 3, 3, 22, 30),  # 3 Mar, inside the incident
        "Failover": _utc(2019, 3, 4, 0, 15),  # after midnight: the second day
        "Deploy": _utc(2019, 3, 3, 21, 50),  # before the start: the nearest day, 3 Mar
        "Review": _utc(2019, 3, 4, 8, 0),  # after the resolution: 4 Mar
    }
    page = client.get(reverse("incidents:detail", args=[backfilled.number])).content.decode()
    assert (
        "times in Europe/Copenhagen, UTC+01:00, on 3 Mar 2019 to 4 Mar 2019, "
        "the first day the time falls within the incident" in page
    )
    preview = client.get(
        reverse("incidents:timeline_when", args=[backfilled.number]), {"when": "01:15"}, headers=HX
    )
    assert "2019-03-04 01:15 CET" in preview.content.decode()


@time_machine.travel(NOW, tick=False)
def test_quick_add_on_an_active_incident_still_reads_a_bare_time_as_today(client_for, copenhagen, incident):
    client = client_for(copenhagen)
    page = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert "times in Europe/Copenhagen, UTC+01:00, today (30 Nov)" in page
    add = reverse("incidents:timeline_quick_add", args=[incident.number])
    assert client.post(add, {"body": "Paged", "when": "09:30"}, headers=HX).status_code == 200
    assert TimelineEntry.objects.get(incident=incident, body="Paged").occurred_at == _utc(2026, 11, 30, 8, 30)


@time_machine.travel(datetime(2026, 10, 25, 9, 0, tzinfo=UTC), tick=False)
def test_quick_add_on_the_day_summer_time_ends_names_both_offsets_and_the_typed_times_own(
    client_for, copenhagen, incident
):
    client = client_for(copenhagen)
    page = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    # Not "UTC+01:00" for the whole day: a time before 02:00 was still summer time.
    assert (
        "times in Europe/Copenhagen, UTC+02:00 before 02:00 and UTC+01:00 from 03:00 "
        "(02:00–03:00 happens twice), today (25 Oct)" in page
    )
    when = reverse("incidents:timeline_when", args=[incident.number])
    assert (
        "2026-10-25 01:30 CEST, UTC+02:00" in client.get(when, {"when": "01:30"}, headers=HX).content.decode()
    )
    assert (
        "2026-10-25 09:30 CET, UTC+01:00" in client.get(when, {"when": "09:30"}, headers=HX).content.decode()
    )
    add = reverse("incidents:timeline_quick_add", args=[incident.number])
    assert client.post(add, {"body": "Paged", "when": "01:30"}, headers=HX).status_code == 200
    assert TimelineEntry.objects.get(incident=incident, body="Paged").occurred_at == _utc(
        2026, 10, 24, 23, 30
    )
