"""Chat channels linked to incidents, and chat messages already captured into a timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ChatProvider(models.TextChoices):
    SLACK = "slack", "Slack"
    MATTERMOST = "mattermost", "Mattermost"


class ChatChannel(models.Model):
    """A channel (per provider and workspace) that belongs to one incident: notes typed there go to it."""

    provider = models.CharField(max_length=12, choices=ChatProvider.choices)
    workspace = models.CharField(max_length=100, help_text="Slack team id, Mattermost team id.")
    channel_id = models.CharField(max_length=100)
    channel_name = models.CharField(max_length=200, blank=True)
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="chat_channels")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "workspace", "channel_id"], name="one_incident_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.channel_name or self.channel_id} ({self.get_provider_display()})"


class ChatCapture(models.Model):
    """A chat message added to a timeline ("Add to timeline"): once per message."""

    provider = models.CharField(max_length=12, choices=ChatProvider.choices)
    workspace = models.CharField(max_length=100)
    channel_id = models.CharField(max_length=100)
    message_ts = models.CharField(max_length=40)
    entry = models.ForeignKey("incidents.TimelineEntry", on_delete=models.CASCADE, related_name="+")
    captured_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "workspace", "channel_id", "message_ts"], name="one_capture_per_message"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}/{self.message_ts}"


class ChatRequestSeen(models.Model):
    """A signed chat request already taken (its signature's SHA-256), so the same request sent again
    within the five minutes its timestamp is valid is refused (a replay). Rows older than that are pruned,
    or after `kept_until` when set (a Mattermost dialog's signed state, refused for as long as it is valid)."""

    digest = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)
    kept_until = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return self.digest
