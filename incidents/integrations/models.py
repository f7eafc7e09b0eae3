"""Alert integrations (a service identity with its own token), the alert groups they report, and their alerts;
the issue trackers' models (`trackers/models.py`) are re-exported here."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from incidents.incident.models import Severity
from incidents.integrations.chat.models import ChatCapture as ChatCapture
from incidents.integrations.chat.models import ChatChannel as ChatChannel
from incidents.integrations.chat.models import ChatProvider as ChatProvider
from incidents.integrations.chat.models import ChatRequestSeen as ChatRequestSeen
from incidents.integrations.trackers.models import TrackerConnection as TrackerConnection
from incidents.integrations.trackers.models import TrackerDelivery as TrackerDelivery
from incidents.integrations.trackers.models import TrackerIssue as TrackerIssue
from incidents.integrations.trackers.models import TrackerIssueClaim as TrackerIssueClaim
from incidents.integrations.trackers.models import TrackerKind as TrackerKind
from incidents.integrations.trackers.models import TrackerPush as TrackerPush


class IntegrationKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    GRAFANA = "grafana", "Grafana alerting"
    PAGERDUTY = "pagerduty", "PagerDuty (v3 webhooks)"
    OPSGENIE = "opsgenie", "Opsgenie"


class AlertIntegration(models.Model):
    """One sender of alerts, with its own token: a service identity, not a person.

    Its token (`hsi_…`, only the SHA-256 is stored) is good for its own intake endpoint and nothing else.
    `severity_map` maps the sender's value (the `severity_label` label for Alertmanager and Grafana, the
    priority or urgency for PagerDuty and Opsgenie; matched case-insensitively) to SEV1-SEV4;
    `default_severity` is used when nothing matches. When every alert of a group is resolved the incident
    is marked mitigated (status monitoring), or resolved when `resolve_when_all_resolved` is on.
    `signing_secret` is the sender's shared secret where it signs (PagerDuty, Grafana): requests without a
    valid signature are refused once it is set.
    """

    TOKEN_PREFIX = "hsi_"  # noqa: S105 - a prefix, not a secret

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=IntegrationKind.choices)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="alert_integrations"
    )
    services = models.ManyToManyField(
        "incidents.Service", blank=True, related_name="alert_integrations", help_text="Affected services."
    )
    severity_label = models.CharField(max_length=100, default="severity")
    severity_map = models.JSONField(default=dict, blank=True)
    default_severity = models.CharField(max_length=4, choices=Severity.choices, default=Severity.SEV3)
    resolve_when_all_resolved = models.BooleanField(
        default=False, help_text="Resolve (not only mitigate) the incident when every alert is resolved."
    )
    signing_secret = models.CharField(max_length=200, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    key_prefix = models.CharField(max_length=12)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["last_used_at", "key_hash", "signing_secret"])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def hash_key(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def generate_key(cls) -> str:
        return cls.TOKEN_PREFIX + secrets.token_urlsafe(32)

    def severity_for(self, value: str | None) -> str:
        """The SEV for the sender's value `value` by `severity_map` (case-insensitive), else the default."""
        if value:
            wanted = str(value).strip().lower()
            for key, severity in (self.severity_map or {}).items():
                if str(key).strip().lower() == wanted and severity in Severity.values:
                    return str(severity)
        return self.default_severity


class AlertGroup(models.Model):
    """A sender's alert group (Alertmanager's group key, a PagerDuty incident, an Opsgenie alias) and the
    incident it feeds. One open group per (integration, key); it closes when its incident stops being active,
    and the next firing notification for the key opens a new group with a new incident."""

    integration = models.ForeignKey(AlertIntegration, on_delete=models.CASCADE, related_name="groups")
    group_key = models.CharField(max_length=500)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="alert_groups"
    )
    is_open = models.BooleanField(default=True)
    seen_events = models.JSONField(
        default=list, blank=True, help_text="Ids of one-off events already handled."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "group_key"], condition=Q(is_open=True), name="one_open_alert_group"
            )
        ]

    def __str__(self) -> str:
        return f"{self.integration}: {self.group_key}"


class AlertState(models.TextChoices):
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"


class Alert(models.Model):
    """The last state Hindsight recorded for one alert of a group (by the sender's fingerprint)."""

    group = models.ForeignKey(AlertGroup, on_delete=models.CASCADE, related_name="alerts")
    fingerprint = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=AlertState.choices)
    title = models.CharField(max_length=500, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "fingerprint"], name="unique_alert_in_group")]

    def __str__(self) -> str:
        return f"{self.title or self.fingerprint} ({self.status})"
