"""Opsgenie's outgoing webhook integration.

Each request is one action on one alert: `action` (`Create`, `Close`, `Acknowledge`, `AddNote`, ...) and
`alert` (`alertId`, `alias`, `message`, `priority` P1-P5, `tags`, `details`, `createdAt`, `updatedAt`).
Opsgenie's published samples give `createdAt` in epoch milliseconds and `updatedAt` in epoch nanoseconds
(1420452191104 and 1420452193166002000); both fields take seconds, milliseconds, microseconds or
nanoseconds, told apart by magnitude (`epoch_to_datetime`). The alias (else the alert id) is the group. Opsgenie does not sign its webhooks: add
the integration token as a custom header (`Authorization: Bearer hsi_…`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from rest_framework import serializers

from incidents.api.fields import TextField
from incidents.integrations.models import AlertIntegration, IntegrationKind
from incidents.integrations.senders.base import Notification, ParsedAlert, ParsedEvent

KIND = IntegrationKind.OPSGENIE
SIGNS = False
DEFAULT_SEVERITY_MAP = {"P1": "SEV1", "P2": "SEV2", "P3": "SEV3", "P4": "SEV4", "P5": "SEV4"}
FIRING = {"Create"}
RESOLVED = {"Close"}


EPOCH_UNITS = ((10**11, 1), (10**14, 10**3), (10**17, 10**6), (10**20, 10**9))
"""(upper bound, units per second): below 10^11 seconds (to year 5138), then milliseconds, microseconds
and nanoseconds; a time since 1973 in any unit falls in exactly one band."""


def epoch_to_datetime(value: int) -> datetime:
    """The UTC-aware instant of `value`, an epoch time in s, ms, µs or ns (by magnitude, `EPOCH_UNITS`).

    Raises ValueError for a negative or zero value or one beyond every band.
    """
    if value <= 0:
        raise ValueError("not after 1970")
    for bound, per_second in EPOCH_UNITS:
        if value < bound:
            return datetime.fromtimestamp(value / per_second, tz=UTC)
    raise ValueError("too large")


class EpochTime(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> datetime:  # type: ignore[override]
        value = super().to_internal_value(data)
        try:
            return epoch_to_datetime(value)
        except (OverflowError, OSError, ValueError) as exc:
            raise serializers.ValidationError(
                "Expected an epoch time after 1970 (seconds, milliseconds or nanoseconds)."
            ) from exc


class AlertSerializer(serializers.Serializer):
    alertId = TextField(max_length=200)  # noqa: N815
    alias = TextField(required=False, allow_blank=True, max_length=500, default="")
    message = TextField(required=False, allow_blank=True, max_length=1000, default="")
    description = TextField(required=False, allow_blank=True, default="")
    priority = TextField(required=False, allow_blank=True, default="")
    source = TextField(required=False, allow_blank=True, default="")  # type: ignore[assignment]  # Opsgenie's field name
    entity = TextField(required=False, allow_blank=True, default="")
    username = TextField(required=False, allow_blank=True, default="")
    note = TextField(required=False, allow_blank=True, default="")
    tags = serializers.ListField(child=TextField(allow_blank=True), required=False, default=list)
    details = serializers.DictField(child=TextField(allow_blank=True), required=False, default=dict)
    createdAt = EpochTime(required=False, allow_null=True, default=None)  # noqa: N815
    updatedAt = EpochTime(required=False, allow_null=True, default=None)  # noqa: N815


class PayloadSerializer(serializers.Serializer):
    action = TextField(max_length=100)
    alert = AlertSerializer()
    integrationName = TextField(required=False, allow_blank=True, default="")  # noqa: N815


def verify(integration: AlertIntegration, body: bytes, headers: Mapping[str, str]) -> None:
    """Opsgenie does not sign; the token is the only credential."""


def parse(data: Any, integration: AlertIntegration) -> Notification:
    """The notification in `data` (raises serializers.ValidationError keyed by field)."""
    form = PayloadSerializer(data=data)
    form.is_valid(raise_exception=True)
    action = form.validated_data["action"]
    a = form.validated_data["alert"]
    key = a["alias"] or a["alertId"]
    title = a["message"] or f"Opsgenie alert {a['alertId']}"
    when = a["updatedAt"] or a["createdAt"] or datetime.now(tz=UTC)
    labels = {"priority": a["priority"], "source": a["source"], "entity": a["entity"], **a["details"]}
    if a["tags"]:
        labels["tags"] = ", ".join(a["tags"])
    labels = {k: v for k, v in labels.items() if v}
    alerts: list[ParsedAlert] = []
    events: list[ParsedEvent] = []
    if action in FIRING | RESOLVED:
        alerts.append(
            ParsedAlert(
                fingerprint=a["alertId"],
                status="resolved" if action in RESOLVED else "firing",
                title=title,
                starts_at=a["createdAt"] or when,
                ends_at=when if action in RESOLVED else None,
                labels=labels,
                annotations={"description": a["description"]} if a["description"] else {},
                severity_value=a["priority"],
            )
        )
    else:
        who = a["username"] or "Opsgenie"
        text = f"Opsgenie: {action} by {who}" + (f": {a['note']}" if a["note"] else "")
        event_id = f"{a['alertId']}:{action}:{int(when.timestamp() * 1000)}"
        events.append(ParsedEvent(event_id=event_id, occurred_at=when, body=text))
    return Notification(group_key=key, title=title[:200], alerts=alerts, events=events)
