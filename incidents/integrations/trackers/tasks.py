"""Celery task of the tracker sync: the reconcile sweep (beat, every TRACKER_RECONCILE_SECONDS)."""

from __future__ import annotations

from celery import shared_task

from incidents.integrations.trackers.services import tracker_reconcile


@shared_task(acks_late=True, ignore_result=True)
def reconcile_trackers() -> int:
    """Read linked issues and apply what webhooks missed; returns the number of fields applied."""
    return tracker_reconcile().applied
