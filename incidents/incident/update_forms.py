"""The stakeholder update form on the incident page: it parses; `stakeholder_update_post` validates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

from incidents.incident.forms import LocalDateTimeField
from incidents.inputs import TextField
from incidents.models import UpdateStatus

#: The next update a new form offers: this long after now.
DEFAULT_PROMISE = timedelta(minutes=30)


class StakeholderUpdateForm(forms.Form):
    """Status, customer impact, what we are doing (Markdown) and the next update (in the writer's zone).

    The texts are not required here: the service names what is missing in its own words."""

    status = forms.ChoiceField(choices=UpdateStatus.choices)
    customer_impact = TextField(
        required=False,
        label="Customer impact",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What customers notice (Markdown).",
    )
    doing = TextField(
        required=False,
        label="What we are doing",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Markdown.",
    )
    next_update_at = LocalDateTimeField(
        required=False,
        label="Next update at",
        help_text="Your time zone. Empty only for a final update (status Resolved).",
    )

    def __init__(self, *args: Any, incident: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            status = getattr(incident, "status", "")
            self.initial.setdefault(
                "status", status if status in UpdateStatus.values else UpdateStatus.INVESTIGATING
            )
            soon = (timezone.now() + DEFAULT_PROMISE).replace(second=0, microsecond=0)
            self.initial.setdefault("next_update_at", soon)
