"""Forms of the alert integration pages."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from accounts.models import Team
from incidents.inputs import TextField
from incidents.integrations.models import AlertIntegration, IntegrationKind
from incidents.models import Service, Severity


class SeverityMapField(forms.Field):
    """Lines of `value = SEV1`; an empty field keeps the sender's usual mapping."""

    widget = forms.Textarea(attrs={"rows": 5})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return "\n".join(f"{k} = {v}" for k, v in value.items())
        return value

    def to_python(self, value: Any) -> dict[str, str] | None:
        text = str(value or "")
        if not text.strip():
            return None
        mapping: dict[str, str] = {}
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            key, sep, sev = line.partition("=")
            sev = sev.strip().upper()
            if not sep or not key.strip() or sev not in Severity.values:
                raise forms.ValidationError(f"Line {number}: write `value = SEV1` (SEV1 to SEV4).")
            mapping[key.strip()] = sev
        return mapping


class IntegrationForm(forms.Form):
    name = TextField(max_length=100, help_text="What sends, for example prod-alertmanager.")
    kind = forms.ChoiceField(choices=IntegrationKind.choices)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, help_text="Owner team.")
    services = forms.ModelMultipleChoiceField(queryset=Service.objects.order_by("name"), required=False)
    severity_label = TextField(
        max_length=100,
        initial="severity",
        help_text="Alertmanager and Grafana: the label that holds the severity.",
    )
    severity_map = SeverityMapField(
        required=False, help_text="One `value = SEV1` per line; leave empty for the sender's usual values."
    )
    default_severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.SEV3)
    resolve_when_all_resolved = forms.BooleanField(
        required=False, label="Resolve (not only mitigate) when every alert is resolved"
    )
    signing_secret = TextField(
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text="PagerDuty and Grafana: the signing secret. Leave empty to keep the stored one.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(
        self,
        *args: Any,
        teams: Any,
        services: Any = None,
        editing: AlertIntegration | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = teams
        if services is not None:
            cast(forms.ModelMultipleChoiceField, self.fields["services"]).queryset = services
        if editing is not None:
            self.fields["kind"].disabled = True
            self.fields["clear_secret"] = forms.BooleanField(
                required=False, label="Remove the signing secret"
            )
