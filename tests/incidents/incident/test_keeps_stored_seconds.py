"""The local date-time field keeps the stored instant when the form sends back its minute (issue 16,
outside tester: the rule lived in one form's mixin). The input shows minutes, so saving any form with such
a field unchanged keeps seconds and microseconds; a time typed in another minute, or the other reading of a
repeated hour, is taken as typed. Checked on the field itself, the incident edit form and the postmortem
meeting form, in zones with odd offsets and on a daylight-saving change."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone

from incidents.incident.forms import DeclareForm, IncidentEditForm, LocalDateTimeField
from incidents.review.services.postmortems import postmortem_start

pytestmark = pytest.mark.django_db

STORED = datetime(2026, 11, 1, 4, 10, 30, 250000, tzinfo=UTC)  # 17:55:30 in Chatham (UTC+13:45)


class _Form(forms.Form):
    at = LocalDateTimeField(required=False)


def _clean(data: dict, initial: dict, zone: str) -> datetime | None:
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        form = _Form(data, initial=initial)
        assert form.is_valid(), form.errors
        return form.cleaned_data["at"]


def test_the_stored_minute_sent_back_keeps_the_stored_instant():
    assert _clean({"at": "2026-11-01T17:55"}, {"at": STORED}, "Pacific/Chatham") == STORED
    assert _clean({"at": "2026-11-01T09:55"}, {"at": STORED}, "Asia/Kathmandu") == STORED


def test_another_minute_or_no_stored_value_is_taken_as_typed():
    assert _clean({"at": "2026-11-01T17:56"}, {"at": STORED}, "Pacific/Chatham") == datetime(
        2026, 11, 1, 4, 11, tzinfo=UTC
    )
    assert _clean({"at": "2026-11-01T17:55"}, {}, "Pacific/Chatham") == datetime(
        2026, 11, 1, 4, 10, tzinfo=UTC
    )
    assert _clean({"at": ""}, {"at": STORED}, "Pacific/Chatham") is None


def test_a_repeated_hour_keeps_the_stored_reading_and_the_other_reading_is_taken_as_chosen():
    # St John's goes back from 02:00 NDT to 01:00 NST on 1 November 2026: 01:30 happens twice.
    later = datetime(2026, 11, 1, 5, 0, 15, tzinfo=UTC)  # 01:30:15 NST, the second reading
    sent = {"at": "2026-11-01T01:30", "at_pick": "later"}
    assert _clean(sent, {"at": later}, "America/St_Johns") == later
    earlier = _clean({**sent, "at_pick": "earlier"}, {"at": later}, "America/St_Johns")
    assert earlier == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # 01:30 NDT, as chosen


def test_every_form_with_the_field_keeps_seconds_without_a_mixin_of_its_own():
    assert all(
        isinstance(f, LocalDateTimeField)
        for f in (IncidentEditForm.base_fields["started_at"], DeclareForm.base_fields["declared_at"])
    )
    assert [c.__name__ for c in IncidentEditForm.__mro__ if "Seconds" in c.__name__] == []


def test_saving_the_meeting_form_unchanged_keeps_the_meeting_time_to_the_second(
    client_for, commander, incident
):
    commander.time_zone = "Pacific/Chatham"
    commander.save()
    postmortem = postmortem_start(incident=incident, actor=commander)
    postmortem.meeting_at = STORED
    postmortem.save()
    response = client_for(commander).post(
        reverse("incidents:meeting", args=[incident.number]),
        {"meeting_at": "2026-11-01T17:55", "notes": "Walked through the timeline.", "open_questions": ""},
    )
    assert response.status_code == 302
    postmortem.refresh_from_db()
    assert postmortem.meeting_notes == "Walked through the timeline."
    assert postmortem.meeting_at == STORED


def test_saving_the_incident_form_unchanged_keeps_milestones_to_the_second_in_kathmandu(
    client_for, commander, incident
):
    commander.time_zone = "Asia/Kathmandu"
    commander.save()
    incident.started_at = STORED
    incident.save()
    form = IncidentEditForm(instance=incident)
    data = {name: form[name].value() or "" for name in form.fields}
    with timezone.override(commander.tzinfo):
        data["started_at"] = "2026-11-01T09:55"
    data.update(title="A clearer title", version=incident.version)
    response = client_for(commander).post(reverse("incidents:edit", args=[incident.number]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    incident.refresh_from_db()
    assert incident.title == "A clearer title"
    assert incident.started_at == STORED
