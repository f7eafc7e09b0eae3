"""Timeline entries: what happened during an incident, ordered by (occurred_at, id)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from incidents.markdown import render_markdown
from incidents.timefmt import format_time, format_times


class EntryKind(models.TextChoices):
    NOTE = "note", "Note"
    ALERT = "alert", "Alert"
    DETECTION = "detection", "Detection"
    ESCALATION = "escalation", "Escalation"
    ACTION = "action", "Action"
    DECISION = "decision", "Decision"
    COMMUNICATION = "communication", "Communication"
    CHANGE = "change", "Change / deploy"
    OBSERVATION = "observation", "Observation"
    STATUS_CHANGE = "status_change", "Status change"


# Kinds only Hindsight writes (a status change records a command): never taken from a person.
SYSTEM_KINDS = frozenset({EntryKind.STATUS_CHANGE})


class EntrySource(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "API"
    IMPORT = "import", "Import"
    SYSTEM = "system", "System"
    CHAT = "chat", "Chat"


class EvidenceMarker(models.TextChoices):
    DETECTION = "detection", "Detection"
    DIAGNOSIS = "diagnosis", "Diagnosis"
    REPAIR = "repair", "Repair"
    KEY_MOMENT = "key_moment", "Key moment"


def milestone_changes_text(changes: list[dict[str, Any]], zone: tzinfo | None = None) -> str:
    """The text of a "Milestones edited" row with the values of each milestone in `zone` (default: the
    active zone, which is the reader's), each with its UTC offset, saying what happened to it:

    - moved: `detected 2026-11-01 11:07 CET, UTC+01:00 → 2026-11-01 11:05 CET, UTC+01:00`
    - removed: `detected removed (was 2026-11-01 11:07 CET, UTC+01:00)`
    - set where it was empty: `detected set to 2026-11-01 11:05 CET, UTC+01:00`

    `changes` is the row's `milestone_changes`: dicts with `label` (`detected`), `old` and `new` (ISO-8601
    instants, or None for unset) and `note` (text appended as is, may be empty; a row stored before the
    wording was fixed said its system row "moved" when it was removed, and is read as "removed"). A move
    within one minute shows seconds (`incidents.timefmt.format_times`), so it never reads `03:35 → 03:35`."""

    def part(change: dict[str, Any]) -> str:
        old, new, note = change.get("old"), change.get("new"), change.get("note", "")
        label = change["label"]
        was, now = format_times(
            datetime.fromisoformat(old) if old else None,
            datetime.fromisoformat(new) if new else None,
            zone,
            offset=True,
            empty="unset",
        )
        if old and not new:
            return (
                f"{label} removed (was {was}){note.replace(' row moved with it)', ' row removed with it)')}"
            )
        if new and not old:
            return f"{label} set to {now}{note}"
        return f"{label} {was} → {now}{note}"

    return "Milestones edited: " + "; ".join(part(c) for c in changes)


class TimelineEntryQuerySet(models.QuerySet["TimelineEntry"]):
    def visible(self) -> TimelineEntryQuerySet:
        return self.filter(removed_at__isnull=True)

    def in_order(self) -> TimelineEntryQuerySet:
        return self.order_by("occurred_at", "id")


class TimelineEntry(models.Model):
    """One timestamped entry. `occurred_at` is when it happened (UTC), `recorded_at` when it was typed.

    `body_html` caches the sanitised rendering of `body` and is refreshed on every save.
    Removal is soft (`removed_at`), so nothing typed is lost.
    """

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, related_name="timeline_entries"
    )
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=150, blank=True, help_text="For imported entries with no user.")
    kind = models.CharField(max_length=20, choices=EntryKind.choices, default=EntryKind.NOTE)
    body = models.TextField()
    body_html = models.TextField(blank=True, editable=False)
    source = models.CharField(max_length=10, choices=EntrySource.choices, default=EntrySource.WEB)
    evidence = models.CharField(max_length=20, choices=EvidenceMarker.choices, blank=True)
    knew_then = models.TextField(blank=True, help_text="What we knew then.")
    is_key_moment = models.BooleanField(default=False)
    removed_at = models.DateTimeField(null=True, blank=True)
    # For a "Milestones edited" row: each milestone's old and new instant (see `milestone_changes_text`),
    # so every reader sees both in their own zone; `body` holds the same text in UTC. Empty otherwise.
    milestone_changes = models.JSONField(default=list, blank=True, editable=False)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TimelineEntryQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["body_html"])

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name_plural = "timeline entries"
        indexes = [
            models.Index(fields=["incident", "occurred_at", "id"]),
            models.Index(fields=["incident", "updated_at"]),
        ]

    def __str__(self) -> str:
        return f"{format_time(self.occurred_at, UTC)} {self.body[:60]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.body_html = str(render_markdown(self.body))
        self.updated_at = timezone.now()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = set(kwargs["update_fields"]) | {"body_html", "updated_at"}
        super().save(*args, **kwargs)

    @property
    def sort_micros(self) -> int:
        """`occurred_at` as integer microseconds since the epoch: the page sorts live entries by it."""
        return int(self.occurred_at.timestamp() * 1_000_000)

    def text_in(self, zone: tzinfo | None = None) -> str:
        """The entry's Markdown as a reader in `zone` (default: the active zone) reads it: `body`, except
        that a "Milestones edited" row states its instants in that zone."""
        if self.milestone_changes:
            return milestone_changes_text(self.milestone_changes, zone)
        return self.body

    def html_in(self, zone: tzinfo | None = None) -> str:
        """`text_in(zone)` rendered and sanitised (the cached `body_html` when nothing depends on the zone)."""
        if self.milestone_changes:
            return str(render_markdown(self.text_in(zone)))
        return self.body_html

    @property
    def was_edited(self) -> bool:
        """True once the entry changed after it was recorded (its history has the versions)."""
        return self.updated_at - self.recorded_at > timedelta(seconds=2)

    @property
    def display_author(self) -> str:
        if self.author_id:
            return str(self.author)
        return self.author_name or "Hindsight"


class ChangeEvent(models.Model):
    """A deploy or change reported by CI, kept in a change log per service."""

    service = models.ForeignKey("incidents.Service", on_delete=models.PROTECT, related_name="change_events")
    summary = models.CharField(max_length=255)
    commit_range = models.CharField(max_length=200, blank=True)
    diff_url = models.URLField(blank=True)
    feature_flag = models.CharField(max_length=200, blank=True)
    author = models.CharField(max_length=150, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.service}: {self.summary}"
