"""Forms of the audit pages."""

from __future__ import annotations

from django import forms

from incidents.inputs import TextField


class SoftDeleteForm(forms.Form):
    reason = TextField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the history and the security log (for example: duplicate of INC-12, test data).",
    )
