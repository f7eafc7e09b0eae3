from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone

from accounts.models import Team
from incidents.inputs import BoundedDateField
from incidents.insights import metrics
from incidents.models import Service, Severity


class InsightsFilterForm(forms.Form):
    """Filters of the insights page. Dates are the viewer's local dates; the range is half-open."""

    team = forms.ChoiceField(required=False)
    service = forms.ChoiceField(required=False)
    severity = forms.ChoiceField(choices=[("", "Any severity"), *Severity.choices], required=False)
    start = BoundedDateField(
        required=False, label="Started on or after", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = BoundedDateField(
        days_ahead=2, required=False, label="Started before", widget=forms.DateInput(attrs={"type": "date"})
    )
    period = forms.ChoiceField(choices=[("month", "Per month"), ("week", "Per week")], required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["team"]).choices = [
            ("", "Any team"),
            *Team.objects.values_list("slug", "name"),
        ]
        cast(forms.ChoiceField, self.fields["service"]).choices = [
            ("", "Any service"),
            *Service.objects.values_list("slug", "name"),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error(
                "end", "The end date must be after the start date (the range excludes the end date)."
            )
        return data

    def to_filters(self) -> metrics.MetricFilters:
        data = self.cleaned_data
        return metrics.MetricFilters(
            team=data.get("team") or "",
            service=data.get("service") or "",
            severity=data.get("severity") or "",
            start=data.get("start"),
            end=data.get("end"),
            period=data.get("period") or "month",
            zone=timezone.get_current_timezone(),
        )
