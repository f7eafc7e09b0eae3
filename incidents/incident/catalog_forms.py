"""Settings forms of the service catalog and tags. They parse input; `directory` validates and saves."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import Team
from incidents.inputs import TextField
from incidents.models import Service, ServiceTier, Tag


class ServiceForm(forms.Form):
    name = TextField(max_length=100)
    slug = forms.SlugField(
        max_length=100, required=False, help_text="Short name for URLs and the API; from the name if empty."
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, help_text="The team that owns it."
    )
    description = TextField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    tier = forms.TypedChoiceField(
        choices=[("", "—"), *ServiceTier.choices], coerce=int, empty_value=None, required=False
    )
    runbook_url = TextField(
        max_length=500, required=False, label="Runbook", help_text="An http:// or https:// address."
    )
    dashboards = TextField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One a line: a label, then the http(s) address (Latency https://grafana.example/d/42).",
    )
    depends_on = forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(),
        required=False,
        label="Depends on",
        help_text="The services this one needs (a cycle is allowed; the list marks it).",
        error_messages={"invalid_choice": "Choose services from the list (%(value)s is not one)."},
    )

    def __init__(self, *args: Any, teams: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = teams
        cast(forms.ModelMultipleChoiceField, self.fields["depends_on"]).queryset = services

    def clean_dashboards(self) -> list[tuple[str, str]]:
        """Each line `label URL` (the URL is the last word) as a (label, URL) pair; the service checks them."""
        pairs = []
        for number, line in enumerate((self.cleaned_data.get("dashboards") or "").splitlines(), start=1):
            words = line.split()
            if not words:
                continue
            if "://" not in words[-1]:
                raise ValidationError(f"Line {number}: end it with the dashboard's http(s) address.")
            pairs.append((" ".join(words[:-1]), words[-1]))
        return pairs


def dashboards_text(dashboards: Any) -> str:
    """A service's stored dashboards as the form's text, one `label URL` a line."""
    return "\n".join(
        f"{d.get('label', '')} {d.get('url', '')}".strip() for d in dashboards or [] if isinstance(d, dict)
    )


class TagForm(forms.Form):
    name = TextField(max_length=50)


class TagMergeForm(forms.Form):
    """The tag (among `tags`, the others) that another is merged into."""

    into = forms.ModelChoiceField(
        queryset=Tag.objects.none(),
        label="Merge into",
        error_messages={
            "required": "Choose the tag to merge into.",
            "invalid_choice": "Choose another tag from the list.",
        },
    )

    def __init__(self, *args: Any, tags: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["into"]).queryset = tags
