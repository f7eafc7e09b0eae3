from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils import timezone

from accounts.models import Team
from incidents.inputs import BoundedDateField, TextField
from incidents.insights import metrics, search, search_kinds
from incidents.models import OPTION_KINDS, CustomField, IncidentStatus, Service, ServiceTier, Severity, Tag
from incidents.plural import plural

#: Insights opens on this many days back (in the viewer's zone) when no filter is given.
DEFAULT_DAYS = 90


class InsightsFilterForm(forms.Form):
    """Filters of the insights page. Dates are the viewer's local dates; the range is half-open."""

    team = forms.ChoiceField(required=False)
    service = forms.ChoiceField(required=False)
    severity = forms.ChoiceField(choices=[("", "Any severity"), *Severity.choices], required=False)
    tier = forms.TypedChoiceField(
        choices=[("", "Any tier"), *ServiceTier.choices],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Incidents affecting a service of this tier.",
    )
    tag = forms.ChoiceField(required=False)
    group = forms.ChoiceField(
        choices=[(k, f"By {v}") for k, v in metrics.GROUPS.items()],
        required=False,
        label="Group response times",
        help_text="Per affected service, tier (the most critical service's), team or tag.",
    )
    start = BoundedDateField(
        required=False,
        label="Started on or after",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = BoundedDateField(
        days_ahead=2,
        required=False,
        label="Started before",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    period = forms.ChoiceField(choices=[("month", "Per month"), ("week", "Per week")], required=False)
    custom_field = forms.ChoiceField(
        required=False,
        label="Group by field",
        help_text="A select field of an incident type: response times per option.",
    )
    custom_value = TextField(
        required=False,
        max_length=200,
        label="Field value",
        help_text="Only incidents holding this option of the field (every figure).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.select_fields = {
            f"{f.incident_type.slug}.{f.key}": f
            for f in CustomField.objects.select_related("incident_type")
            .filter(kind__in=OPTION_KINDS)
            .order_by("incident_type__name", "position", "id")
        }
        cast(forms.ChoiceField, self.fields["custom_field"]).choices = [
            ("", "None"),
            *((ref, f"{f.incident_type.name}: {f.label}") for ref, f in self.select_fields.items()),
        ]
        cast(forms.ChoiceField, self.fields["team"]).choices = [
            ("", "Any team"),
            *Team.objects.values_list("slug", "name"),
        ]
        cast(forms.ChoiceField, self.fields["service"]).choices = [
            ("", "Any service"),
            *Service.objects.values_list("slug", "name"),
        ]
        cast(forms.ChoiceField, self.fields["tag"]).choices = [
            ("", "Any tag"),
            *((name, name) for name in Tag.objects.order_by("name").values_list("name", flat=True)),
        ]

    @classmethod
    def default_data(cls, opening: metrics.OpeningRange) -> QueryDict:
        """What the page opens on without filters: the dates of `opening` (`metrics.opening_range`: the
        last `DEFAULT_DAYS` days in the viewer's zone, or the `DEFAULT_DAYS` up to the latest incident
        when those hold none)."""
        data = QueryDict(mutable=True)
        data["start"] = opening.start.isoformat()
        if opening.end is not None:
            data["end"] = opening.end.isoformat()
        return data

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error(
                "end", "The end date must be after the start date (the range excludes the end date)."
            )
        value = (data.get("custom_value") or "").strip()
        ref = data.get("custom_field") or ""
        if value and not ref and "custom_field" not in self.errors:
            self.add_error("custom_value", "Choose the field this value is an option of.")
        elif value and ref:
            options = self.select_fields[ref].options
            chosen = next((o for o in options if o.lower() == value.lower()), None)
            if chosen is None:
                self.add_error("custom_value", f"Choose one of: {', '.join(options)}.")
            else:
                data["custom_value"] = chosen
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
            custom_field=data.get("custom_field") or "",
            custom_value=data.get("custom_value") or "",
            tier=data.get("tier"),
            tag=data.get("tag") or "",
            group=data.get("group") or "service",
        )


class SearchForm(forms.Form):
    """The search page's query and filters: kind, incident status, dates (the viewer's local dates, `to`
    included). Every bad value is a form error (the page answers 400 with the message); the page number
    is read by `incidents.paging` (a bad one shows the first page and says so), as on every list."""

    q = TextField(required=False, max_length=search.MAX_QUERY_LENGTH, label="Search")
    kind = forms.ChoiceField(
        choices=[
            ("", "Everything"),
            *((k, plural(k).capitalize()) for k in search_kinds.KINDS),
        ],
        required=False,
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *IncidentStatus.choices], required=False)
    since = BoundedDateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = BoundedDateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean_q(self) -> str:
        query = (self.cleaned_data.get("q") or "").strip()
        if query and search.too_short(query):
            raise forms.ValidationError(f"Type at least {search.MIN_QUERY_LENGTH} characters.")
        return query

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date must be on or after the start date.")
        return data

    def to_filters(self) -> search.SearchFilters:
        """The filters as UTC instants: `since` from the start of its local day, `until` to the end of its."""
        data = self.cleaned_data
        zone = timezone.get_current_timezone()

        def start_of(day: date) -> datetime:
            return datetime.combine(day, time.min, tzinfo=zone)

        since, until = data.get("since"), data.get("until")
        return search.SearchFilters(
            kind=data.get("kind") or "",
            status=data.get("status") or "",
            since=start_of(since) if since else None,
            until=start_of(until + timedelta(days=1)) if until else None,
        )
