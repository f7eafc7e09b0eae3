"""What every sender module produces: one `Notification` of alerts in Hindsight's terms.

A sender module (one per monitoring system, like healthchecks' `hc/integrations/<kind>/`) has:
- `KIND` (an `IntegrationKind` value) and `SIGNS` (True when the sender can sign its requests);
- `verify(integration, body, headers)`: raise `SignatureInvalid` unless the request is signed with the
  integration's `signing_secret` (only called when one is set);
- `parse(data, integration)`: the decoded JSON body as a `Notification`, or a DRF `ValidationError` whose
  detail is keyed by the sender's field names.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from rest_framework import serializers

from incidents.api.fields import TextField


class SignatureInvalid(Exception):
    """The request is not signed with the integration's secret (or the signature is stale)."""


@dataclass(frozen=True)
class ParsedAlert:
    """One alert: `status` is "firing" or "resolved"; times are UTC-aware; `severity_value` is the
    sender's value that `AlertIntegration.severity_for` maps to SEV1-SEV4."""

    fingerprint: str
    status: str
    title: str
    starts_at: datetime
    ends_at: datetime | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    url: str = ""
    severity_value: str = ""


@dataclass(frozen=True)
class ParsedEvent:
    """A one-off event (acknowledged, a note): written once as a timeline entry, keyed by `event_id`."""

    event_id: str
    occurred_at: datetime
    body: str


@dataclass(frozen=True)
class Notification:
    """One request from a sender: the group it is about, a title for a new incident, its alerts and events."""

    group_key: str
    title: str
    alerts: list[ParsedAlert]
    events: list[ParsedEvent] = field(default_factory=list)


def hmac_hex(secret: str, message: bytes) -> str:
    """Hex HMAC-SHA256 of `message` under `secret`."""
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def any_matches(expected: str, candidates: Iterable[str]) -> bool:
    """Constant-time comparison of `expected` with each candidate."""
    return any(hmac.compare_digest(expected, c.strip()) for c in candidates)


def web_url(value: str) -> str:
    """`value` if it is an http(s) URL, else raise a serializers.ValidationError."""
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise serializers.ValidationError("Expected an http(s) URL.")
    return value


class Labels(serializers.DictField):
    """A map of strings (label or annotation values); numbers and booleans are turned into text. Keys are
    at most 1,000 characters without NUL or other control characters (values are checked by CharField)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("default", dict)
        super().__init__(child=TextField(allow_blank=True, max_length=10_000), **kwargs)

    def to_internal_value(self, data: Any) -> dict[str, str]:
        value = super().to_internal_value(data)
        for key in value:
            if len(key) > 1000 or any(ord(c) < 32 or ord(c) == 127 for c in key):
                raise serializers.ValidationError(
                    f"Label and annotation names are at most 1,000 characters without control characters "
                    f"({key[:40]!r} is not)."
                )
        return value


class StrictCharField(TextField):
    """A CharField that takes only JSON strings (DRF's turns numbers into text)."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError("Expected a string.")
        return super().to_internal_value(data)


class WebUrlField(TextField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("max_length", 2000)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        return web_url(super().to_internal_value(data))


def zero_time_to_none(value: datetime | None) -> datetime | None:
    """Go's zero time (`0001-01-01T00:00:00Z`, "not ended") and anything before 1970 mean no time."""
    if value is None or value.year < 1970:
        return None
    return value
