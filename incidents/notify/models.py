"""Delivery records, subscriptions, webhooks and change events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class DeliveryRecord(models.Model):
    """What every delivery (an email, a chat message, an outbound webhook) records about its sending.

    `delivery.py` moves it: claimed `pending`; a worker takes a lease (`sending` until `locked_until`);
    then `sent`, `skipped` (nothing to send, or not allowed), `failed` (permanent, or out of attempts), or
    back to `pending` for a retry. `attempts` counts leases taken; `last_error` says what went wrong.
    """

    Status = DeliveryStatus

    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker is sending until then; after it, another may retry."
    )
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class Notification(DeliveryRecord):
    """One email or chat message, claimed before it is sent. Unique on (recipient, kind, object, period).

    `period` names the window the delivery belongs to (a local date `2026-06-10`, an ISO week
    `2026-W24`, or an event id), so a second sweep, beat or retry finds the claim and sends nothing.
    An incident event's row keeps what the event changed and the incident's state then (`snapshot`,
    `event_at`), which its message is rendered from.
    """

    recipient = models.CharField(max_length=254, help_text="Email address or webhook URL.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    kind = models.CharField(max_length=40)
    object_key = models.CharField(max_length=100, help_text="For example action_item:12.")
    period = models.CharField(max_length=40)
    subject = models.CharField(max_length=255, blank=True)
    snapshot = models.JSONField(
        default=dict,
        blank=True,
        help_text="An incident event's state when it happened (incidents/notify/event_state.py); {} otherwise.",
    )
    event_at = models.DateTimeField(
        null=True, blank=True, help_text="When the incident event happened (UTC)."
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "object_key", "period"], name="unique_delivery"
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "object_key"], name="notification_kind_object"),
            models.Index(fields=["status", "created_at"], name="notification_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_key} {self.period} to {self.recipient}"


class Subscription(models.Model):
    """A user's wish to hear about a service, a team or one incident (exactly one is set)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions")
    service = models.ForeignKey(
        "incidents.Service", null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "service"], name="unique_service_subscription"),
            models.UniqueConstraint(fields=["user", "team"], name="unique_team_subscription"),
            models.UniqueConstraint(fields=["user", "incident"], name="unique_incident_subscription"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.service or self.team or self.incident}"


class SeverityMailingList(models.Model):
    """Addresses (the on-call or DevOps list) told at once about incidents of a severity."""

    severity = models.CharField(max_length=4, unique=True)
    addresses = models.TextField(help_text="One email address per line.")

    def __str__(self) -> str:
        return f"{self.severity} list"

    @property
    def address_list(self) -> list[str]:
        return [a.strip() for a in self.addresses.splitlines() if a.strip()]


class WebhookEndpoint(models.Model):
    """An outbound webhook registered by an admin. Deliveries are signed with HMAC-SHA256 using `secret`."""

    url = models.URLField()
    events = models.JSONField(default=list, help_text="Event names such as incident.declared.")
    secret = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    include_restricted = models.BooleanField(
        "Include restricted incidents",
        default=False,
        help_text="Also send events about restricted incidents (their items and findings) to this endpoint. "
        "Its readers are outside Hindsight's visibility rules: tick only for a receiver that keeps them secret.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(DeliveryRecord):
    """One outbound webhook event for one endpoint (unique on endpoint and event id), with the exact body
    POSTed and the receiver's last HTTP status."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=50)
    event_id = models.CharField(max_length=64)
    payload = models.JSONField()
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="unique_webhook_delivery")
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="webhook_status_created")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"
