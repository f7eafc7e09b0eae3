"""Web forms. They parse input; services validate the domain rules and save."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from incidents.incident.custom_values import form_key
from incidents.incident.person_fields import NOT_PICKABLE, PeopleField, PersonField  # noqa: F401 - re-exported
from incidents.incident.type_forms import custom_formfields
from incidents.inputs import BoundedDateField, TextField, text_formfield
from incidents.models import (
    CustomField,
    Incident,
    IncidentStatus,
    IncidentType,
    Service,
    Severity,
    Visibility,
)
from incidents.timefmt import format_time
from incidents.timeparse import NonExistentTimeError, TimeParseError, localize, offset_refusal, zone_name

PICKS = (("", "—"), ("earlier", "the earlier"), ("later", "the later"))
PICK_VALUES = frozenset(v for v, _ in PICKS)


class LocalDateTimeInput(forms.DateTimeInput):
    """A `datetime-local` input, and beside it (when `show_pick` is set) a choice between the two instants
    a wall-clock time can mean on a daylight-saving change (`<name>_pick`: "", "earlier" or "later").

    The input carries no offset, so the choice is how a form says which of the two a repeated hour means,
    or which reading of a time the clocks skipped it takes.

    The input shows minutes; beside it a hidden `<name>_exact` carries the exact instant the form showed
    (ISO-8601 in UTC, seconds and microseconds kept), so a stale form sent back still says which instant
    its minute stood for (see `LocalDateTimeField`). Its data is `(text, pick, exact)`.
    """

    input_type = "datetime-local"
    # The form's initial value keeps its microseconds (Django drops them for a widget without), so the
    # field can tell the stored instant from its minute; the input still shows minutes (`format`).
    supports_microseconds = True

    def __init__(self, attrs: dict[str, Any] | None = None, *, show_pick: bool = False) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")
        self.show_pick = show_pick

    def value_from_datadict(self, data: Any, files: Any, name: str) -> tuple[Any, str, str]:
        return data.get(name), str(data.get(f"{name}_pick") or ""), str(data.get(f"{name}_exact") or "")

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return all(n not in data for n in (name, f"{name}_pick", f"{name}_exact"))

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        pick = exact = ""
        readings = None
        zone = timezone.get_current_timezone()
        if isinstance(value, (tuple, list)):
            value, pick, exact = (*value, "", "")[:3]
            if (wall := _wall_clock(value)) is not None:
                readings = _readings(wall, zone)
        elif isinstance(value, datetime) and timezone.is_aware(value):
            exact = value.astimezone(UTC).isoformat()
            local = timezone.localtime(value)
            readings = _readings(local.replace(tzinfo=None), local.tzinfo)
            if readings:  # a repeated hour: keep its instant
                pick = "later" if local.fold else "earlier"
            value = local
        html = super().render(name, value, attrs, renderer)
        if exact_instant(exact) is not None:
            html = format_html('{}<input type="hidden" name="{}_exact" value="{}">', html, name, exact)
        if not (self.show_pick or pick or readings):
            return html
        # Both instants a time in a repeated hour (or a skipped one) can mean, named in the option itself,
        # so the choice is whole without JavaScript and before any failed save.
        named = dict(zip(("earlier", "later"), readings or (), strict=False))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (v, " selected" if v == pick else "",
                 f"{label}: {format_time(named[v], zone, offset=True)}" if v in named else label)
                for v, label in PICKS
            ),
        )  # fmt: skip
        return format_html(
            '{} <label class="dst-pick">if the clocks changed: <select name="{}_pick">{}</select></label>',
            html,
            name,
            options,
        )


def _wall_clock(text: Any) -> datetime | None:
    """The naive wall-clock time a form's input sent (`LocalDateTimeField.input_formats`), or None."""
    for fmt in LocalDateTimeField.input_formats:
        try:
            return datetime.strptime(str(text or "").strip(), fmt)  # noqa: DTZ007 - a wall-clock time
        except ValueError:
            continue
    return None


def _readings(wall: datetime, zone: Any) -> tuple[datetime, datetime] | None:
    """The two instants (earlier first) a wall-clock time means in `zone` on a daylight-saving change, or
    None when it means exactly one."""
    try:
        localize(wall, zone)
    except TimeParseError as exc:
        return exc.candidates[0], exc.candidates[1]
    return None


