"""Bad time input is a clear error, never ignored or answered vaguely (issue 16, outside tester).

- an unknown `<name>_pick` (the choice beside a time on a clock change) was silently ignored: now a form
  error on every form with a local date-time field, and the action is not taken;
- `?since=` (and every date-time query filter) with an unencoded `+` arrives with a space in its place:
  the answer now says so ("a + must be sent as %2B") instead of a generic message.
"""

from __future__ import annotations

import zoneinfo
from urllib.parse import quote

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone

from incidents.incident.forms import LocalDateTimeField
from incidents.models import IncidentStatus
from tests.incidents.incident.test_stale_form_exact import _forms_with_local_times

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("cls", "names"), _forms_with_local_times(), ids=lambda v: getattr(v, "__name__", "")
)
@pytest.mark.parametrize("pick", ["latest", "EARLIER", "1"])
def test_an_unknown_clock_change_choice_is_a_form_error_on_every_form(cls, names, pick):
    with timezone.override(zoneinfo.ZoneInfo("America/St_Johns")):
        for name in names:

            class One(forms.Form):
                pass

            One.base_fields = {name: cls.base_fields[name]}
            assert isinstance(One.base_fields[name], LocalDateTimeField)
            # An ordinary time (no clock change near it), so only the choice can be wrong.
            form = One({name: "2026-06-01T01:30", f"{name}_pick": pick})
            assert not form.is_valid()
            assert "If the clocks changed" in form.errors[name][0], form.errors
            for good in ("earlier", "later", ""):
                form = One({name: "2026-06-01T01:30", f"{name}_pick": good})
                assert form.is_valid(), (good, form.errors)


def test_a_status_change_with_an_unknown_choice_is_refused_and_says_why(client_for, commander, incident):
    response = client_for(commander).post(
        reverse("incidents:status", args=[incident.number]),
        {"status": "identified", "when": "", "when_pick": "latest"},
        follow=True,
    )
    errors = [str(m) for m in response.context["messages"] if m.level_tag == "error"]
    assert errors
    assert "If the clocks changed" in errors[0]
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.INVESTIGATING


@pytest.mark.parametrize(
    ("path", "param"),
    [("/api/v1/timeline-entries/", "since"), ("/api/v1/incidents/", "started_after")],
)
def test_an_unencoded_plus_in_a_query_time_is_named(api_for, commander, incident, path, param):
    raw = "2026-11-30T14:02:00+13:45"  # Chatham, sent without encoding the +
    response = api_for(commander).get(f"{path}?incident={incident.number}&{param}={raw}")
    assert response.status_code == 400
    (message,) = response.json()[param]
    assert "a + must be sent as %2B" in message
    assert "2026-11-30T14:02:00%2B13:45" in message
    encoded = api_for(commander).get(f"{path}?incident={incident.number}&{param}={quote(raw)}")
    assert encoded.status_code == 200
