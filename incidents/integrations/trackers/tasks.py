"""Celery tasks of the tracker sync: one push of Hindsight's changes to an issue, and the sweep (beat,
every TRACKER_RECONCILE_SECONDS)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from incidents.integrations.trackers.outbound import PushRetry, tracker_push_deliver, tracker_sync_sweep
from incidents.notify.delivery import backoff_seconds

PUSH_RETRIES = 4


@shared_task(acks_late=True, ignore_result=True)
def reconcile_trackers() -> int:
    """Send lost pushes, read linked issues and apply what webhooks missed; returns the fields applied."""
    return tracker_sync_sweep()


@shared_task(
    bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=PUSH_RETRIES, ignore_result=True
)
def push_to_tracker(self: Any, push_id: int) -> str:
    """Send one recorded push (`TrackerPush`); a tracker that may answer later is retried with the one
    back-off (`backoff_seconds`: 10, 20, 40, 60 s), then left to the sweep."""
    try:
        return tracker_push_deliver(push_id=push_id)
    except PushRetry as exc:
        if self.request.retries >= self.max_retries:
            return "pending"
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc
