"""Claim-then-send: every email, chat message and outbound webhook Hindsight sends goes through here, once.

Two delivery records share one base (`DeliveryRecord`: status, attempts, lease, last error) and one
lease-and-retry engine: `Notification` (email and chat, unique on recipient, kind, object and period) and
`WebhookDelivery` (unique on endpoint and event id, recorded by `webhooks.webhook_dispatch`).

1. A claim INSERTs the row; a conflict on its unique key means someone (another sweep, a second beat, a
   retried task) already claimed it: nothing to do (`claims.py`: `notification_claim`,
   `notifications_claim_many`).
2. `records_publish` queues the thin Celery task for each row (`send_notification` or `deliver_webhook`)
   once the transaction commits. A broker that is down or stalled is logged, never raised: the row is
   already committed, and the sweep republishes pending rows older than `NOTIFY_REPUBLISH_AFTER_SECONDS`
   and rows whose lease has expired (`deliveries_republish_stale`).
3. The task takes a lease on the row with a conditional UPDATE (`pending`, or `sending` with an expired
   lease), builds what to send from the *current* database state (permissions are checked here, at send
   time), sends it once (`transports.py`) and marks the row `sent`, `skipped` or `failed`. A transient
   error puts the row back to `pending` and the task retries after `backoff_seconds` (the one back-off);
   after the kind's maximum attempts the row is `failed`, with the reason in `last_error`.

A worker killed mid-send leaves the row `sending`; once its lease expires the sweep republishes it. The
only window in which a message can be sent twice is between the receiver accepting it and the `sent`
UPDATE, a few milliseconds; emails carry one Message-ID per row and webhooks one event id, so receivers
can drop that duplicate.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from celery import Task, shared_task
from celery.canvas import Signature
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.mail import address_allowed
from config.celery import app
from incidents.models import DeliveryRecord, DeliveryStatus, Notification, WebhookDelivery
from incidents.notify import payloads, transports
from incidents.notify.transports import ChatMessage, Outbound, PermanentSendError, TransientSendError
from incidents.permissions.outbound import any_restricted, webhook_may_carry

__all__ = ["ChatMessage", "Outbound", "PermanentSendError", "TransientSendError"]

logger = logging.getLogger(__name__)

Status = DeliveryStatus
WEBHOOK_MAX_ATTEMPTS = 6
WEBHOOK_RETRY_BASE_SECONDS = 5

# kind -> builder(notification) -> message, or None when there is nothing (left) to send.
Builder = Callable[[Notification], Outbound | None]
_builders: dict[str, Builder] = {}


def register_kind(*kinds: str) -> Callable[[Builder], Builder]:
    """Decorator registering the message builder for notification `kinds` (e.g. `reminder.overdue`)."""

    def register(fn: Builder) -> Builder:
        for kind in kinds:
            _builders[kind] = fn
        return fn

    return register


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def lease_seconds() -> float:
    """How long a worker may hold a row in `sending` before another may take it over."""
    return _setting("NOTIFY_LEASE_SECONDS", 120)


def republish_after_seconds() -> float:
    """Pending rows older than this are republished by the sweep (the broker may have lost them)."""
    return _setting("NOTIFY_REPUBLISH_AFTER_SECONDS", 60)


def max_attempts() -> int:
    """After this many attempts an email or chat message is marked failed (webhooks: WEBHOOK_MAX_ATTEMPTS)."""
    return int(_setting("NOTIFY_MAX_ATTEMPTS", 8))


def backoff_seconds(retries: int, *, base: float | None = None) -> int:
    """The one back-off for every delivery: base, 2×base, 4×base …, never more than 60 seconds.

    `retries` is the number of retries so far (0 before the first); `base` defaults to
    `NOTIFY_RETRY_BASE_SECONDS` (10 s; webhooks use 5 s: 5, 10, 20, 40, 60). Capped at 60 s because on
    Redis a far-off countdown can fire twice or never; anything longer is the sweep's job.
    """
    if base is None:
        base = _setting("NOTIFY_RETRY_BASE_SECONDS", 10)
    return int(min(60, base * (2 ** max(0, retries))))


# --- Publish ---------------------------------------------------------------------------------------

_broker_down_until = 0.0
PUBLISH_WAIT_SECONDS = 1.0


def notifications_publish(ids: Iterable[int]) -> None:
    """Queue `send_notification` for each Notification id once the current transaction commits."""
    records_publish(send_notification, ids)


def records_publish(task: Task | Signature, ids: Iterable[int]) -> None:
    """Queue `task` (a delivery task taking a row id, or a signature naming one) for each id once the
    current transaction commits.
    Never raises, and never holds the caller more than `PUBLISH_WAIT_SECONDS`: a dead or stalled broker
    can take longer than that to fail (connect timeouts, client retries), so the publish runs in a
    background thread that the caller waits for only that long. The committed rows are the source of
    truth either way."""
    ids = list(ids)
    if ids:
        transaction.on_commit(lambda: _publish_bounded(task, ids))


def _publish_bounded(task: Task | Signature, ids: list[int]) -> None:
    if app.conf.task_always_eager:
        _publish_now(task, ids)
        return
    thread = threading.Thread(target=_publish_now, args=(task, ids), name="notify-publish", daemon=True)
    thread.start()
    thread.join(timeout=PUBLISH_WAIT_SECONDS)
    if thread.is_alive():
        logger.warning("broker slow; %d deliveries publish in the background", len(ids))


def _publish_now(task: Task | Signature, ids: list[int]) -> int:
    """Publish now; stop at the first broker failure (the sweep republishes). Returns how many went out."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until and not app.conf.task_always_eager:
        logger.warning("broker marked down; %d deliveries left for the next sweep", len(ids))
        return 0
    sent = 0
    for pk in ids:
        try:
            task.apply_async(args=(pk,), retry=False)
            sent += 1
        except Exception as exc:  # any broker failure: the committed row is the source of truth
            _broker_down_until = time.monotonic() + 30
            logger.warning(
                "could not publish %s(%s) (%s); %d left for the next sweep",
                task.name,
                pk,
                exc,
                len(ids) - sent,
            )
            break
    return sent


