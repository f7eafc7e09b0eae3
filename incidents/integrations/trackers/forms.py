"""Forms of the issue-tracker settings page."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import Team
from incidents.inputs import TextField
from incidents.integrations.trackers.configuration import parse_user_map
from incidents.integrations.trackers.models import TrackerKind


class UserMapField(forms.Field):
    """Lines of `login = email` (GitHub login or Jira accountId to a Hindsight email)."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return "\n".join(f"{k} = {v}" for k, v in value.items())
        return value

    def to_python(self, value: Any) -> dict[str, str]:
        try:
            return parse_user_map(str(value or ""))
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["user_map"]) from exc


class TrackerForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none())
    kind = forms.ChoiceField(choices=TrackerKind.choices, label="Tracker")
    site_url = forms.URLField(
        max_length=300,
        initial="https://api.github.com",
        label="API address",
        help_text="GitHub: https://api.github.com · Jira: your site, https://acme.atlassian.net · Redmine: "
        "its address, https://redmine.example.com",
    )
    project = TextField(
        max_length=200,
        help_text="GitHub: owner/repository · Jira: the project key (OPS) · Redmine: the project's identifier (ops).",
    )
    username = TextField(max_length=200, required=False, help_text="Jira: the email of the token's account.")
    issue_type = TextField(max_length=100, required=False, initial="Task", help_text="Jira: the issue type.")
    token = TextField(
        max_length=500,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="GitHub: a fine-grained token with Issues read and write · Jira: an API token · Redmine: "
        "an API key (My account → API access key). "
        "Stored encrypted; leave empty to keep the stored one.",
    )
    webhook_secret = TextField(
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the stored one (a new tracker gets a generated secret, shown once).",
    )
    user_map = UserMapField(
        required=False,
        label="People",
        help_text="One `login = person@example.com` per line: GitHub logins (or Jira accountIds, Redmine user ids) to Hindsight emails.",
    )
    auto_create_p1 = forms.BooleanField(required=False, label="Open an issue for every P1 action item")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = teams


class TrackerSettleForm(forms.Form):
    """ "Keep Hindsight's" / "Take the tracker's" on the item page: the field, the choice, and what the
    person saw (the item's `version` and the tracker's value `shown`, as `conflict_token` writes it)."""

    field = forms.ChoiceField(choices=[(f, f) for f in ("title", "status", "owner", "due_date")])
    keep = forms.ChoiceField(choices=[("hindsight", "Hindsight's"), ("tracker", "The tracker's")])
    version = forms.IntegerField(min_value=0, max_value=2**31 - 1)
    shown = TextField(max_length=1000, required=False, strip=False)
