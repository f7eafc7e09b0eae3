"""Forms of the notification settings pages."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms

from incidents.inputs import TextField
from incidents.models import Severity
from incidents.outbound import OutboundRefused, guard_url


class MailingListsForm(forms.Form):
    """One textarea of addresses per severity."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for value, label in Severity.choices:
            self.fields[value] = TextField(
                label=label, required=False, widget=forms.Textarea(attrs={"rows": 2}),
                help_text="One email address per line.",
            )  # fmt: skip


class TeamChatForm(forms.Form):
    chat_webhook_url = TextField(
        label="Incoming webhook URL", required=False, max_length=200,
        help_text="Slack-compatible or Microsoft Teams incoming webhook (https). Empty: no chat messages.",
    )  # fmt: skip
    time_zone = forms.ChoiceField(
        label="Time zone of chat messages", initial="UTC", required=False,
        choices=lambda: [(z, z) for z in sorted(zoneinfo.available_timezones())],
        help_text="Chat messages give times in this zone, with UTC beside them. Empty: unchanged.",
    )  # fmt: skip

    def clean_chat_webhook_url(self) -> str:
        """Refuse loopback, private and reserved targets here; sending checks again after resolving the name."""
        url = str(self.cleaned_data.get("chat_webhook_url") or "").strip()
        if url:
            try:
                guard_url(url, resolve=False)
            except OutboundRefused as exc:
                raise forms.ValidationError(str(exc)) from exc
        return url
