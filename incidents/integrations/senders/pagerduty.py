"""PagerDuty v3 webhooks (a webhook subscription on a service or team).

Each request carries one event: `event.event_type` (`incident.triggered`, `.acknowledged`, `.resolved`,
`.reopened`, `.annotated`, ...), `event.occurred_at` and `event.data`. For most incident events `data` is the
PagerDuty incident (`type` "incident"); for the others it is another object that names its incident in
`data.incident` (a reference: `id`, `summary`, `html_url`), such as `incident.annotated`'s note (`type`
"incident_note", the text in `content`) or a responder request. A PagerDuty incident is one alert group;
it is the group's only alert. Signed: `X-PagerDuty-Signature` holds one or
more `v1=<hex HMAC-SHA256 of the raw body>` separated by commas (several during a secret rotation).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

from incidents.api.fields import TextField, UtcDateTimeField
from incidents.integrations.models import AlertIntegration, IntegrationKind
from incidents.integrations.senders.base import (
    Notification,
    ParsedAlert,
    ParsedEvent,
    SignatureInvalid,
    WebUrlField,
    any_matches,
    hmac_hex,
)

KIND = IntegrationKind.PAGERDUTY
SIGNS = True
SIGNATURE_HEADER = "X-PagerDuty-Signature"
DEFAULT_SEVERITY_MAP = {"P1": "SEV1", "P2": "SEV2", "P3": "SEV3", "P4": "SEV4", "P5": "SEV4",
                        "high": "SEV2", "low": "SEV4"}  # fmt: skip
FIRING = {"incident.triggered", "incident.reopened"}
RESOLVED = {"incident.resolved"}
NOTE_KEPT = 10_000


class ReferenceSerializer(serializers.Serializer):
    summary = TextField(required=False, allow_blank=True, allow_null=True, default="")
    html_url = WebUrlField(allow_null=True)


class IncidentSerializer(serializers.Serializer):
    id = TextField(max_length=100)
    title = TextField(required=False, allow_blank=True, default="", max_length=1000)
    summary = TextField(required=False, allow_blank=True, allow_null=True, default="")
    status = TextField(required=False, allow_blank=True, default="")
    html_url = WebUrlField(allow_null=True)
    created_at = UtcDateTimeField(required=False, allow_null=True, default=None)
    urgency = TextField(required=False, allow_blank=True, allow_null=True, default="")
    priority = ReferenceSerializer(required=False, allow_null=True, default=None)
    service = ReferenceSerializer(required=False, allow_null=True, default=None)
    number = serializers.IntegerField(required=False, allow_null=True, default=None)


class EventSerializer(serializers.Serializer):
    id = TextField(max_length=100)
    event_type = TextField(max_length=100)
    resource_type = TextField(required=False, allow_blank=True, default="")
    occurred_at = UtcDateTimeField()
    agent = ReferenceSerializer(required=False, allow_null=True, default=None)
    # `data` (the incident) is read by IncidentSerializer: a field of that name would hide Serializer.data.


class PayloadSerializer(serializers.Serializer):
    event = EventSerializer()


def verify(integration: AlertIntegration, body: bytes, headers: Mapping[str, str]) -> None:
    """Accept when any `v1=` signature in `X-PagerDuty-Signature` matches the subscription's secret."""
    header = headers.get(SIGNATURE_HEADER, "")
    if not header:
        raise SignatureInvalid(f"Missing {SIGNATURE_HEADER}.")
    expected = "v1=" + hmac_hex(integration.signing_secret, body)
    if not any_matches(expected, header.split(",")):
        raise SignatureInvalid(f"{SIGNATURE_HEADER} does not match the subscription's secret.")


def parse(data: Any, integration: AlertIntegration) -> Notification:
    """The notification in `data` (raises serializers.ValidationError keyed by field).

    Events about other resources (services, ...) give a notification without alerts, which changes nothing.
    """
    form = PayloadSerializer(data=data)
    form.is_valid(raise_exception=True)
    event = form.validated_data["event"]
    kind = event["event_type"]
    if not kind.startswith("incident."):
        return Notification(group_key="", title="", alerts=[])
    raw = form.initial_data["event"].get("data")
    if not isinstance(raw, dict):
        raise serializers.ValidationError(
            {"event": {"data": ["Expected the PagerDuty incident (an object)."]}}
        )
    about: Any = raw
    if raw.get("type", "incident") != "incident":
        about = raw.get("incident")
        if not isinstance(about, dict):
            raise serializers.ValidationError(
                {
                    "event": {
                        "data": {"incident": ["Expected the PagerDuty incident this is about (an object)."]}
                    }
                }
            )
    incident = IncidentSerializer(data=about)
    if not incident.is_valid():
        errors = incident.errors if about is raw else {"incident": incident.errors}
        raise serializers.ValidationError({"event": {"data": errors}})
    pd = incident.validated_data
    priority = (pd.get("priority") or {}).get("summary") or ""
    title = pd["title"] or pd["summary"] or f"PagerDuty incident {pd['id']}"
    if pd.get("service") and pd["service"].get("summary"):
        title = f"{title} ({pd['service']['summary']})"
    who = (event.get("agent") or {}).get("summary") or "PagerDuty"
    alerts: list[ParsedAlert] = []
    events: list[ParsedEvent] = []
    if kind in FIRING | RESOLVED:
        alerts.append(
            ParsedAlert(
                fingerprint=pd["id"],
                status="resolved" if kind in RESOLVED else "firing",
                title=title,
                # A reopened incident fires anew: its start is the reopening, so it is not a repeat.
                starts_at=(pd.get("created_at") if kind == "incident.triggered" else None)
                or event["occurred_at"],
                ends_at=event["occurred_at"] if kind in RESOLVED else None,
                labels={
                    k: v for k, v in {"urgency": pd.get("urgency") or "", "priority": priority}.items() if v
                },
                url=pd.get("html_url") or "",
                severity_value=priority or pd.get("urgency") or "",
            )
        )
    elif kind == "incident.annotated":
        content = raw.get("content")
        note = content if isinstance(content, str) else ""
        body = f"PagerDuty: note by {who}" + (f": {note.strip()[:NOTE_KEPT]}" if note.strip() else "")
        events.append(ParsedEvent(event_id=event["id"], occurred_at=event["occurred_at"], body=body))
    else:
        label = kind.removeprefix("incident.").replace("_", " ").replace(".", " ")
        events.append(ParsedEvent(event_id=event["id"], occurred_at=event["occurred_at"],
                                  body=f"PagerDuty: incident {label} by {who}"))  # fmt: skip
    return Notification(group_key=pd["id"], title=title[:200], alerts=alerts, events=events)
