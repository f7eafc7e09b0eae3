"""Settings forms for incident types and their custom fields. They parse; the services validate and save."""

from __future__ import annotations

from django import forms

from incidents.inputs import TextField
from incidents.models import CustomFieldKind, PostmortemTemplate, Severity


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
        help_text="For a select: one option a line.",
    )
    required = forms.BooleanField(required=False, help_text="Asked when declaring and editing.")
    help_text = TextField(max_length=200, required=False, label="Help text")
    position = forms.IntegerField(min_value=0, max_value=10000, required=False, initial=0)