def exact_instant(text: Any) -> datetime | None:
    """The aware instant a form's hidden `<name>_exact` carries (ISO-8601 with an offset), or None when it
    is empty, unreadable, has no offset or one no place uses (`offset_refusal`; then the form's initial value stands in for it)."""
    if isinstance(text, datetime):
        return text if timezone.is_aware(text) else None
    try:
        value = datetime.fromisoformat(str(text or ""))
    except ValueError:
        return None
    if not timezone.is_aware(value) or offset_refusal(value.utcoffset()):
        return None
    return value


def keep_stored_instant(sent: datetime | None, stored: Any) -> datetime | None:
    """`stored` when `sent` is its minute (what a minute-precision input shows of it), else `sent`."""
    if (
        isinstance(stored, datetime)
        and isinstance(sent, datetime)
        and timezone.is_aware(stored)
        and sent == stored.replace(second=0, microsecond=0)
    ):
        return stored
    return sent


class LocalDateTimeField(forms.Field):
    """A datetime typed in the viewer's zone (Django's current zone); cleaned to a UTC-aware datetime.

    A wall-clock time the clocks skip (a daylight-saving gap) or repeat (an overlap) is refused with a
    message that names the zone and both instants (in the zone, with their UTC offsets, and in UTC); the
    widget then shows a choice beside the time ("the earlier" / "the later"), and saving again with a choice
    takes that instant. A value already stored in a repeated hour is shown with its choice made, so saving
    the form unchanged keeps it. A choice other than "", "earlier" or "later" is a form error, never ignored.

    The input shows minutes, so a time sent back in the same minute as the instant the form showed cleans
    to that instant, seconds and microseconds included, in every form with such a field. The instant shown
    is the one the form carried (its hidden `<name>_exact`), else the form's initial value (what is stored
    now). Without it, saving an incident's form to fix its title cut every milestone that came from the
    API, an alert or a backfill to the minute; and a stale form, sent back after someone else moved that
    milestone, sent a minute that differed from the version it was based on, so an untouched milestone was
    reported as changed by both, and keeping "mine" undid the other person's edit.
    """

    widget = LocalDateTimeInput
    input_formats = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
    default_error_messages = {
        "invalid": "Enter a date and time, e.g. 2026-03-10 14:05.",
        "pick": "If the clocks changed, choose “the earlier” or “the later” (or leave the choice empty).",
    }

    def __init__(self, *, show_pick: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("widget", LocalDateTimeInput(show_pick=show_pick))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        text, pick = (*value, "")[:2] if isinstance(value, (tuple, list)) else (value, "")
        if pick not in PICK_VALUES:
            raise ValidationError(self.error_messages["pick"], code="pick")
        if isinstance(text, datetime):
            return text if timezone.is_aware(text) else localize(text, timezone.get_current_timezone())
        text = str(text or "").strip()
        if not text:
            return None
        for fmt in self.input_formats:
            try:
                wall = datetime.strptime(text, fmt)  # noqa: DTZ007 - a wall-clock time, placed in the zone below
                break
            except ValueError:
                continue
        else:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        zone = timezone.get_current_timezone()
        try:
            return localize(wall, zone)
        except TimeParseError as exc:
            earlier, later = exc.candidates
            if pick in ("earlier", "later"):
                return earlier if pick == "earlier" else later
            cast(LocalDateTimeInput, self.widget).show_pick = True
            both = (
                f"the earlier is {format_time(earlier, zone, offset=True)} ({format_time(earlier, UTC)}), "
                f"the later {format_time(later, zone, offset=True)} ({format_time(later, UTC)})"
            )
            wall_text = wall.strftime("%Y-%m-%d %H:%M")
            if isinstance(exc, NonExistentTimeError):
                message = (
                    f"{wall_text} does not exist in {zone_name(zone)}: the clocks jumped forward. "
                    f"Read at the offset before or after the change, {both}. Correct the time, or choose "
                    "“the earlier” or “the later” beside it."
                )
            else:
                message = (
                    f"{wall_text} happens twice in {zone_name(zone)}: the clocks went back; {both}. "
                    "Choose “the earlier” or “the later” beside the time."
                )
            raise ValidationError(message, code="dst") from None

    def prepare_value(self, value: Any) -> Any:
        return value

    def _clean_bound_field(self, bf: forms.BoundField) -> datetime | None:
        # Django's hook for a field that needs its form's initial value when cleaning (FileField uses it
        # so): the cleaned value is compared with the stored instant it was shown from.
        # The instant the form showed is the one it carried, when it carried one.
        data = bf.initial if self.disabled else bf.data
        cleaned = self.clean(data)
        shown = exact_instant(data[2]) if isinstance(data, (tuple, list)) and len(data) > 2 else None
        return keep_stored_instant(cleaned, shown or bf.initial)


class IncidentTypeChoiceField(forms.ModelChoiceField):
    """An incident type, each labelled with the defaults it applies ("Security (SEV2, restricted)")."""

    def label_from_instance(self, obj: Any) -> str:
        restricted = ", restricted" if obj.restricted_by_default else ""
        return f"{obj.name} ({obj.default_severity}{restricted})"


TYPE_DEFAULT = "The type's default"


class DeclareForm(forms.Form):
    title = TextField(
        max_length=200, widget=forms.TextInput(attrs={"autofocus": True, "placeholder": "What is broken?"})
    )
    incident_type = IncidentTypeChoiceField(
        queryset=IncidentType.objects.filter(archived=False),
        required=False,
        label="Type",
        empty_label="No type",
        help_text="Its severity, visibility and postmortem template apply unless you choose others.",
    )
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.SEV3)
    started_at = LocalDateTimeField(
        required=False,
        help_text="Leave empty for the declaration time (now, unless given below). Your time zone.",
    )
    declared_at = LocalDateTimeField(
        required=False, label="Declared at", help_text="For an incident recorded afterwards; empty for now."
    )
    services = forms.ModelMultipleChoiceField(queryset=Service.objects.all(), required=False)
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.INTERNAL, required=False)
    summary = TextField(widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="Markdown.")
    # One id per rendered form: a double click or a resubmitted page declares one incident, not two.
    submission = forms.UUIDField(widget=forms.HiddenInput, required=False, initial=uuid.uuid4)

    def __init__(self, *args: Any, people: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.custom_fields: list[CustomField] = []
        types = IncidentType.objects.filter(archived=False)
        if not types.exists():
            del self.fields["incident_type"]  # nothing to choose: the form stays as short as it was
            return
        # The chosen type's custom fields follow the type select (the page swaps them in on a change).
        chosen = self.data.get("incident_type") if self.is_bound else self.initial.get("incident_type")
        text = str(chosen or "")
        number = text.isascii() and text.isdigit() and len(text) < 10
        chosen_type = types.filter(pk=int(text)).first() if number else None
        if chosen_type is not None:
            self.custom_fields = list(chosen_type.fields.all())
            self.fields.update(custom_formfields(self.custom_fields, people))
        # With types, an empty severity or visibility is the chosen type's (SEV3 and internal without one).
        severity = cast(forms.ChoiceField, self.fields["severity"])
        severity.choices = [("", TYPE_DEFAULT), *Severity.choices]
        severity.required, severity.initial = False, ""
        visibility = cast(forms.ChoiceField, self.fields["visibility"])
        visibility.choices = [("", TYPE_DEFAULT), *Visibility.choices]
        visibility.initial = ""

    def standard_fields(self) -> list[forms.BoundField]:
        """The visible fields other than the chosen type's custom fields."""
        return [f for f in self.visible_fields() if not f.name.startswith("cf_")]

    def type_fields(self) -> list[forms.BoundField]:
        """The chosen type's custom fields (`cf_<key>`), in the type's order."""
        return [self[form_key(f.key)] for f in self.custom_fields]

    def clean(self) -> dict[str, Any]:
        """Only a title is required: without a type, an empty severity is SEV3 and visibility internal."""
        data = super().clean() or {}
        if not data.get("incident_type"):
            data["severity"] = data.get("severity") or Severity.SEV3
            data["visibility"] = data.get("visibility") or Visibility.INTERNAL
        return data


class IncidentFilterForm(forms.Form):
    """The incident list's filters; with a type chosen, one more for each of its custom fields
    (`cf_<key>`: text and links match a part, options, numbers, dates and people match exactly)."""

    status = forms.ChoiceField(choices=[("", "Any status"), *IncidentStatus.choices], required=False)
    severity = forms.ChoiceField(choices=[("", "Any severity"), *Severity.choices], required=False)
    service = forms.ChoiceField(required=False)
    incident_type = forms.ChoiceField(required=False, label="Type")
    started_from = BoundedDateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    started_to = BoundedDateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        service = cast(forms.ChoiceField, self.fields["service"])
        service.choices = [("", "Any service"), *Service.objects.values_list("slug", "name")]
        kind = cast(forms.ChoiceField, self.fields["incident_type"])
        kind.choices = [("", "Any type"), *IncidentType.objects.values_list("slug", "name")]
        chosen = IncidentType.objects.filter(slug=str(self.data.get("incident_type") or "")).first()
        self.custom_fields = list(chosen.fields.all()) if chosen else []
        for field in self.custom_fields:
            choices = [("", "Any"), *((o, o) for o in field.options)] if field.options else None
            self.fields[form_key(field.key)] = (
                forms.ChoiceField(label=field.label, choices=choices, required=False)
                if choices
                else forms.CharField(label=field.label, required=False, max_length=200)
            )

    def criteria(self) -> dict[str, Any]:
        """The cleaned filters as `incident_list_for` takes them (empty ones left out)."""
        data = self.cleaned_data
        out = {k: data[k] for k in self.base_fields if data.get(k)}
        custom = {f.key: data.get(form_key(f.key)) for f in self.custom_fields}
        if any(custom.values()):
            out["custom"] = {k: v for k, v in custom.items() if v}
        return out


class IncidentEditForm(forms.ModelForm):
    started_at = LocalDateTimeField()
    detected_at = LocalDateTimeField(required=False)
    acknowledged_at = LocalDateTimeField(required=False)
    mitigated_at = LocalDateTimeField(required=False)
    resolved_at = LocalDateTimeField(required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Incident
        formfield_callback = text_formfield
        fields = [
            "title", "summary", "customer_impact", "detection_method", "visibility", "incident_type",
            "started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at",
            "chat_channel_url", "dashboard_url", "change_url", "feature_flag",
        ]  # fmt: skip
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 5}),
            "customer_impact": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"incident_type": "Type"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Archived types are not offered, except the one the incident has.
        current = self.instance.incident_type_id if self.instance else None
        kind = cast(forms.ModelChoiceField, self.fields["incident_type"])
        kind.queryset = IncidentType.objects.filter(Q(archived=False) | Q(pk=current))
        kind.empty_label = "No type"


