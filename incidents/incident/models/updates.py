"""Stakeholder updates: what the people waiting on an incident are told while it is open."""

from __future__ import annotations

from datetime import UTC

from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.markdown import StoredHtml
from incidents.timefmt import format_time


class UpdateStatus(models.TextChoices):
    """The state an update tells stakeholders (it changes no incident status; the commander does that)."""

    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"


class StakeholderUpdate(StoredHtml, models.Model):
    """One structured update on `incident`: `status`, `customer_impact` and `doing` ("what we are doing",
    both Markdown with their sanitised HTML stored beside them), and `next_update_at` (UTC; when the next
    update is promised, None for a final one). Posted once, never edited: a correction is a new update."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="stakeholder_updates"
    )
    status = models.CharField(max_length=20, choices=UpdateStatus.choices)
    customer_impact = models.TextField(help_text="Markdown.")
    customer_impact_html = models.TextField(blank=True, editable=False)
    doing = models.TextField("what we are doing", help_text="Markdown.")
    doing_html = models.TextField(blank=True, editable=False)
    next_update_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    posted_at = models.DateTimeField(default=timezone.now)
    # A caller's retry key (the API's Idempotency-Key, with who sent it): the same key posts nothing twice.
    dedup_key = models.CharField(max_length=160, null=True, blank=True, unique=True, editable=False)
    MARKDOWN_HTML = {"customer_impact": "customer_impact_html", "doing": "doing_html"}

    class Meta:
        ordering = ["-posted_at", "-id"]
        indexes = [models.Index(fields=["incident", "-posted_at", "-id"], name="update_incident_latest")]

    def __str__(self) -> str:
        return f"Update on {self.incident_id} at {format_time(self.posted_at, UTC)}"
