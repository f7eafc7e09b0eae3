"""Celery tasks: thin wrappers that take ids and call one service.

Reminders and digests come from periodic sweeps (`CELERY_BEAT_SCHEDULE`), never from long ETAs; the
only countdown used is the retry backoff, capped at 60 seconds (`notify.backoff_seconds`).
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from incidents.notify import delivery as notify

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5, ignore_result=True)
def send_notification(self: Any, notification_id: int) -> str:
    """Deliver one claimed notification; retries transient failures with backoff (≤ 60 s)."""
    try:
        return notify.notification_deliver(notification_id=notification_id)
    except notify.TransientSendError as exc:
        if self.request.retries >= self.max_retries:
            logger.warning("notification %s still failing; the sweep will retry it: %s", notification_id, exc)
            return "pending"
        raise self.retry(exc=exc, countdown=notify.backoff_seconds(self.request.retries)) from exc


@shared_task(acks_late=True, ignore_result=True)
def sweep_reminders() -> dict:
    """One reminder sweep (also republishes stale pending notifications)."""
    from incidents.notify.reminders import reminders_sweep

    return reminders_sweep()


@shared_task(acks_late=True, ignore_result=True)
def sweep_digests() -> dict:
    """Claim and send the weekly digests whose local weekday and hour have come."""
    from incidents.notify.digests import digests_sweep

    return digests_sweep()
