"""Prometheus Alertmanager's webhook (`webhook_configs`, payload version 4).

One notification per alert group (`groupKey`); `status` is the group's, each alert carries its own.
Alertmanager does not sign requests: it sends the integration token as `Authorization: Bearer`
(`http_config.authorization`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rest_framework import serializers

from incidents.api.fields import TextField, UtcDateTimeField
from incidents.incident.models import implausible_time
from incidents.integrations.models import AlertIntegration, IntegrationKind
from incidents.integrations.senders.base import (
    Labels,
    Notification,
    ParsedAlert,
    StrictCharField,
    WebUrlField,
    zero_time_to_none,
)

KIND = IntegrationKind.ALERTMANAGER
SIGNS = False
DEFAULT_SEVERITY_MAP = {"critical": "SEV1", "error": "SEV2", "warning": "SEV3", "info": "SEV4"}


class AlertSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["firing", "resolved"])
    labels = Labels()
    annotations = Labels()
    startsAt = UtcDateTimeField()  # noqa: N815 - the sender's field names
    endsAt = UtcDateTimeField(required=False, allow_null=True, default=None)  # noqa: N815
    generatorURL = WebUrlField()  # noqa: N815
    fingerprint = TextField(required=False, allow_blank=True, max_length=200, default="")

    def validate_startsAt(self, value: datetime) -> datetime:  # noqa: N802 - DRF's validate_<field>
        reason = implausible_time(value)
        if reason:
            raise serializers.ValidationError(reason)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        ends = zero_time_to_none(attrs.get("endsAt"))
        if ends is not None and ends < attrs["startsAt"]:
            raise serializers.ValidationError(
                {"endsAt": ["An alert cannot end before it starts (startsAt)."]}
            )
        return attrs


class PayloadSerializer(serializers.Serializer):
    version = TextField()
    groupKey = StrictCharField(max_length=500)  # noqa: N815
    truncatedAlerts = serializers.IntegerField(required=False, min_value=0, default=0)  # noqa: N815
    status = serializers.ChoiceField(choices=["firing", "resolved"])
    receiver = TextField(required=False, allow_blank=True, default="")
    groupLabels = Labels()  # noqa: N815
    commonLabels = Labels()  # noqa: N815
    commonAnnotations = Labels()  # noqa: N815
    externalURL = TextField(required=False, allow_blank=True, default="")  # noqa: N815
    alerts = serializers.ListField(child=AlertSerializer(), allow_empty=False)

    def validate_version(self, value: str) -> str:
        if value != "4":
            raise serializers.ValidationError(f"Hindsight reads webhook payload version 4, not {value!r}.")
        return value


def fingerprint_of(labels: Mapping[str, str]) -> str:
    """A stable id from the labels, for senders that leave `fingerprint` out."""
    return hashlib.sha256(json.dumps(dict(sorted(labels.items()))).encode()).hexdigest()[:16]


def alert_title(labels: Mapping[str, str], annotations: Mapping[str, str]) -> str:
    """`alertname — summary`, whichever of them exist."""
    name = labels.get("alertname", "")
    summary = annotations.get("summary") or annotations.get("title") or ""
    return " — ".join(p for p in (name, summary) if p) or "Alert"


def group_title(data: Mapping[str, Any]) -> str:
    """A title for a new incident: the common summary, else the alert name and the group labels."""
    common = data.get("commonAnnotations") or {}
    if common.get("summary"):
        return str(common["summary"])
    labels = data.get("groupLabels") or data.get("commonLabels") or {}
    name = labels.get("alertname") or (data.get("commonLabels") or {}).get("alertname") or "Alert"
    rest = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != "alertname")
    return f"{name} ({rest})" if rest else str(name)


def alerts_from(raw: list[Mapping[str, Any]], integration: AlertIntegration) -> list[ParsedAlert]:
    """Validated Alertmanager-style alerts (also Grafana's) as `ParsedAlert`s."""
    out = []
    for a in raw:
        labels = dict(a["labels"])
        out.append(
            ParsedAlert(
                fingerprint=a.get("fingerprint") or fingerprint_of(labels),
                status=a["status"],
                title=alert_title(labels, a["annotations"]),
                starts_at=a["startsAt"],
                ends_at=zero_time_to_none(a.get("endsAt")),
                labels=labels,
                annotations=dict(a["annotations"]),
                url=a.get("generatorURL", ""),
                severity_value=labels.get(integration.severity_label, ""),
            )
        )
    return out


def verify(integration: AlertIntegration, body: bytes, headers: Mapping[str, str]) -> None:
    """Alertmanager does not sign; the token is the only credential."""


def parse(data: Any, integration: AlertIntegration) -> Notification:
    """The notification in `data` (raises serializers.ValidationError keyed by field)."""
    form = PayloadSerializer(data=data)
    form.is_valid(raise_exception=True)
    v = form.validated_data
    return Notification(
        group_key=v["groupKey"], title=group_title(v), alerts=alerts_from(v["alerts"], integration)
    )
