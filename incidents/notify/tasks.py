"""Celery beat tasks: the periodic sweeps, each calling one function.

Reminders and digests come from periodic sweeps (`CELERY_BEAT_SCHEDULE`), never from long ETAs; the
only countdown used is the retry back-off, capped at 60 seconds (`delivery.backoff_seconds`). The tasks
that send one delivery (`send_notification`, `deliver_webhook`) live beside their records in `delivery.py`.
"""

from __future__ import annotations

from celery import shared_task

from incidents.notify.digests import digests_sweep
from incidents.notify.reminders import reminders_sweep
from incidents.notify.retention import deliveries_prune
from incidents.notify.webhooks import webhooks_overdue_sweep


@shared_task(acks_late=True, ignore_result=True)
def sweep_reminders() -> dict:
    """One reminder sweep (also republishes stale pending deliveries)."""
    return reminders_sweep()


@shared_task(acks_late=True, ignore_result=True)
def sweep_digests() -> dict:
    """Claim and send the weekly digests whose local weekday and hour have come."""
    return digests_sweep()


@shared_task(expires=240)
def sweep_overdue_webhooks() -> int:
    """Record `action_item.overdue` webhooks for items that became overdue (see `webhooks_overdue_sweep`)."""
    return webhooks_overdue_sweep()


@shared_task(expires=3000)
def prune_deliveries() -> dict:
    """Delete finished delivery records past `NOTIFY_RETENTION_DAYS` that no sweep can want again."""
    return deliveries_prune()
