"""Outbound webhooks: record a delivery per subscribed endpoint, send it signed from Celery.

The events and their bodies are in `payloads.py` (one dataclass each). Each delivery is a JSON POST with these headers:

- `X-Hindsight-Event`: the event name (`incident.declared`, …);
- `X-Hindsight-Delivery`: the event id (unique per event; a receiver can use it to drop duplicates);
- `X-Hindsight-Timestamp`: Unix seconds when this attempt was signed;
- `X-Hindsight-Signature`: `sha256=` + hex HMAC-SHA256 with the endpoint's secret over
  `timestamp + "." + raw body` (see `signature`, and the README's API section for the receiver's recipe).

A delivery row is unique on (endpoint, event id), so a repeated event is recorded once. The task retries
network errors and non-2xx answers with exponential backoff (5, 10, 20, 40, 60 s; never more than 60 s),
then marks the delivery `failed`. Every attempt updates `attempts`, `response_code` and `last_error`.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import UTC, timedelta
from typing import Any

from celery import shared_task
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import OPEN_ITEM_STATUSES, ActionItem, WebhookDelivery, WebhookEndpoint
from incidents.notify import payloads
from incidents.outbound import OutboundRefused, open_guarded

logger = logging.getLogger(__name__)

EVENTS = payloads.EVENTS
MAX_ATTEMPTS = 6
TIMEOUT_SECONDS = 10
USER_AGENT = "Hindsight-Webhooks/1"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(key=secret, message=timestamp + "." + body)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def backoff_seconds(attempts: int) -> int:
    """Delay before the next attempt after `attempts` failures: 5, 10, 20, 40, then 60 s at most."""
    return int(min(60, 5 * 2 ** max(0, attempts - 1)))


def webhook_dispatch(payload: payloads.Payload) -> list[WebhookDelivery]:
    """Record one delivery of `payload` per active endpoint subscribed to its event, and queue each once
    the current transaction commits. Returns the deliveries recorded (none twice for one event id).

    Restricted incidents go out like the others: endpoints are registered by admins, who see everything.
    """
    endpoints = [
        e for e in WebhookEndpoint.objects.filter(is_active=True) if payload.EVENT in (e.events or [])
    ]
    if not endpoints:
        return []
    body = payloads.webhook_body(payload, created_at=timezone.now())
    created = []
    for endpoint in endpoints:
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    endpoint=endpoint, event=payload.EVENT, event_id=body["id"], payload=body
                )
        except IntegrityError:
            continue  # already recorded for this event: send nothing twice
        created.append(delivery)
        transaction.on_commit(functools.partial(_enqueue, delivery.pk))
    return created


def _enqueue(delivery_id: int) -> None:
    try:
        deliver_webhook.delay(delivery_id)
    except Exception:  # a broker outage must not fail the write; the delivery stays pending
        logger.exception("could not queue webhook delivery %s", delivery_id)


def webhooks_overdue_sweep(*, now: Any = None) -> int:
    """Dispatch `action_item.overdue` once per open item and due date, by the owner's local date.

    Safe to run from several beats at once: a delivery is unique on (endpoint, event id), and the event id
    is `action_item.overdue:<item id>:<due date>`. Returns how many deliveries were recorded.
    """
    if not any(
        "action_item.overdue" in (e.events or []) for e in WebhookEndpoint.objects.filter(is_active=True)
    ):
        return 0
    now = now or timezone.now()
    # Every zone's today is within a day of UTC's: fetch candidates, then decide in the owner's zone.
    horizon = (now + timedelta(days=1)).date()
    candidates = ActionItem.objects.select_related("owner", "incident").filter(
        status__in=OPEN_ITEM_STATUSES, due_date__lt=horizon
    )
    count = 0
    for item in candidates.iterator():
        zone = item.owner.tzinfo if item.owner else UTC
        if item.due_date is None or now.astimezone(zone).date() <= item.due_date:
            continue
        count += len(webhook_dispatch(payloads.ActionItemOverdue.of(item)))
    return count


@shared_task(expires=240)
def sweep_overdue_webhooks() -> int:
    """Beat task: see `webhooks_overdue_sweep`."""
    return webhooks_overdue_sweep()


def attempt_delivery(delivery: WebhookDelivery) -> bool:
    """POST the delivery once; record the outcome on the row. True when the receiver answered 2xx."""
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
    code: int | None = None
    error = ""
    try:
        with open_guarded(request, timeout=TIMEOUT_SECONDS) as response:
            code = response.status
    except urllib.error.HTTPError as exc:
        code = exc.code
        error = f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, OutboundRefused) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    ok = code is not None and 200 <= code < 300
    delivery.attempts += 1
    delivery.response_code = code
    delivery.last_error = "" if ok else error
    fields = ["attempts", "response_code", "last_error"]
    if ok:
        delivery.status = "delivered"
        delivery.delivered_at = timezone.now()
        fields += ["status", "delivered_at"]
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
        fields.append("status")
    delivery.save(update_fields=fields)
    return ok


@shared_task(bind=True, max_retries=MAX_ATTEMPTS - 1, acks_late=True)
def deliver_webhook(self: Any, delivery_id: int) -> str:
    """Send one webhook delivery; retry with backoff until it is delivered or has failed MAX_ATTEMPTS times."""
    delivery = (
        WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id, status="pending").first()
    )
    if delivery is None or not delivery.endpoint.is_active:
        return "skipped"
    if attempt_delivery(delivery):
        return "delivered"
    if delivery.status == "failed":
        return "failed"
    raise self.retry(countdown=backoff_seconds(delivery.attempts))
