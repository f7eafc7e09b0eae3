"""One offset rule for every time input (issue 16): `incidents.timeparse.offset_refusal` accepts -12:00 to
+14:00 in whole minutes. This walks every date-time field of every API serializer and every time field of
every form (discovered, not listed), sends offsets no place uses, offsets that are no offset, values
without one and other bad values, and expects an error naming the field; the boundaries are accepted.
Query parameters are walked by test_datetime_params.py."""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django import forms
from django.utils import timezone
from rest_framework import serializers

import accounts
import incidents
from incidents.api.fields import UtcDateTimeField
from incidents.incident.forms import LocalDateTimeField
from incidents.inputs import AwareDateTimeField, TypedTimeField
from incidents.timeline.imports import parse_transcript
from incidents.timeparse import TimeParseError, offset_refusal, parse_time

pytestmark = pytest.mark.django_db

BAD_OFFSETS = ["+15:00", "+14:01", "-12:01", "-13:00", "+25:00", "+23:59", "+05:75", "+05:30:15"]
API_BAD = [
    *(f"2026-11-01T10:00:00{o}" for o in BAD_OFFSETS),
    "2026-11-01T10:00:00",  # no offset
    "2026-11-01",  # no time, no offset
    "yesterday",
    "",
    12345,
]
API_GOOD = ["2026-11-01T10:00:00-12:00", "2026-11-01T10:00:00+14:00", "2026-11-01T10:00:00Z"]
TYPED_BAD = [*(f"2026-11-01 10:00 {o}" for o in BAD_OFFSETS), "10:00 UTC+15:00", "2026-03-29 02:30"]
TYPED_GOOD = ["2026-11-01 10:00 -12:00", "2026-11-01 10:00 +14:00"]
LOCAL_BAD = ["2026-11-01T10:00+15:00", "2026-11-01T10:00+02:00", "2026-03-29T02:30", "10:00"]
TIME_FORM_FIELDS = (
    forms.DateTimeField,
    forms.SplitDateTimeField,
    LocalDateTimeField,
    AwareDateTimeField,
    TypedTimeField,
)


def _import_all() -> None:
    for package in (incidents, accounts):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if not any(part in module.name for part in ("migrations", "management")):
                importlib.import_module(module.name)


def _subclasses(base: type) -> list[Any]:
    _import_all()
    found: list[Any] = []
    stack: list[Any] = [base]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith(("incidents.", "accounts.")) and sub not in found:
                found.append(sub)
    return found


def _fields(cls: type) -> dict[str, Any]:
    try:
        return dict(cls().fields)
    except Exception:  # needs arguments to build: not an input serializer
        return {}


def _serializer_time_fields() -> list[tuple[type, str, Any]]:
    out: list[tuple[type, str, Any]] = []
    for cls in _subclasses(serializers.Serializer):
        for name, field in _fields(cls).items():
            if isinstance(field, serializers.DateTimeField) and not field.read_only:
                out.append((cls, name, field))
    return out


def _form_time_fields() -> list[tuple[Any, str]]:
    return [
        (cls, name)
        for cls in _subclasses(forms.BaseForm)
        for name, field in getattr(cls, "base_fields", {}).items()
        if isinstance(field, TIME_FORM_FIELDS)
    ]


def test_every_api_date_time_input_is_the_one_field_class():
    found = _serializer_time_fields()
    wrong = [f"{c.__module__}.{c.__name__}.{n}" for c, n, f in found if not isinstance(f, UtcDateTimeField)]
    assert wrong == []
    names = {f"{c.__name__}.{n}" for c, n, _ in found}
    # Never vacuous: incident milestones, state-change times, timeline entries and a sender's alerts.
    assert {
        "IncidentDeclareSerializer.started_at",
        "ResolveSerializer.at",
        "AlertSerializer.startsAt",
    } <= names
    assert any(n.endswith(".occurred_at") for n in names)


def _serializer_errors(cls: type, name: str, value: Any) -> dict[str, Any]:
    serializer = cls(data={name: value}, partial=True)
    serializer.is_valid()
    return dict(serializer.errors)


def test_every_api_date_time_input_refuses_a_bad_offset_or_none_naming_the_field():
    checked = 0
    for cls, name, _ in _serializer_time_fields():
        for value in API_BAD:
            errors = _serializer_errors(cls, name, value)
            assert name in errors, f"{cls.__name__}.{name} took {value!r}"
            checked += 1
        for value in API_GOOD:  # the field alone: a serializer's validate() may want its other fields
            cls().fields[name].run_validation(value)
    assert checked >= 10 * len(API_BAD)


def test_an_offset_outside_the_rule_is_named_in_the_api_answer(api_for, commander, incident):
    for offset in ("+15:00", "+25:00", "-12:30"):
        answer = api_for(commander).post(
            f"/api/v1/incidents/{incident.number}/resolve/",
            {"at": f"2026-11-01T10:00:00{offset}"},
            format="json",
        )
        assert answer.status_code == 400
        assert "-12:00 and +14:00" in " ".join(answer.json()["at"])
    entry = api_for(commander).post(
        "/api/v1/timeline-entries/",
        {"incident": incident.number, "body": "x", "occurred_at": "2026-11-01T10:00:00+15:00"},
        format="json",
    )
    assert entry.status_code == 400
    assert "occurred_at" in entry.json()


def _form_errors(cls: type, name: str, value: str) -> dict[str, Any]:
    form = cls(data={name: value})
    form.is_valid()
    return dict(form.errors)


@pytest.mark.parametrize("zone", ["Europe/Copenhagen"])
def test_every_form_time_field_refuses_a_bad_offset_naming_the_field(zone):
    found = _form_time_fields()
    kinds = {type(cls.base_fields[name]) for cls, name in found}
    assert {LocalDateTimeField, TypedTimeField} <= kinds  # never vacuous
    assert forms.DateTimeField not in kinds  # every time box is one of Hindsight's, with its rules
    with timezone.override(zone):
        for cls, name in found:
            field = cls.base_fields[name]
            bad = LOCAL_BAD if isinstance(field, LocalDateTimeField) else TYPED_BAD
            if isinstance(field, AwareDateTimeField):
                bad = [v for v in API_BAD if isinstance(v, str) and v]
            for value in bad:
                assert name in _form_errors(cls, name, value), f"{cls.__name__}.{name} took {value!r}"
            if isinstance(field, TypedTimeField):
                for value in TYPED_GOOD:
                    assert name not in _form_errors(cls, name, value), (
                        f"{cls.__name__}.{name} refused {value!r}"
                    )


def test_imports_and_typed_boxes_share_the_rule():
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    parsed = parse_transcript(
        "[2026-11-01 10:00 +15:00] ana: out of range\n[2026-11-01 10:00 +14:00] ana: Kiribati\n",
        zone=UTC,
        first_date=date(2026, 11, 1),
    )
    assert [r.text for r in parsed.rows] == ["Kiribati"]
    assert "-12:00 and +14:00" in parsed.problems[0][1]
    for offset in BAD_OFFSETS:
        with pytest.raises(TimeParseError):
            parse_time(f"2026-11-01 10:00 {offset}", zone=UTC, now=now)
    assert offset_refusal(timedelta(hours=14)) is None
    assert offset_refusal(timedelta(hours=-12)) is None
    assert "+14:30" in (offset_refusal("+14:30") or "")
    assert offset_refusal(timedelta(hours=5, minutes=30, seconds=15)) is not None
