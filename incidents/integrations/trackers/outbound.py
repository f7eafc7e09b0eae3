"""Hindsight's own changes of an action item, set on its tracker issue: the `TrackerPush` delivery records.

Saving an item's title, status, owner or due date records one push (per issue and item version,
`notify.action_item_changed`); the `push_to_tracker` task sends it once. It takes a lease on the row (one push
of an issue at a time: one saved meanwhile is rescheduled and handed the issue when the first ends),
then reads the issue first and applies that read as the sweep would (`inbound.sync_issue`): a field the
tracker changed too since the last sync becomes a conflict shown on the item and is not sent (nothing
is overwritten on either side); a field the tracker already has is only marked agreed. Every other
changed field is set through the adapter with the item's values as they are at send time, and becomes
what both sides agreed on. Nothing is sent for an item on a restricted incident, a switched-off
tracker, or a change already in the tracker. An unreachable or failing tracker (no answer, 429, 5xx) is
retried with backoff; after `PUSH_MAX_ATTEMPTS` the push is failed, with the reason.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from incidents.integrations.trackers.base import IssueChange, IssueState, TrackerError
from incidents.integrations.trackers.configuration import ADAPTERS, adapter_for
from incidents.integrations.trackers.conflicts import change_for, remember_remote
from incidents.integrations.trackers.credentials import CredentialUnreadable
from incidents.integrations.trackers.inbound import hindsight_values, sync_issue
from incidents.integrations.trackers.models import TrackerIssue, TrackerPush
from incidents.integrations.trackers.services import tracker_reconcile
from incidents.models import ActionItem, DeliveryStatus
from incidents.notify.services import tracker_pushes_queue
from incidents.permissions.followup import action_item_is_restricted

log = logging.getLogger(__name__)

PUSHED = ("title", "status", "owner", "due_date")
PUSH_MAX_ATTEMPTS = 5
LEASE_SECONDS = 120
RESEND_AFTER_SECONDS = 60


class PushRetry(Exception):
    """The tracker could not be reached or failed (no answer, 429, 5xx): the push is pending again."""


def _mine(item: ActionItem, name: str) -> Any:
    return item.title if name == "title" else hindsight_values(item)[name]


def _take_lease(push_id: int, issue_id: int) -> str:
    """Take the lease of push `push_id`: one push of an issue is sent at a time, so a push saved while
    another of its issue is on the way never races it (an older title set after a newer one). With the
    issue's row locked: `held` when a push of the issue (this one or another) is being sent under a
    live lease, `taken` (the push is `sending` now, its attempts counted), or `finished` (it was sent,
    skipped or failed already)."""
    now = timezone.now()
    with transaction.atomic():
        TrackerIssue.objects.select_for_update().filter(pk=issue_id).values_list("pk", flat=True).first()
        live = TrackerPush.objects.filter(
            issue_id=issue_id, status=DeliveryStatus.SENDING, locked_until__gte=now
        )
        if live.exists():
            return "held"
        taken = (
            TrackerPush.objects.filter(pk=push_id)
            .filter(Q(status=DeliveryStatus.PENDING) | Q(status=DeliveryStatus.SENDING, locked_until__lt=now))
            .update(
                status=DeliveryStatus.SENDING,
                locked_until=now + timedelta(seconds=LEASE_SECONDS),
                attempts=F("attempts") + 1,
            )
        )
    return "taken" if taken else "finished"


def _finish(push_id: int, status: str, error: str = "", **fields: Any) -> str:
    fields.update(status=status, locked_until=None, last_error=error[:2000])
    if status == DeliveryStatus.SENT:
        fields["sent_at"] = timezone.now()
    TrackerPush.objects.filter(pk=push_id).update(**fields)
    return str(status)


def _trouble(push_id: int, exc: Exception, **fields: Any) -> str:
    """Record a tracker failure: pending again (PushRetry) while it may pass and attempts remain."""
    status = getattr(exc, "status", None)
    transient = isinstance(exc, TrackerError) and (status is None or status == 429 or status >= 500)
    attempts = TrackerPush.objects.filter(pk=push_id).values_list("attempts", flat=True).first() or 0
    if transient and attempts < PUSH_MAX_ATTEMPTS:
        _finish(push_id, DeliveryStatus.PENDING, f"Attempt {attempts} failed, will retry: {exc}", **fields)
        raise PushRetry(str(exc)) from exc
    _finish(push_id, DeliveryStatus.FAILED, f"Not set in the tracker: {exc}", **fields)
    return "failed"


def _title_seen(issue: TrackerIssue, state: IssueState, item: ActionItem) -> None:
    """Record the tracker's title as read; a title renamed there while Hindsight's changed too since
    they last agreed is a conflict (Hindsight never takes a title from the tracker unasked)."""
    if state.title is None:
        return
    before = issue.seen.get("title")
    issue.seen["title"] = state.title
    if before is None or before == state.title:
        return  # no rename in the tracker (or none known of)
    if item.title == state.title:
        issue.agreed["title"] = state.title
        issue.conflicts.pop("title", None)
    elif item.title != issue.agreed.get("title", item.title):
        issue.conflicts["title"] = {"tracker": state.title, "label": state.title}


def tracker_push_deliver(*, push_id: int) -> str:
    """Send one recorded push at most once (see the module docstring). Returns `sent` (something was set
    on the issue, or there was nothing left to set), `skipped` (restricted, tracker off, nothing
    changed), `failed`, or `gone`; for a push finished already, the status it finished with. Raises
    PushRetry after putting the row back to pending when the tracker may answer later, and when a push
    of the issue is being sent right now (this one is rescheduled, with back-off, and sent after it:
    with the item's values as they are then). A push that finishes hands the issue to the pushes
    waiting for it (`notify.tracker_pushes_queue`), so the newest values reach the tracker at once."""
    push = TrackerPush.objects.filter(pk=push_id).select_related("issue__connection").first()
    if push is None:
        return "gone"
    lease = _take_lease(push_id, push.issue_id)
    if lease == "held":
        raise PushRetry("Another push of this issue is being sent: this one follows it.")
    if lease == "finished":
        return str(TrackerPush.objects.filter(pk=push_id).values_list("status", flat=True).first())
    outcome = _deliver(push)  # PushRetry: the tracker failed, this push is pending again
    waiting = TrackerPush.objects.filter(issue_id=push.issue_id, status=DeliveryStatus.PENDING)
    tracker_pushes_queue(list(waiting.values_list("pk", flat=True)))
    return outcome


def _deliver(push: TrackerPush) -> str:
    push_id = push.pk
    issue = TrackerIssue.objects.select_related("connection").get(
        pk=push.issue_id
    )  # as the last push left it
    item = ActionItem.objects.select_related("incident", "owner").get(pk=issue.action_item_id)
    if not issue.connection.is_active:
        return _finish(push_id, DeliveryStatus.SKIPPED, "The tracker is switched off.")
    if action_item_is_restricted(item):
        return _finish(push_id, DeliveryStatus.SKIPPED, "The item is on a restricted incident now.")
    wanted = [f for f in PUSHED if f in push.fields and _mine(item, f) != issue.agreed.get(f)]
    if not wanted:
        return _finish(push_id, DeliveryStatus.SKIPPED, "Nothing to set: the tracker has these values.")
    try:
        adapter = adapter_for(issue.connection)
        state = adapter.fetch_state(issue.key, issue.external_id)  # first what the tracker has now
    except (TrackerError, CredentialUnreadable) as exc:
        return _trouble(push_id, exc)
    plan, conflicts, notes = _plan(issue.pk, state, wanted)
    pushed: list[str] = []
    for name, value, change in plan:
        try:
            adapter.update_issue(issue.key, issue.external_id, change)
        except (TrackerError, CredentialUnreadable) as exc:
            return _trouble(push_id, exc, pushed=pushed, conflicts=conflicts)
        with transaction.atomic():
            locked = TrackerIssue.objects.select_for_update().get(pk=issue.pk)
            locked.agreed[name] = value
            locked.seen[name] = value  # its echo (a webhook of this very change) changes nothing
            remember_remote(locked, change)
            locked.synced_at = timezone.now()  # both sides agree on it as of now
            locked.save()
        pushed.append(name)
    return _finish(push_id, DeliveryStatus.SENT, " ".join(notes), pushed=pushed, conflicts=conflicts)


@transaction.atomic
def _plan(issue_id: int, state: IssueState, wanted: list[str]) -> tuple[list[Any], list[str], list[str]]:
    """With the issue locked: apply the read (a field changed on both sides becomes a conflict), then
    what to set: (field, Hindsight's value, change) each, the fields in conflict, and why any is not set."""
    locked = TrackerIssue.objects.select_for_update().select_related("connection").get(pk=issue_id)
    sync_issue(locked, state, None)
    item = ActionItem.objects.select_related("incident", "owner").get(pk=locked.action_item_id)
    _title_seen(locked, state, item)
    plan: list[tuple[str, Any, IssueChange]] = []
    conflicts: list[str] = []
    notes: list[str] = []
    for name in wanted:
        mine = _mine(item, name)
        if name in locked.conflicts:
            conflicts.append(name)
        elif mine == locked.agreed.get(name):
            continue  # agreed meanwhile (the tracker's value was taken, or Hindsight changed back)
        elif name in locked.seen and locked.seen[name] == mine:
            locked.agreed[name] = mine  # the tracker has it already
        elif name == "due_date" and not ADAPTERS[locked.connection.kind].has_due_date:
            continue  # GitHub has no due date (it is written in the issue's body when opened)
        else:
            change, why_not = change_for(locked, item, name)
            if change is None:
                notes.append(why_not)
            else:
                plan.append((name, mine, change))
    locked.save()
    return plan, conflicts, notes


def tracker_sync_sweep(*, limit: int = 500) -> int:
    """The tracker beat: send pushes the broker lost (pending for over `RESEND_AFTER_SECONDS`, or a lease
    expired), then `tracker_reconcile`. Returns the number of fields the reconcile applied."""
    now = timezone.now()
    stale = TrackerPush.objects.filter(
        Q(status=DeliveryStatus.PENDING, created_at__lt=now - timedelta(seconds=RESEND_AFTER_SECONDS))
        | Q(status=DeliveryStatus.SENDING, locked_until__lt=now)
    )
    for push_id in stale.order_by("id").values_list("id", flat=True)[:limit]:
        try:
            tracker_push_deliver(push_id=push_id)
        except PushRetry as exc:
            log.warning("tracker push %s: %s", push_id, exc)
    return tracker_reconcile(limit=limit).applied
