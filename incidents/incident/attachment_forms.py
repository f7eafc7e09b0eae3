"""The attachment upload form of the incident page."""

from __future__ import annotations

from django import forms

# What the file picker offers first (the service decides what is taken, from the bytes).
ACCEPT = "image/png,image/jpeg,image/gif,image/webp,.pdf,.txt,.log,.md,.csv,.json,.zip,.gz"


class AttachmentForm(forms.Form):
    """`file` (one upload; what is taken and how large is checked by the service) and, optionally, the id of
    the timeline `entry` it belongs to."""

    file = forms.FileField(
        label="File or screenshot",
        allow_empty_file=True,
        widget=forms.ClearableFileInput(
            attrs={"accept": ACCEPT}
        ),  # the service says "The file is empty." in its own words
        error_messages={"required": "Choose a file to upload."},
    )
    entry = forms.IntegerField(min_value=1, max_value=2**62, required=False, widget=forms.HiddenInput)
