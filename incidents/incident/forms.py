"""Web forms. They parse input; services validate the domain rules and save."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms

from accounts.models import Team
from incidents.models import Incident, IncidentStatus, Service, Severity, Visibility


class LocalDateTimeField(forms.DateTimeField):
    """A datetime typed in the viewer's zone (Django's current zone); stored as UTC-aware.

    Django's form field makes naive input aware in the current zone; a time that does not exist or is
    ambiguous on a daylight-saving change is refused with a message.
    """

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class DeclareForm(forms.Form):
    title = forms.CharField(
        max_length=200, widget=forms.TextInput(attrs={"autofocus": True, "placeholder": "What is broken?"})
    )
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.SEV3)
    started_at = LocalDateTimeField(required=False, help_text="Leave empty for now. Your time zone.")
    declared_at = LocalDateTimeField(
        required=False, label="Declared at", help_text="For an incident recorded afterwards; empty for now."
    )
    services = forms.ModelMultipleChoiceField(queryset=Service.objects.all(), required=False)
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.INTERNAL, required=False)
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="Markdown.")
    # One id per rendered form: a double click or a resubmitted page declares one incident, not two.
    submission = forms.UUIDField(widget=forms.HiddenInput, required=False, initial=uuid.uuid4)

    def clean_visibility(self) -> str:
        """Only a title and a severity are required: a missing visibility means internal."""
        return self.cleaned_data.get("visibility") or Visibility.INTERNAL


class IncidentEditForm(forms.ModelForm):
    started_at = LocalDateTimeField()
    detected_at = LocalDateTimeField(required=False)
    acknowledged_at = LocalDateTimeField(required=False)
    mitigated_at = LocalDateTimeField(required=False)
    resolved_at = LocalDateTimeField(required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Incident
        fields = [
            "title", "summary", "customer_impact", "detection_method", "visibility",
            "started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at",
            "chat_channel_url", "dashboard_url", "change_url", "feature_flag",
        ]  # fmt: skip
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 5}),
            "customer_impact": forms.Textarea(attrs={"rows": 3}),
        }


WHEN_HELP = "When it happened, in your time zone; empty for now."


def _when() -> LocalDateTimeField:
    return LocalDateTimeField(required=False, label="When", help_text=WHEN_HELP)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=IncidentStatus.choices)
    when = _when()


class SeverityForm(forms.Form):
    severity = forms.ChoiceField(choices=Severity.choices)
    reason = forms.CharField(required=False, max_length=500)
    when = _when()


class ReopenForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    when = _when()


class ServiceForm(forms.Form):
    name = forms.CharField(max_length=100)
    slug = forms.SlugField(
        max_length=100, required=False, help_text="Short name for URLs and the API; from the name if empty."
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, help_text="The team that owns it."
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = teams


class TagForm(forms.Form):
    name = forms.CharField(max_length=50)
