"""Claim-then-send: every email or chat message Hindsight sends goes through here, exactly once.

The flow, for reminders, digests and incident notifications alike:

1. `notification_claim` INSERTs a `Notification` row unique on (recipient, kind, object_key, period). A
   conflict means someone (another sweep, a second beat, a retried task) already claimed it: nothing to do.
2. `notifications_publish` schedules the thin Celery task `incidents.notify.tasks.send_notification(id)` once
   the transaction commits. A broker that is down or stalled is logged, never raised: the row is already
   committed, and the next sweep republishes pending rows older than `NOTIFY_REPUBLISH_AFTER_SECONDS`.
3. `notification_deliver` (run by the task) takes a lease on the row with a conditional UPDATE
   (`pending`, or `sending` with an expired lease), builds the message from the *current* database state
   (permissions are checked here, at send time), sends it, and marks the row `sent`, `skipped` or
   `failed`. Transient errors put the row back to `pending` and raise `TransientSendError` so the task
   retries with backoff; permanent ones are recorded on the row (`last_error`) and shown to admins.

A worker killed mid-send leaves the row `sending`; once its lease expires the sweep republishes it. The
only window in which a message can be sent twice is between the SMTP server accepting the message and
the `sent` UPDATE, a few milliseconds.
"""

from __future__ import annotations

import json
import logging
import smtplib
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.mail import address_allowed
from incidents.models import Notification
from incidents.outbound import OutboundRefused, open_guarded

logger = logging.getLogger(__name__)

Status = Notification.Status


class TransientSendError(Exception):
    """Sending failed in a way that may succeed later (connection refused, timeout, 4xx SMTP reply)."""


class PermanentSendError(Exception):
    """Sending can never succeed as is (address refused, 5xx reply, webhook answered 4xx)."""


@dataclass(frozen=True)
class ChatMessage:
    """A message for a team's incoming webhook (Slack-compatible, Mattermost or Microsoft Teams)."""

    url: str
    text: str


Outbound = EmailMultiAlternatives | ChatMessage
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
    """After this many delivery attempts a row is marked failed."""
    return int(_setting("NOTIFY_MAX_ATTEMPTS", 8))


def backoff_seconds(retries: int) -> int:
    """Exponential backoff for transient errors: base, 2×base, 4×base …, never more than 60 seconds.

    `retries` is the number of retries so far (0 for the first). Capped at 60 s because on Redis a far-off
    countdown can fire twice or never; anything longer is the sweep's job.
    """
    base = _setting("NOTIFY_RETRY_BASE_SECONDS", 10)
    return int(min(60, base * (2 ** max(0, retries))))


# --- Claim ---------------------------------------------------------------------------------------


def notification_claim(
    *,
    recipient: str,
    kind: str,
    object_key: str,
    period: str,
    user: Any = None,
    user_id: int | None = None,
    subject: str = "",
) -> Notification | None:
    """Claim one delivery by INSERTing its row; None when it was already claimed.

    The unique constraint (recipient, kind, object_key, period) decides: on PostgreSQL a concurrent
    claimer blocks until the first commits and then gets the conflict, so exactly one wins.
    """
    try:
        with transaction.atomic():
            return Notification.objects.create(
                recipient=recipient[:254],
                user_id=getattr(user, "pk", None) or user_id,
                kind=kind,
                object_key=object_key[:100],
                period=period[:40],
                subject=subject[:255],
            )
    except IntegrityError:
        return None


@dataclass(frozen=True)
class Wanted:
    """A delivery a sweep would like to make."""

    recipient: str
    kind: str
    object_key: str
    period: str
    user_id: int | None = None

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.recipient, self.kind, self.object_key, self.period)