def deliveries_republish_stale(*, now: Any = None, limit: int = 2000) -> int:
    """Republish rows of every delivery record the broker may have lost: pending and older than the
    republish delay, or `sending` with an expired lease (a killed worker). Returns how many were published."""
    now = now or timezone.now()
    published = 0
    for model, task in ((Notification, send_notification), (WebhookDelivery, deliver_webhook)):
        stale = list(
            model.objects.filter(
                Q(status=Status.PENDING, created_at__lt=now - timedelta(seconds=republish_after_seconds()))
                | Q(status=Status.SENDING, locked_until__lt=now)
            )
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        if stale:
            published += _publish_now(task, stale)
    return published


def notifications_retry(*, ids: list[int]) -> int:
    """Put failed or pending rows among `ids` back to pending (attempts reset) and publish them on
    commit. Sent and skipped rows are left alone, so a retry never sends twice. Returns how many."""
    with transaction.atomic():
        retry = list(
            Notification.objects.filter(id__in=ids, status__in=[Status.FAILED, Status.PENDING]).values_list(
                "id", flat=True
            )
        )
        Notification.objects.filter(id__in=retry).update(status=Status.PENDING, attempts=0, locked_until=None)
        notifications_publish(retry)
    return len(retry)


# --- Lease, send once, record ----------------------------------------------------------------------


def _take_lease(model: type[DeliveryRecord], pk: int) -> bool:
    now = timezone.now()
    return bool(
        model._default_manager.filter(pk=pk)
        .filter(Q(status=Status.PENDING) | Q(status=Status.SENDING, locked_until__lt=now))
        .update(
            status=Status.SENDING,
            locked_until=now + timedelta(seconds=lease_seconds()),
            attempts=F("attempts") + 1,
        )
    )


def _finish(model: type[DeliveryRecord], pk: int, status: str, error: str = "", **fields: Any) -> None:
    fields.update(status=status, locked_until=None, last_error=error[:2000])
    if status == Status.SENT:
        fields["sent_at"] = timezone.now()
    model._default_manager.filter(pk=pk).update(**fields)


def _send_once(
    model: type[DeliveryRecord],
    pk: int,
    send: Callable[[], dict[str, Any] | None],
    *,
    limit: int,
    **record: Any,
) -> str:
    """Run `send` for the leased row `pk` and record the outcome (with `record`, and what the send or its
    error reports). Returns `sent` or `failed`; raises TransientSendError after putting the row back to
    `pending` while attempts remain below `limit`."""
    try:
        reported = send() or {}
    except PermanentSendError as exc:
        _finish(model, pk, Status.FAILED, str(exc), **record, **exc.record)
        return "failed"
    except TransientSendError as exc:
        attempts = model._default_manager.filter(pk=pk).values_list("attempts", flat=True).first() or 0
        if attempts >= limit:
            _finish(
                model, pk, Status.FAILED, f"Gave up after {attempts} attempts: {exc}", **record, **exc.record
            )
            return "failed"
        _finish(
            model, pk, Status.PENDING, f"Attempt {attempts} failed, will retry: {exc}", **record, **exc.record
        )
        raise
    _finish(model, pk, Status.SENT, "", **record, **reported)
    return "sent"


def recipient_allowed(recipient: str) -> bool:
    """True in production; elsewhere only addresses (or chat URLs) matching `EMAIL_ALLOWLIST` patterns,
    local webhook URLs and linked chat channels (`slack:…`, `mattermost:…`: posted only through the chat
    server set in `SLACK_API_URL` / `MATTERMOST_URL`), so tests and demos never reach real people."""
    if settings.HINDSIGHT_ENV == "production":
        return True
    if recipient.startswith(("slack:", "mattermost:")):
        return True  # a linked channel, reached only through the chat server the admin configured
    value = recipient.strip().lower()
    if value.startswith(("http://", "https://")):
        host = (urllib.parse.urlsplit(value).hostname or "").lower()
        if host in {"localhost", "127.0.0.1", "::1"}:
            return True
    return address_allowed(value)


def notification_deliver(*, notification_id: int) -> str:
    """Send one claimed email or chat message at most once. Returns the outcome: `sent`, `skipped`,
    `failed`, `busy` (another worker holds it, or it is already finished) or `gone` (no such row).

    Raises TransientSendError after putting the row back to `pending` when a retry may succeed.
    """
    if not Notification.objects.filter(pk=notification_id).exists():
        return "gone"
    if not _take_lease(Notification, notification_id):
        return "busy"
    row = Notification.objects.select_related("user").get(pk=notification_id)
    if not recipient_allowed(row.recipient):
        _finish(
            Notification,
            row.pk,
            Status.SKIPPED,
            f"{row.recipient} is not on EMAIL_ALLOWLIST (HINDSIGHT_ENV≠production)",
        )
        return "skipped"
    builder = _builders.get(row.kind)
    if builder is None:
        _finish(Notification, row.pk, Status.FAILED, f"No message builder for kind {row.kind!r}.")
        return "failed"
    try:
        message = builder(row)
    except Exception as exc:  # a bug in one builder must not wedge the row in `sending`
        logger.exception("building notification %s failed", row.pk)
        _finish(Notification, row.pk, Status.FAILED, f"Could not build the message: {exc!r}")
        return "failed"
    if message is None:
        _finish(
            Notification,
            row.pk,
            Status.SKIPPED,
            "Nothing to send any more (closed, no longer visible or empty).",
        )
        return "skipped"
    subject = message.subject if isinstance(message, EmailMultiAlternatives) else message.text
    if isinstance(message, EmailMultiAlternatives):
        # One Message-ID per delivery record, the same on every attempt: if a worker dies after the mail
        # server accepted the message but before the row says so, the resend carries the same id and
        # mail systems drop it as a duplicate (SMTP cannot tell the sender what happened in that gap).
        message.extra_headers["Message-ID"] = f"<notification-{row.pk}@{_message_id_domain()}>"
    return _send_once(
        Notification,
        row.pk,
        lambda: transports.send(message),
        limit=max_attempts(),
        subject=str(subject)[:255],
    )


def webhook_deliver(*, delivery_id: int) -> str:
    """POST one recorded webhook delivery at most once; the outcomes are those of `notification_deliver`
    (`skipped` when the endpoint was switched off). Raises TransientSendError while a retry may succeed."""
    if not WebhookDelivery.objects.filter(pk=delivery_id).exists():
        return "gone"
    if not _take_lease(WebhookDelivery, delivery_id):
        return "busy"
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    if not delivery.endpoint.is_active:
        _finish(WebhookDelivery, delivery.pk, Status.SKIPPED, "The endpoint is switched off.")
        return "skipped"
    if not _may_still_carry(delivery):
        _finish(WebhookDelivery, delivery.pk, Status.SKIPPED, "The incident is restricted now.")
        return "skipped"
    return _send_once(
        WebhookDelivery, delivery.pk, lambda: transports.post_webhook(delivery), limit=WEBHOOK_MAX_ATTEMPTS
    )


def _may_still_carry(delivery: WebhookDelivery) -> bool:
    """The dispatch rule (`webhooks.webhook_dispatch`) asked again at send time, of the recorded body: an
    incident made restricted after its event was recorded (a retry can come minutes later) is not sent to
    an endpoint that does not include restricted incidents."""
    if delivery.endpoint.include_restricted:
        return True
    payload = delivery.payload if isinstance(delivery.payload, dict) else {}
    subjects = payloads.subjects_of_body(payload.get("data"))
    if subjects is None:
        return False
    restricted = any_restricted(
        incident_numbers=subjects.incident_numbers,
        action_item_ids=subjects.action_item_ids,
        finding_ids=subjects.finding_ids,
    )
    return webhook_may_carry(include_restricted=False, restricted=restricted)


def _message_id_domain() -> str:
    return urllib.parse.urlsplit(getattr(settings, "SITE_URL", "") or "").hostname or "hindsight.invalid"


# --- Tasks: thin, take a row id ----------------------------------------------------------------------
# They live beside the records they send: publishing needs them, and the sweeps in tasks.py need the
# publisher, so keeping them here keeps the import graph a line (tasks -> reminders -> delivery).


def _deliver_or_retry(task: Any, deliver: Callable[..., str], pk: int, base: float | None) -> str:
    try:
        return deliver(pk)
    except TransientSendError as exc:
        if task.request.retries >= task.max_retries:
            logger.warning("%s(%s) still failing; the sweep will retry it: %s", task.name, pk, exc)
            return "pending"
        raise task.retry(exc=exc, countdown=backoff_seconds(task.request.retries, base=base)) from exc


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5, ignore_result=True)
def send_notification(self: Any, notification_id: int) -> str:
    """Deliver one claimed email or chat message; retries transient failures with backoff (≤ 60 s)."""
    return _deliver_or_retry(self, lambda pk: notification_deliver(notification_id=pk), notification_id, None)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=WEBHOOK_MAX_ATTEMPTS - 1,
    ignore_result=True,
)
def deliver_webhook(self: Any, delivery_id: int) -> str:
    """Deliver one outbound webhook; retries with backoff (5, 10, 20, 40, 60 s) up to WEBHOOK_MAX_ATTEMPTS."""
    return _deliver_or_retry(
        self, lambda pk: webhook_deliver(delivery_id=pk), delivery_id, WEBHOOK_RETRY_BASE_SECONDS
    )
