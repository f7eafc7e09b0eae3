"""Attachments: files and screenshots uploaded to an incident (optionally to one of its timeline entries).

The bytes live in Django's default storage (under MEDIA_ROOT on disk, or a bucket), at a name Hindsight makes
up (`attachments/<incident id>/<random>.<ext>`): nothing a person typed reaches a path. They are served only
by the permission-checked download views, never by a static route.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


def attachment_path(instance: Any, filename: str) -> str:
    """The storage name of an upload: under its incident's folder, a random stem, the allowlisted extension
    of `filename` (which the service has already sanitised and checked)."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"attachments/{instance.incident_id}/{uuid.uuid4().hex}.{ext}"


def thumbnail_path(instance: Any, filename: str) -> str:
    """The storage name of an image's thumbnail, beside its image."""
    return f"attachments/{instance.incident_id}/thumbs/{uuid.uuid4().hex}.png"


class Attachment(models.Model):
    """One uploaded file on `incident`, optionally on one of its timeline entries (`entry`).

    `name` is the sanitised file name shown and offered on download; `content_type` one of the allowlist
    (`incidents.incident.services.attachments.ALLOWED`), decided from the bytes, not from what the browser
    said; `size` in bytes of what is stored (an image's re-encoded bytes). Images (`is_image`) were
    re-encoded (no EXIF, nothing appended) and have a `thumbnail` (PNG, at most 320 px a side).
    """

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="attachments")
    entry = models.ForeignKey(
        "incidents.TimelineEntry",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attachments",
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    thumbnail = models.FileField(upload_to=thumbnail_path, max_length=200, blank=True)
    name = models.CharField(max_length=150)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        """True for the image types, shown inline (everything else is offered as a download)."""
        return self.content_type.startswith("image/")
