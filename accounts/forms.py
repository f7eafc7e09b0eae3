from __future__ import annotations

import zoneinfo
from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from accounts.models import Membership, Team, User


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self) -> str:
        """Emails are stored lower-cased (`UserManager.create_user`), so sign-in ignores letter case."""
        return self.cleaned_data["username"].strip().lower()


def _zone_choices() -> list[tuple[str, str]]:
    return [(z, z) for z in sorted(zoneinfo.available_timezones()) if "/" in z or z == "UTC"]


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(choices=_zone_choices, help_text="Every time is shown in this zone.")

    class Meta:
        model = User
        fields = ["display_name", "time_zone", "digest_enabled", "digest_weekday", "digest_hour"]
        widgets = {"digest_hour": forms.NumberInput(attrs={"min": 0, "max": 23})}

    def clean_digest_hour(self) -> int:
        hour = self.cleaned_data["digest_hour"]
        if not 0 <= hour <= 23:
            raise forms.ValidationError("Choose an hour from 0 to 23.")
        return hour


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, for example deploy-bot.")
    access = forms.ChoiceField(
        choices=[("read", "Read only"), ("write", "Read and write")],
        initial="read",
        widget=forms.RadioSelect,
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class InvitationForm(forms.Form):
    email = forms.EmailField()
    team = forms.ModelChoiceField(queryset=Team.objects.none())
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.RESPONDER)

    def __init__(self, *args: Any, teams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = teams


class AcceptInvitationForm(forms.Form):
    display_name = forms.CharField(max_length=150, required=False, label="Your name")
    time_zone = forms.ChoiceField(choices=_zone_choices, initial="UTC")
    password1 = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data
