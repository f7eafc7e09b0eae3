"""Settings forms for incident types and their custom fields. They parse; the services validate and save."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms

from accounts.models import User
from incidents.incident.custom_values import MAX_TEXT, FieldValue, form_key
from incidents.incident.person_fields import PersonField
from incidents.inputs import TextField
from incidents.models import POSTMORTEM_SECTIONS, CustomField, CustomFieldKind, PostmortemTemplate, Severity


class IncidentTypeForm(forms.Form):
    name = TextField(max_length=100)
    slug = forms.SlugField(
        max_length=100,
        required=False,
        help_text="Short name for URLs, the API and filters; from the name if empty.",
    )
    description = TextField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    default_severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.SEV3)
    restricted_by_default = forms.BooleanField(
        required=False,
        help_text="Declared restricted (participants and admins only) unless chosen otherwise.",
    )
    postmortem_template = forms.ModelChoiceField(
        queryset=PostmortemTemplate.objects.all(),
        required=False,
        empty_label="The default (Full)",
        help_text="The template its postmortems start from.",
    )
    archived = forms.BooleanField(required=False, help_text="No longer offered when declaring.")
    runbook_tasks = TextField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=20000,
        label="Runbook tasks",
        help_text="Tasks each incident of this type starts with, one a line.",
    )


class CustomFieldForm(forms.Form):
    label = TextField(max_length=100)
    key = forms.SlugField(
        max_length=50, required=False, help_text="Names it in the API and exports; from the label if empty."
    )
    kind = forms.ChoiceField(choices=CustomFieldKind.choices)
    options = TextField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=20000,
        help_text="For a select: one option a line. To rename an option, edit it on its line: incidents "
        "holding it then hold the new name.",
    )
    required = forms.BooleanField(required=False, help_text="Asked when declaring and editing.")
    help_text = TextField(max_length=200, required=False, label="Help text")
    position = forms.IntegerField(min_value=0, max_value=10000, required=False, initial=0)


class _AnyChoice(forms.ChoiceField):
    """A select whose value the service checks (with the message that names the options)."""

    def valid_value(self, value: Any) -> bool:
        return True


class _AnyChoices(forms.MultipleChoiceField):
    def valid_value(self, value: Any) -> bool:
        return True


def custom_formfields(fields: Iterable[CustomField], people: Iterable[User]) -> dict[str, forms.Field]:
    """A web form field for each custom field, named `cf_<key>`. They only carry the input (the services
    validate it, the required ones included), so each is optional here and says when it is required."""
    out: dict[str, forms.Field] = {}
    people = list(people)
    for field in fields:
        help_text = " ".join(t for t in (field.help_text, "Required." if field.required else "") if t)
        common: dict[str, Any] = {"label": field.label, "required": False, "help_text": help_text}
        kind = field.kind
        formfield: forms.Field
        if kind == CustomFieldKind.SELECT:
            formfield = _AnyChoice(choices=[("", "—"), *((o, o) for o in field.options)], **common)
        elif kind == CustomFieldKind.MULTI_SELECT:
            formfield = _AnyChoices(
                choices=[(o, o) for o in field.options], widget=forms.CheckboxSelectMultiple, **common
            )
        elif kind == CustomFieldKind.USER:
            choices = [("", "—"), *((str(p.pk), p.display_name or p.email) for p in people)]
            formfield = _AnyChoice(choices=choices, **common)
        elif kind == CustomFieldKind.NUMBER:
            formfield = forms.CharField(widget=forms.NumberInput(attrs={"step": "any"}), **common)
        elif kind == CustomFieldKind.DATE:
            formfield = forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        elif kind == CustomFieldKind.LINK:
            formfield = forms.CharField(widget=forms.URLInput(attrs={"placeholder": "https://"}), **common)
        else:
            formfield = forms.CharField(max_length=MAX_TEXT, **common)
        out[form_key(field.key)] = formfield
    return out


def custom_form_values(fields: Iterable[CustomField], data: dict[str, Any]) -> dict[str, Any]:
    """The raw custom field values of a cleaned form (key -> value), for the services."""
    return {f.key: data.get(form_key(f.key)) for f in fields}


def custom_form_initial(values: Iterable[FieldValue]) -> dict[str, Any]:
    """A custom fields form's initial values (field name -> what the widget shows) from typed values."""
    initial: dict[str, Any] = {}
    for fv in values:
        value = fv.value
        if isinstance(value, User):
            value = str(value.pk)
        elif value is not None and not isinstance(value, list | str):
            value = fv.text
        initial[form_key(fv.field.key)] = value
    return initial


class CustomFieldsForm(forms.Form):
    """Edit an incident's custom field values (`fields`, its type's) at the incident `version` the page
    showed."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, fields: list[CustomField], people: Iterable[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.custom_fields = fields
        self.fields.update(custom_formfields(fields, people))


class ProcessRuleForm(forms.Form):
    """A process rule for a type and severity (the service validates and saves)."""

    postmortem_required = forms.BooleanField(
        required=False, help_text="The incident cannot close until it is published or waived."
    )
    postmortem_due_days = forms.IntegerField(
        min_value=0, max_value=365, initial=5, label="Postmortem due (business days after resolve)"
    )
    required_sections = forms.MultipleChoiceField(
        choices=POSTMORTEM_SECTIONS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Sections written before review",
    )
    questions_required = forms.BooleanField(
        required=False, label="Detection and change questions answered before review"
    )


class WaiverForm(forms.Form):
    """Why an incident needs no postmortem."""

    reason = TextField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class TaskForm(forms.Form):
    """Add a task (`title`, optional `owner` among `people`), or mark one done or not (`task`, `done`)."""

    title = TextField(max_length=200, required=False, label="New task")
    owner = PersonField(required=False, empty_label="Anyone")
    task = forms.IntegerField(min_value=1, max_value=2**62, required=False, widget=forms.HiddenInput)
    done = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, people: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if people is not None:
            cast(PersonField, self.fields["owner"]).queryset = people
