"""Outbound webhooks: subscribe to service events, record a delivery, send it signed from Celery.

Each delivery is a JSON POST with these headers:

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
import uuid
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import WebhookDelivery, WebhookEndpoint
from incidents.notify.events import on_event
from incidents.outbound import OutboundRefused, open_guarded

logger = logging.getLogger(__name__)

EVENTS = (
    "incident.declared",
    "incident.status_changed",
    "postmortem.published",
    "action_item.overdue",
    "finding.reopened",
)
# In-process service event → public webhook event. `action_item.overdue` comes from `webhooks_overdue_sweep`.
ROUTES = {
    "incident.declared": "incident.declared",
    "incident.status_changed": "incident.status_changed",
    "postmortem.published": "postmortem.published",
    "policy_finding.reopened": "finding.reopened",
}
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


def _describe(event: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The `data` object: the event's payload plus what it is about (incident, action item, finding)."""
    from incidents.models import ActionItem, Incident, PolicyFinding, Postmortem

    data: dict[str, Any] = {
        k: v for k, v in payload.items() if isinstance(v, str | int | float | bool | type(None) | list)
    }
    base = settings.SITE_URL
    postmortem_id = payload.get("postmortem_id")
    if postmortem_id and not payload.get("incident_id"):
        payload["incident_id"] = (
            Postmortem.objects.filter(pk=postmortem_id).values_list("incident_id", flat=True).first()
        )
    incident_id = payload.get("incident_id")
    if incident_id:
        incident = Incident.objects.filter(pk=incident_id).first()
        if incident is not None:
            data["incident"] = {
                "number": incident.number,
                "reference": incident.reference,
                "title": incident.title,
                "severity": incident.severity,
                "status": incident.status,
                "url": f"{base}/incidents/{incident.number}/",
                "api_url": f"{base}/api/v1/incidents/{incident.number}/",
            }
    item_id = payload.get("item_id")
    if item_id:
        item = ActionItem.objects.select_related("owner").filter(pk=item_id).first()
        if item is not None:
            data["action_item"] = {
                "id": item.pk,
                "title": item.title,
                "status": item.status,
                "due_date": item.due_date.isoformat() if item.due_date else None,
                "owner": item.owner.email if item.owner else None,
                "api_url": f"{base}/api/v1/action-items/{item.pk}/",
            }
    finding_id = payload.get("finding_id")
    if finding_id:
        finding = PolicyFinding.objects.filter(pk=finding_id).first()
        if finding is not None:
            data["finding"] = {
                "id": finding.pk,
                "title": finding.title,
                "area": finding.area,
                "status": finding.status,
                "api_url": f"{base}/api/v1/policy-findings/{finding.pk}/",
            }
    return data


def webhook_dispatch(event: str, **payload: Any) -> list[WebhookDelivery]:
    """Record one delivery per active endpoint subscribed to `event` and queue it (after commit).

    Restricted incidents go out like the others: endpoints are registered by admins, who see everything.
    """
    endpoints = [e for e in WebhookEndpoint.objects.filter(is_active=True) if event in (e.events or [])]
    if not endpoints:
        return []
    event_id = payload.pop("event_id", None) or uuid.uuid4().hex
    body = {
        "id": event_id,
        "event": event,
        "created_at": timezone.now().isoformat(),
        "data": _describe(event, payload),
    }
    created = []
    for endpoint in endpoints:
        try:
            with transaction.atomic():
                delivery = WebhookDelivery.objects.create(
                    endpoint=endpoint, event=event, event_id=event_id, payload=body
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


def _receiver(event: str) -> Callable[..., None]:
    def receive(**payload: Any) -> None:
        webhook_dispatch(event, **payload)

    receive.__name__ = f"webhook_{event.replace('.', '_')}"
    return receive


for _internal, _public in ROUTES.items():
    on_event(_internal)(_receiver(_public))


def webhooks_overdue_sweep(*, now: Any = None) -> int:
    """Dispatch `action_item.overdue` once per open item and due date, by the owner's local date.

    Safe to run from several beats at once: a delivery is unique on (endpoint, event id), and the event id
    is `action_item.overdue:<item id>:<due date>`. Returns how many deliveries were recorded.
    """
    from incidents.models import OPEN_ITEM_STATUSES, ActionItem

    if not any(
        "action_item.overdue" in (e.events or []) for e in WebhookEndpoint.objects.filter(is_active=True)
    ):
        return 0
    now = now or timezone.now()
    # Every zone's today is within a day of UTC's: fetch candidates, then decide in the owner's zone.
    horizon = (now + timedelta(days=1)).date()
    candidates = ActionItem.objects.select_related("owner").filter(
        status__in=OPEN_ITEM_STATUSES, due_date__lt=horizon
    )
    count = 0
    for item in candidates.iterator():
        zone = item.owner.tzinfo if item.owner else UTC
        if item.due_date is None or now.astimezone(zone).date() <= item.due_date:
            continue
        event_id = f"action_item.overdue:{item.pk}:{item.due_date.isoformat()}"
        count += len(webhook_dispatch("action_item.overdue", event_id=event_id, item_id=item.pk))
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
