from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from accounts.models import User


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