WHEN_HELP = "When it happened, in your time zone; empty for now."


def _when() -> LocalDateTimeField:
    # The action forms answer with a redirect, so the choice for a clock change is always beside them.
    widget = LocalDateTimeInput(attrs={"aria-label": "When (your time zone; empty for now)"}, show_pick=True)
    return LocalDateTimeField(required=False, label="When", help_text=WHEN_HELP, widget=widget)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=IncidentStatus.choices)
    when = _when()


class SeverityForm(forms.Form):
    severity = forms.ChoiceField(choices=Severity.choices)
    reason = TextField(required=False, max_length=500)
    when = _when()


class ReopenForm(forms.Form):
    reason = TextField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    when = _when()


ROLE_CHOICES = (("commander", "Commander"), ("communications_lead", "Comms lead"), ("scribe", "Scribe"))


class RoleForm(forms.Form):
    """Give a role (commander, comms lead, scribe) to a person among `people`, or clear it (`clear`), at
    the incident `version` the page showed (optional: without it the change is not checked for staleness)."""

    role = forms.ChoiceField(choices=ROLE_CHOICES)
    person = PersonField(required=False)
    clear = forms.BooleanField(required=False)
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(PersonField, self.fields["person"]).queryset = people

    def clean(self) -> dict[str, Any]:
        # Enter in the search box without picking anyone must not clear the role: clearing is its own button.
        data = super().clean() or {}
        if not data.get("person") and not data.get("clear") and "person" not in self.errors:
            self.add_error("person", NOT_PICKABLE)
        return data


class ParticipantForm(forms.Form):
    """Add or remove a participant: `action` "add" or "remove" and the person (`people`: whom the user may
    add, or the current participants for a removal)."""

    action = forms.ChoiceField(choices=(("add", "Add"), ("remove", "Remove")))
    person = PersonField(error_messages={"required": NOT_PICKABLE})

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(PersonField, self.fields["person"]).queryset = people
