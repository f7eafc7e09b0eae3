"""A stale edit form carries the exact instant of each time it showed (issue 16, outside tester).

The time inputs show minutes. A form opened before someone else moved a milestone with seconds sent back
that minute, and the field compared it with what is stored now instead of what the form showed: the
untouched milestone read as "changed by both of you", and keeping "mine" undid the other person's edit.
Every form with a local date-time field now carries `<name>_exact` beside the input; checked over every
such form, and end to end on the incident edit page in Chatham (UTC+13:45) and Kathmandu (UTC+05:45).
"""

from __future__ import annotations

import importlib
import re
import zoneinfo
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone

from incidents.incident.forms import LocalDateTimeField
from incidents.incident.services.edits import incident_update
from incidents.models import Incident

pytestmark = pytest.mark.django_db

SHOWN = datetime(2026, 11, 1, 4, 10, 30, 250000, tzinfo=UTC)  # 17:55:30 in Chatham
FORM_MODULES = ("incidents.incident.forms", "incidents.review.forms", "incidents.followup.forms")


def _forms_with_local_times() -> list[tuple[type[forms.BaseForm], list[str]]]:
    found = []
    for module_name in FORM_MODULES:
        module = importlib.import_module(module_name)
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, forms.BaseForm) and obj.__module__ == module_name:
                names = [
                    n for n, f in getattr(obj, "base_fields", {}).items() if isinstance(f, LocalDateTimeField)
                ]
                if names:
                    found.append((obj, names))
    return found


def test_the_forms_with_local_times_are_found():
    names = {cls.__name__ for cls, _ in _forms_with_local_times()}
    assert {
        "IncidentEditForm",
        "DeclareForm",
        "StatusForm",
        "SeverityForm",
        "ReopenForm",
        "MeetingForm",
    } <= names


@pytest.mark.parametrize(
    ("cls", "names"), _forms_with_local_times(), ids=lambda v: getattr(v, "__name__", "")
)
def test_every_local_time_field_carries_the_exact_instant_it_shows_and_cleans_to_it(cls, names):
    with timezone.override(zoneinfo.ZoneInfo("Pacific/Chatham")):
        for name in names:
            field = cls.base_fields[name]
            html = str(field.widget.render(name, SHOWN))
            assert f'name="{name}_exact" value="{SHOWN.isoformat()}"' in html, (cls.__name__, name)
            assert 'value="2026-11-01T17:55"' in html
            # Sent back in that minute, with what is stored now elsewhere: the instant the form showed.
            now_stored = SHOWN + timedelta(hours=1)

            class One(forms.Form):
                pass

            One.base_fields = {name: field}
            form = One(
                {name: "2026-11-01T17:55", f"{name}_exact": SHOWN.isoformat()}, initial={name: now_stored}
            )
            assert form.is_valid(), form.errors
            assert form.cleaned_data[name] == SHOWN, (cls.__name__, name)
            # Another minute typed is taken as typed; an unreadable exact falls back to the stored value.
            form = One({name: "2026-11-01T17:56", f"{name}_exact": SHOWN.isoformat()})
            assert form.is_valid()
            assert form.cleaned_data[name] == datetime(2026, 11, 1, 4, 11, tzinfo=UTC)
            form = One({name: "2026-11-01T17:55", f"{name}_exact": "nonsense"}, initial={name: SHOWN})
            assert form.is_valid()
            assert form.cleaned_data[name] == SHOWN


class _Values(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "input" and name and a.get("type") not in {"submit", "checkbox"}:
            self.values.setdefault(name, a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.values.setdefault(name, "")
        elif tag == "select" and name:
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def _form_values(html: str) -> dict[str, str]:
    form = re.search(r"<form method=\"post\" novalidate>.*?</form>", html, re.S)
    assert form is not None
    parser = _Values()
    parser.feed(form.group(0))
    return parser.values


@pytest.mark.parametrize("zone", ["Pacific/Chatham", "Asia/Kathmandu"])
def test_a_stale_form_does_not_report_or_undo_a_milestone_someone_else_moved(
    client_for, commander, incident, admin_user, zone
):
    commander.time_zone = zone
    commander.save()
    incident.started_at = SHOWN - timedelta(hours=2)
    incident.detected_at = SHOWN  # a detection with seconds, as the API or an alert stores it
    incident.save()
    url = reverse("incidents:edit", args=[incident.number])
    client = client_for(commander)
    mine = _form_values(client.get(url).content.decode())
    assert mine["detected_at_exact"] == SHOWN.isoformat()
    # Someone else moves the detection five minutes later (to the second).
    theirs = SHOWN + timedelta(minutes=5, seconds=10)
    incident_update(incident=incident, actor=admin_user, detected_at=theirs)
    mine["title"] = "A clearer title"
    conflict = client.post(url, mine)
    assert conflict.status_code == 409
    html = conflict.content.decode()
    assert 'data-field-row="detected_at"' in html
    assert re.search(r'form-row conflict" data-field-row="detected_at"', html) is None  # not "both changed"
    again = _form_values(html)
    assert again["detected_at_exact"] == theirs.isoformat()
    assert client.post(url, again).status_code == 302
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.title == "A clearer title"
    assert stored.detected_at == theirs  # the other person's edit stands
