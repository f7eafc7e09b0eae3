"""Pruning old delivery records (`Notification`, `WebhookDelivery`) after `NOTIFY_RETENTION_DAYS`.

A delivery record is what makes a delivery happen once: a sweep that wants a key already in the table
sends nothing. So a record may go only when no sweep can want its key again. A record is deleted when

- it was created more than `NOTIFY_RETENTION_DAYS` (default 400, at least 120) days ago,
- it is finished (`sent`, `skipped` or `failed`; never `pending` or `sending`), and
- its key is not still live. Almost every key names a window that has passed by then: a due date
  (`reminder.due_soon`, `reminder.due_today`, `finding.*`), an overdue week, an ISO week (digests), a
  resolution less than 90 days old (`postmortem.unpublished`), or a one-off event (declared, a status
  or version, a review request, a timeline entry). Three keys stay live as long as their action item
  keeps the date in the key, and are kept while it does (whatever its status, since it may reopen):
  `reminder.escalation` (period = the due date; sent once while the item stays 14 days overdue),
  `reminder.recheck` (period = the re-check date) and the `action_item.overdue` webhook (event id
  `action_item.overdue:<item id>:<due date>`).

Beat runs `deliveries_prune` daily (`incidents.notify.tasks.prune_deliveries`); it deletes in batches
of `BATCH` rows, so it holds no long lock and can be interrupted at any point.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Model, QuerySet
from django.utils import timezone

from incidents.models import ActionItem, DeliveryStatus, Notification, WebhookDelivery

BATCH = 2000
FINISHED = (DeliveryStatus.SENT, DeliveryStatus.SKIPPED, DeliveryStatus.FAILED)
# Notification kinds whose key a sweep wants again for as long as the action item keeps the key's date.
LIVE_KINDS = {"reminder.escalation": "due_date", "reminder.recheck": "recheck_date"}
LIVE_WEBHOOK_EVENT = "action_item.overdue"


def retention_days() -> int:
    """Days a finished delivery record is kept (`NOTIFY_RETENTION_DAYS`)."""
    return int(getattr(settings, "NOTIFY_RETENTION_DAYS", 400))


def deliveries_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Delete the finished delivery records older than the retention period whose key no sweep can want
    again (the module's docstring has the rule). Returns counts: `notifications`, `webhook_deliveries`.
    """
    cutoff = (now or timezone.now()) - timedelta(days=retention_days())
    old = Notification.objects.filter(status__in=FINISHED, created_at__lt=cutoff)
    notifications = _delete_in_batches(old.exclude(kind__in=LIVE_KINDS))
    notifications += _delete_dead_live_notifications(old.filter(kind__in=LIVE_KINDS))

    old_hooks = WebhookDelivery.objects.filter(status__in=FINISHED, created_at__lt=cutoff)
    hooks = _delete_in_batches(old_hooks.exclude(event=LIVE_WEBHOOK_EVENT))
    hooks += _delete_dead_overdue_webhooks(old_hooks.filter(event=LIVE_WEBHOOK_EVENT))
    return {"notifications": notifications, "webhook_deliveries": hooks}


def _delete_in_batches(qs: QuerySet[Any]) -> int:
    deleted = 0
    while True:
        ids = list(qs.order_by().values_list("id", flat=True)[:BATCH])
        if not ids:
            return deleted
        deleted += _delete_ids(qs.model, ids)


def _delete_ids(model: type[Model], ids: list[int]) -> int:
    count, _ = model._default_manager.filter(id__in=ids).delete()
    return count


def _item_dates(item_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Each action item's due and re-check dates as ISO strings ('' when unset)."""
    rows = ActionItem.objects.filter(id__in=set(item_ids)).values_list("id", "due_date", "recheck_date")
    return {
        pk: {
            "due_date": due.isoformat() if due else "",
            "recheck_date": recheck.isoformat() if recheck else "",
        }
        for pk, due, recheck in rows
    }


def _item_id(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _delete_dead_live_notifications(qs: QuerySet[Notification]) -> int:
    deleted = 0
    after = 0
    while True:
        rows = list(
            qs.filter(id__gt=after).order_by("id").values_list("id", "kind", "object_key", "period")[:BATCH]
        )
        if not rows:
            return deleted
        after = rows[-1][0]
        parsed = [
            (pk, kind, _item_id(key.removeprefix("action_item:")), period) for pk, kind, key, period in rows
        ]
        dates = _item_dates(item for _, _, item, _ in parsed if item is not None)
        dead = [
            pk
            for pk, kind, item, period in parsed
            if item is None or item not in dates or dates[item][LIVE_KINDS[kind]] != period
        ]
        if dead:
            deleted += _delete_ids(Notification, dead)


def _delete_dead_overdue_webhooks(qs: QuerySet[WebhookDelivery]) -> int:
    deleted = 0
    after = 0
    while True:
        rows = list(qs.filter(id__gt=after).order_by("id").values_list("id", "event_id")[:BATCH])
        if not rows:
            return deleted
        after = rows[-1][0]
        parsed = []
        for pk, event_id in rows:
            _, item, due = (event_id.split(":") + ["", ""])[:3]
            parsed.append((pk, _item_id(item), due))
        dates = _item_dates(item for _, item, _ in parsed if item is not None)
        dead = [
            pk
            for pk, item, due in parsed
            if item is None or item not in dates or dates[item]["due_date"] != due
        ]
        if dead:
            deleted += _delete_ids(WebhookDelivery, dead)
