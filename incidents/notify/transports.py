"""How each delivery leaves the building: SMTP for email, an incoming webhook for chat, the chat server's API
for a post into an incident's linked channel, a signed POST for an outbound webhook. Each sends once and raises `TransientSendError` (may work later: connection refused, a
timeout, SMTP 4xx, HTTP 429 or 5xx) or `PermanentSendError` (never will as is: SMTP 5xx, a refused
address); `delivery.py` records the outcome and decides on a retry. Chat and webhook requests go through
the outbound guard (`incidents/outbound.py`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.core.mail import EmailMultiAlternatives

from incidents.integrations.chat.clients import ChatError, chat_client
from incidents.models import WebhookDelivery
from incidents.outbound import OutboundRefused, open_guarded

WEBHOOK_TIMEOUT_SECONDS = 10
USER_AGENT = "Hindsight-Webhooks/1"


class SendError(Exception):
    """A send that failed; `record` holds fields to store on the delivery row (e.g. `response_code`)."""

    def __init__(self, message: str, **record: Any) -> None:
        super().__init__(message)
        self.record = record


class TransientSendError(SendError):
    """Sending failed in a way that may succeed later (connection refused, timeout, 4xx SMTP reply)."""


class PermanentSendError(SendError):
    """Sending can never succeed as is (address refused, 5xx SMTP reply, a refused webhook target)."""


@dataclass(frozen=True)
class ChatMessage:
    """A message for a team's incoming webhook (Slack-compatible, Mattermost or Microsoft Teams)."""

    url: str
    text: str


@dataclass(frozen=True)
class ChannelPost:
    """A message for a chat channel linked to an incident, posted with the bot's token through the chat
    server's API (`incidents.integrations.chat.clients`): `provider` (`slack`, `mattermost`), `workspace`
    (team id), `channel` (channel id), `text` (already escaped for that chat)."""

    provider: str
    workspace: str
    channel: str
    text: str


Outbound = EmailMultiAlternatives | ChatMessage | ChannelPost


def send(message: Outbound) -> None:
    """Send an email or a chat message once (raises TransientSendError or PermanentSendError)."""
    if isinstance(message, ChatMessage):
        _post_chat(message)
        return
    if isinstance(message, ChannelPost):
        _post_channel(message)
        return
    try:
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(400 <= c < 500 for c in codes):
            raise TransientSendError(f"Recipient temporarily refused: {exc.recipients}") from exc
        raise PermanentSendError(f"Recipient refused: {exc.recipients}") from exc
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise TransientSendError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        raise PermanentSendError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
        raise TransientSendError(f"Mail server unavailable: {exc!r}") from exc
    except smtplib.SMTPException as exc:
        raise PermanentSendError(f"SMTP error: {exc!r}") from exc


def chat_payload(url: str, text: str) -> dict[str, Any]:
    """The JSON body for an incoming webhook: Microsoft Teams gets a MessageCard (legacy connectors) or
    an Adaptive Card (Workflows); everything else the Slack-compatible `{"text": ...}` that Slack and
    Mattermost accept."""
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    if host.endswith("webhook.office.com") or host.endswith("outlook.office.com"):
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": text[:80],
            "text": text,
        }
    if host.endswith("logic.azure.com") or "powerautomate" in host or "powerplatform" in host:
        return {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "content": {
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [{"type": "TextBlock", "text": text, "wrap": True}],
                    },
                }
            ],
        }
    return {"text": text}


def _post_chat(message: ChatMessage) -> None:
    body = json.dumps(chat_payload(message.url, message.text)).encode()
    request = urllib.request.Request(  # noqa: S310 - admins configure http(s) webhook URLs only
        message.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with open_guarded(request, timeout=10) as response:
            response.read(1024)
    except OutboundRefused as exc:
        raise PermanentSendError(f"Webhook refused: {exc}") from exc
    except urllib.error.HTTPError as exc:
        if exc.code == 429 or exc.code >= 500:
            raise TransientSendError(f"Webhook answered {exc.code}") from exc
        raise PermanentSendError(f"Webhook answered {exc.code}") from exc
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        raise TransientSendError(f"Webhook unreachable: {exc!r}") from exc


def _post_channel(message: ChannelPost) -> None:
    try:
        chat_client(message.provider, message.workspace).post(message.channel, message.text)
    except ChatError as exc:
        if exc.transient:
            raise TransientSendError(f"{message.provider}: {exc}") from exc
        raise PermanentSendError(f"{message.provider}: {exc}") from exc


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(key=secret, message=timestamp + "." + body)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def post_webhook(delivery: WebhookDelivery) -> dict[str, Any]:
    """POST `delivery.payload` to its endpoint once, signed. Returns `{"response_code": 2xx}`; anything
    but a 2xx is transient (retried), a target the outbound guard refuses is permanent."""
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - admins register http(s) URLs only (URLField)
        delivery.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Hindsight-Event": delivery.event,
            "X-Hindsight-Delivery": delivery.event_id,
            "X-Hindsight-Timestamp": timestamp,
            "X-Hindsight-Signature": signature(delivery.endpoint.secret, timestamp, body),
        },
    )
    try:
        with open_guarded(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            code = response.status
    except OutboundRefused as exc:
        raise PermanentSendError(f"OutboundRefused: {exc}", response_code=None) from exc
    except urllib.error.HTTPError as exc:
        raise TransientSendError(f"HTTP {exc.code}", response_code=exc.code) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise TransientSendError(f"{type(exc).__name__}: {exc}"[:500], response_code=None) from exc
    if not 200 <= code < 300:
        raise TransientSendError(f"HTTP {code}", response_code=code)
    return {"response_code": code}
