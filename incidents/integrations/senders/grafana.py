"""Grafana alerting's webhook contact point (unified alerting, payload version 1).

The body is Alertmanager's shape (Grafana embeds Alertmanager) plus `title`, `message`, `orgId`, and per
alert `dashboardURL`, `panelURL`, `silenceURL`. With an HMAC secret set on the contact point, Grafana sends
the hex HMAC-SHA256 in `X-Grafana-Alerting-Signature`; when a timestamp header is configured as
`X-Grafana-Alerting-Timestamp` the signed message is `timestamp + ":" + body`, and a timestamp more than
five minutes off is refused (a replay).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from incidents.api.fields import TextField
from incidents.integrations.models import AlertIntegration, IntegrationKind
from incidents.integrations.senders import alertmanager
from incidents.integrations.senders.base import (
    Labels,
    Notification,
    SignatureInvalid,
    StrictCharField,
    WebUrlField,
    any_matches,
    hmac_hex,
)

KIND = IntegrationKind.GRAFANA
SIGNS = True
SIGNATURE_HEADER = "X-Grafana-Alerting-Signature"
TIMESTAMP_HEADER = "X-Grafana-Alerting-Timestamp"
MAX_SKEW_SECONDS = 300
DEFAULT_SEVERITY_MAP = alertmanager.DEFAULT_SEVERITY_MAP


class AlertSerializer(alertmanager.AlertSerializer):
    dashboardURL = WebUrlField()  # noqa: N815
    panelURL = WebUrlField()  # noqa: N815


class PayloadSerializer(serializers.Serializer):
    groupKey = StrictCharField(max_length=500)  # noqa: N815
    truncatedAlerts = serializers.IntegerField(required=False, min_value=0, default=0)  # noqa: N815
    status = serializers.ChoiceField(choices=["firing", "resolved"])
    title = TextField(required=False, allow_blank=True, default="")
    groupLabels = Labels()  # noqa: N815
    commonLabels = Labels()  # noqa: N815
    commonAnnotations = Labels()  # noqa: N815
    alerts = serializers.ListField(child=AlertSerializer(), allow_empty=False)


def verify(integration: AlertIntegration, body: bytes, headers: Mapping[str, str]) -> None:
    """Check `X-Grafana-Alerting-Signature` (and the timestamp, when sent) against the secret."""
    signature = headers.get(SIGNATURE_HEADER, "")
    if not signature:
        raise SignatureInvalid(f"Missing {SIGNATURE_HEADER}: set the HMAC secret on the contact point.")
    stamp = headers.get(TIMESTAMP_HEADER, "")
    message = body
    if stamp:
        try:
            sent = int(stamp)
        except ValueError as exc:
            raise SignatureInvalid(f"{TIMESTAMP_HEADER} must be a Unix time in seconds.") from exc
        if abs(time.time() - sent) > MAX_SKEW_SECONDS:
            raise SignatureInvalid(f"{TIMESTAMP_HEADER} is more than five minutes off (a replay?).")
        message = stamp.encode() + b":" + body
    if not any_matches(hmac_hex(integration.signing_secret, message), [signature]):
        raise SignatureInvalid(f"{SIGNATURE_HEADER} does not match the integration's secret.")


def parse(data: Any, integration: AlertIntegration) -> Notification:
    """The notification in `data` (raises serializers.ValidationError keyed by field)."""
    form = PayloadSerializer(data=data)
    form.is_valid(raise_exception=True)
    v = form.validated_data
    alerts = alertmanager.alerts_from(v["alerts"], integration)
    # Grafana puts the panel or dashboard beside the rule's link; keep the most specific one.
    for i, raw in enumerate(v["alerts"]):
        best = raw.get("panelURL") or raw.get("dashboardURL")
        if best and not alerts[i].url:
            alerts[i] = type(alerts[i])(**{**alerts[i].__dict__, "url": best})
    title = alertmanager.group_title(v) if v["commonAnnotations"].get("summary") else ""
    return Notification(
        group_key=v["groupKey"], title=title or v["title"][:200] or alertmanager.group_title(v), alerts=alerts
    )