def notifications_claim_many(wanted: Iterable[Wanted]) -> list[int]:
    """Claim each wanted delivery not yet claimed; returns the ids of the rows this call inserted.

    Per 500 wanted rows: one SELECT skips those already claimed (the common case for a sweep that runs
    every few minutes), then one `INSERT ... ON CONFLICT DO NOTHING RETURNING id` claims the rest; only
    rows this statement inserted come back, so a concurrent claimer (which waits on PostgreSQL for the
    first to commit) gets nothing for them. Rows are inserted in key order so two claimers never
    deadlock.
    """
    wanted = sorted({w.key: w for w in wanted}.values(), key=lambda w: w.key)
    ids: list[int] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        existing = set(
            Notification.objects.filter(
                object_key__in={w.object_key for w in chunk}, kind__in={w.kind for w in chunk}
            ).values_list("recipient", "kind", "object_key", "period")
        )
        missing = [w for w in chunk if w.key not in existing]
        if missing:
            ids += _insert_claims(missing)
    return ids


def _insert_claims(rows: list[Wanted]) -> list[int]:
    table = Notification._meta.db_table
    columns = (
        "recipient", "user_id", "kind", "object_key", "period", "subject", "status", "attempts",
        "last_error", "created_at",
    )  # fmt: skip
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params: list[Any] = []
    for w in rows:
        params += [
            w.recipient[:254],
            w.user_id,
            w.kind,
            w.object_key[:100],
            w.period[:40],
            "",
            Status.PENDING,
            0,
            "",
            now,
        ]
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {placeholders} "  # noqa: S608 - fixed names
        "ON CONFLICT (recipient, kind, object_key, period) DO NOTHING RETURNING id"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


# --- Publish ---------------------------------------------------------------------------------------

_broker_down_until = 0.0


PUBLISH_WAIT_SECONDS = 1.0


def notifications_publish(ids: Iterable[int]) -> None:
    """Queue `send_notification` for each id once the current transaction commits. Never raises, and
    never holds the caller more than `PUBLISH_WAIT_SECONDS`: a dead or stalled broker can take longer
    than that to fail (connect timeouts, client retries), so the publish runs in a background thread
    that the caller waits for only that long. The committed rows are the source of truth either way."""
    ids = list(ids)
    if ids:
        transaction.on_commit(lambda: _publish_bounded(ids))


def _publish_bounded(ids: list[int]) -> None:
    from config.celery import app

    if app.conf.task_always_eager:
        _publish_now(ids)
        return
    thread = threading.Thread(target=_publish_now, args=(ids,), name="notify-publish", daemon=True)
    thread.start()
    thread.join(timeout=PUBLISH_WAIT_SECONDS)
    if thread.is_alive():
        logger.warning("broker slow; %d notifications publish in the background", len(ids))


def _publish_now(ids: list[int]) -> int:
    """Publish now; stop at the first broker failure (the sweep republishes). Returns how many went out."""
    global _broker_down_until
    from config.celery import app
    from incidents.notify.tasks import send_notification

    if time.monotonic() < _broker_down_until and not app.conf.task_always_eager:
        logger.warning("broker marked down; %d notifications left for the next sweep", len(ids))
        return 0
    sent = 0
    for pk in ids:
        try:
            send_notification.apply_async(args=(pk,), retry=False)
            sent += 1
        except Exception as exc:  # any broker failure: the committed row is the source of truth
            _broker_down_until = time.monotonic() + 30
            logger.warning(
                "could not publish notification %s (%s); %d left for the next sweep",
                pk,
                exc,
                len(ids) - sent,
            )
            break
    return sent


