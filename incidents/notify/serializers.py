from __future__ import annotations

from rest_framework import serializers

from incidents.api.fields import ReadModelSerializer, TextField, UtcDateTimeField
from incidents.models import (
    WebhookDelivery,
    WebhookEndpoint,
)
from incidents.notify import payloads
from incidents.outbound import OutboundRefused, guard_url

WEBHOOK_EVENTS = [(p.EVENT, p.TITLE) for p in payloads.PAYLOADS]


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """An outbound webhook. `secret` is generated when omitted and is the HMAC key for signatures: it is
    written, never read back (only the answer to creating the endpoint or rotating its secret carries it,
    `WebhookSecretShownSerializer`); `include_restricted` (default false) also sends events about
    restricted incidents."""

    events = serializers.ListField(child=serializers.ChoiceField(choices=WEBHOOK_EVENTS), allow_empty=False)
    secret = TextField(required=False, min_length=16, max_length=100, write_only=True)
    created_at = UtcDateTimeField(read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "secret", "is_active", "include_restricted", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_url(self, value: str) -> str:
        try:
            guard_url(value, resolve=False)
        except OutboundRefused as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return value


class WebhookSecretShownSerializer(WebhookEndpointSerializer):
    """The endpoint with its `secret`: only the answer to creating it or rotating its secret (shown once,
    copy it then)."""

    secret = TextField(read_only=True, help_text="Shown this once: copy it now.")


class WebhookDeliverySerializer(ReadModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "endpoint", "event", "event_id", "payload", "status", "response_code", "attempts",
            "last_error", "created_at", "sent_at",
        ]  # fmt: skip
        read_only_fields = fields
