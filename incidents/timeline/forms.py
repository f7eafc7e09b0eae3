from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from accounts.models import validate_time_zone
from incidents.inputs import TextField, TypedTimeField
from incidents.models import EntryKind
from incidents.timeline.models import EvidenceMarker
from incidents.timeparse import DEFAULT_MAX_FUTURE, BareClock, TimeParseError, parse_time

# --- Timeline (quick add, edit, import) -------------------------------------------------------------------

_RECORDABLE_KINDS = [c for c in EntryKind.choices if c[0] != EntryKind.STATUS_CHANGE]


def _parse_when(
    text: str, *, max_future: timedelta | None = None, bare_clock: BareClock | None = None
) -> datetime:
    """The UTC instant of `text` read in the viewer's zone (a bare clock time on `bare_clock`'s days, see
    `incidents.timeparse`); a form error when it does not parse."""
    try:
        return parse_time(
            text,
            zone=timezone.get_current_timezone(),
            now=timezone.now(),
            max_future=max_future or DEFAULT_MAX_FUTURE,
            bare_clock=bare_clock,
        ).instant
    except TimeParseError as exc:
        raise forms.ValidationError(str(exc)) from None


class QuickAddForm(forms.Form):
    """One line of timeline: text, kind (note by default) and an optional time typed in the viewer's zone.

    `cleaned_data["occurred_at"]` is the UTC instant (now when the time is left empty). `bare_clock` (the
    incident's `selectors.bare_clock_span`) puts a bare clock time on the incident's days.
    """

    body = TextField(max_length=20_000, strip=True)
    kind = forms.ChoiceField(choices=_RECORDABLE_KINDS, initial=EntryKind.NOTE, required=False)
    when = TypedTimeField(max_length=80, required=False, strip=True)

    def __init__(self, *args: Any, bare_clock: BareClock | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bare_clock = bare_clock

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or EntryKind.NOTE

    def clean(self) -> dict:
        data = super().clean() or {}
        if "when" in data:
            try:
                data["occurred_at"] = _parse_when(data["when"], bare_clock=self.bare_clock)
            except forms.ValidationError as exc:
                self.add_error("when", exc)
        return data


class EntryEditForm(forms.Form):
    """Edit a timeline entry; the time is shown with its offset so it is never ambiguous. A bare clock
    time (`14:05`) is read on the entry's own local day, at that day's offset (`occurred_at`: the entry's
    instant as the form was opened), not today."""

    body = TextField(max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}), required=False, strip=True)
    kind = forms.ChoiceField(choices=EntryKind.choices, required=False)
    when = TypedTimeField(max_length=80, required=False, strip=True, label="Time")
    evidence = forms.ChoiceField(choices=[("", "No marker"), *EvidenceMarker.choices], required=False)
    knew_then = TextField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="What we knew then", max_length=5000
    )
    is_key_moment = forms.BooleanField(required=False, label="Key moment")
    # The entry's `updated_at` when the form was opened: a save based on an older one is refused.
    based_on = TextField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, occurred_at: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bare_clock = None if occurred_at is None else (occurred_at, occurred_at)

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("when"):
            try:
                data["occurred_at"] = _parse_when(data["when"], bare_clock=self.bare_clock)
            except forms.ValidationError as exc:
                self.add_error("when", exc)
        return data


class TimelineImportForm(forms.Form):
    """Paste (or upload) a transcript, Slack export or CSV, say which zone its times are in."""

    format = forms.ChoiceField(
        choices=[
            ("transcript", "Chat transcript ([2025-03-10 14:05] someone: text)"),
            ("slack", "Slack channel export (JSON)"),
            ("csv", "CSV (time,author,text)"),
        ]
    )
    zone = TextField(max_length=64, label="Times are in zone")
    first_date = forms.DateField(
        required=False,
        label="Date for lines without one",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),  # ISO, as type=date needs
        help_text="Transcripts whose lines carry only a time start on this day.",
    )
    content = TextField(widget=forms.Textarea(attrs={"rows": 12}), required=False, strip=False)
    upload = forms.FileField(required=False, label="…or a file")
    include_duplicates = forms.BooleanField(required=False, label="Import duplicates too")

    def clean_zone(self) -> str:
        zone = self.cleaned_data["zone"].strip()
        validate_time_zone(zone)
        return zone

    def clean(self) -> dict:
        data = super().clean() or {}
        upload = data.get("upload")
        if upload:
            if upload.size > 5_000_000:
                self.add_error("upload", "The file is larger than 5 MB.")
            else:
                try:
                    data["content"] = upload.read().decode("utf-8-sig")
                except UnicodeDecodeError:
                    self.add_error("upload", "The file is not UTF-8 text.")
        if not (data.get("content") or "").strip() and not self.errors:
            self.add_error("content", "Paste the transcript, export or CSV here.")
        return data