def notifications_republish_stale(*, now: Any = None, limit: int = 2000) -> int:
    """Republish rows the broker may have lost: pending and older than the republish delay, or
    `sending` with an expired lease (a killed worker). Returns how many were published."""
    now = now or timezone.now()
    stale = list(
        Notification.objects.filter(
            Q(status=Status.PENDING, created_at__lt=now - timedelta(seconds=republish_after_seconds()))
            | Q(status=Status.SENDING, locked_until__lt=now)
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    if not stale:
        return 0
    return _publish_now(stale)


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


# --- Deliver -----------------------------------------------------------------------------------------


def recipient_allowed(recipient: str) -> bool:
    """True in production; elsewhere only addresses (or chat URLs) matching `EMAIL_ALLOWLIST` patterns
    and local webhook URLs, so tests and demos never reach real people."""
    if settings.HINDSIGHT_ENV == "production":
        return True
    value = recipient.strip().lower()
    if value.startswith(("http://", "https://")):
        host = (urllib.parse.urlsplit(value).hostname or "").lower()
        if host in {"localhost", "127.0.0.1", "::1"}:
            return True
    return address_allowed(value)


def _take_lease(pk: int) -> bool:
    now = timezone.now()
    return bool(
        Notification.objects.filter(pk=pk)
        .filter(Q(status=Status.PENDING) | Q(status=Status.SENDING, locked_until__lt=now))
        .update(
            status=Status.SENDING,
            locked_until=now + timedelta(seconds=lease_seconds()),
            attempts=F("attempts") + 1,
        )
    )


def _finish(pk: int, status: str, error: str = "", subject: str | None = None) -> None:
    fields: dict[str, Any] = {"status": status, "locked_until": None, "last_error": error[:2000]}
    if status == Status.SENT:
        fields["sent_at"] = timezone.now()
    if subject is not None:
        fields["subject"] = subject[:255]
    Notification.objects.filter(pk=pk).update(**fields)


def notification_deliver(*, notification_id: int) -> str:
    """Send one claimed notification at most once. Returns the outcome: `sent`, `skipped`, `failed`,
    `busy` (another worker holds it, or it is already finished) or `gone` (no such row).

    Raises TransientSendError after putting the row back to `pending` when a retry may succeed.
    """
    if not Notification.objects.filter(pk=notification_id).exists():
        return "gone"
    if not _take_lease(notification_id):
        return "busy"
    row = Notification.objects.select_related("user").get(pk=notification_id)
    if not recipient_allowed(row.recipient):
        _finish(
            row.pk, Status.SKIPPED, f"{row.recipient} is not on EMAIL_ALLOWLIST (HINDSIGHT_ENV≠production)"
        )
        return "skipped"
    builder = _builders.get(row.kind)
    if builder is None:
        _finish(row.pk, Status.FAILED, f"No message builder for kind {row.kind!r}.")
        return "failed"
    try:
        message = builder(row)
    except Exception as exc:  # a bug in one builder must not wedge the row in `sending`
        logger.exception("building notification %s failed", row.pk)
        _finish(row.pk, Status.FAILED, f"Could not build the message: {exc!r}")
        return "failed"
    if message is None:
        _finish(row.pk, Status.SKIPPED, "Nothing to send any more (closed, no longer visible or empty).")
        return "skipped"
    subject = str(message.subject) if isinstance(message, EmailMultiAlternatives) else message.text[:255]
    if isinstance(message, EmailMultiAlternatives):
        # One Message-ID per delivery record, the same on every attempt: if a worker dies after the mail
        # server accepted the message but before the row says so, the resend carries the same id and
        # mail systems drop it as a duplicate (SMTP cannot tell the sender what happened in that gap).
        message.extra_headers["Message-ID"] = f"<notification-{row.pk}@{_message_id_domain()}>"
    try:
        _send(message)
    except PermanentSendError as exc:
        _finish(row.pk, Status.FAILED, str(exc), subject)
        return "failed"
    except TransientSendError as exc:
        attempts = Notification.objects.filter(pk=row.pk).values_list("attempts", flat=True).first() or 0
        if attempts >= max_attempts():
            _finish(row.pk, Status.FAILED, f"Gave up after {attempts} attempts: {exc}", subject)
            return "failed"
        _finish(row.pk, Status.PENDING, f"Attempt {attempts} failed, will retry: {exc}", subject)
        raise
    _finish(row.pk, Status.SENT, "", subject)
    return "sent"


def _message_id_domain() -> str:
    return urllib.parse.urlsplit(getattr(settings, "SITE_URL", "") or "").hostname or "hindsight.invalid"


def _send(message: Outbound) -> None:
    if isinstance(message, ChatMessage):
        _post_chat(message)
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
