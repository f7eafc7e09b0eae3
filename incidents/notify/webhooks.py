"""Outbound webhooks: record one delivery per subscribed endpoint; `delivery.py` sends it signed from Celery.

The events and their bodies are in `payloads.py` (one dataclass each). Each delivery is a JSON POST with
these headers (`transports.post_webhook`):

- `X-Hindsight-Event`: the event name (`incident.declared`, …);
- `X-Hindsight-Delivery`: the event id (unique per event; a receiver can use it to drop duplicates);
- `X-Hindsight-Timestamp`: Unix seconds when this attempt was signed;
- `X-Hindsight-Signature`: `sha256=` + hex HMAC-SHA256 with the endpoint's secret over
  `timestamp + "." + raw body` (see `transports.signature`, and the README for the receiver's recipe).

A delivery row is unique on (endpoint, event id), so a repeated event is recorded once. It is a delivery
record like an email's: leased, sent once, retried on network errors and non-2xx answers with the one
back-off (5, 10, 20, 40, 60 s), then `failed` after `WEBHOOK_MAX_ATTEMPTS`; every attempt updates
`attempts`, `response_code` and `last_error`, and the sweep republishes a delivery the broker lost.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import OPEN_ITEM_STATUSES, ActionItem, WebhookDelivery, WebhookEndpoint
from incidents.notify import payloads
from incidents.notify.delivery import WEBHOOK_MAX_ATTEMPTS, deliver_webhook, records_publish
from incidents.permissions.outbound import any_restricted, webhook_may_carry

__all__ = ["EVENTS", "WEBHOOK_MAX_ATTEMPTS", "webhook_dispatch", "webhooks_overdue_sweep"]

EVENTS = payloads.EVENTS


def webhook_dispatch(payload: payloads.Payload) -> list[WebhookDelivery]:
    """Record one delivery of `payload` per active endpoint subscribed to its event, and queue each once
    the current transaction commits. Returns the deliveries recorded (none twice for one event id).

    Every outbound webhook event goes through here, and here only is it decided whether it may go: an
    event about a restricted incident (the incident, an item on it, a finding linked to it, an item of
    such a finding: `payloads.subjects_of`) goes only to endpoints with `include_restricted`, which only
    an admin sets (`permissions.outbound`). The question is asked of the database as it is now.
    """
    endpoints = [
        e for e in WebhookEndpoint.objects.filter(is_active=True) if payload.EVENT in (e.events or [])
    ]
    if not endpoints:
        return []
    subjects = payloads.subjects_of(payload)
    restricted = any_restricted(
        incident_numbers=subjects.incident_numbers,
        action_item_ids=subjects.action_item_ids,
        finding_ids=subjects.finding_ids,
    )
    endpoints = [
        e
        for e in endpoints
        if webhook_may_carry(include_restricted=e.include_restricted, restricted=restricted)
    ]
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
    records_publish(deliver_webhook, [d.pk for d in created])
    return created


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
