"""Settling a field changed both in Hindsight and in the tracker: "Keep Hindsight's" or "Take the tracker's".

The choice is made on what the person saw: the item's version and the tracker's value shown with the
choice (`conflict_token`). If either moved since (someone edited the item, or the tracker sent a newer
value), nothing is settled: `TrackerConflictMoved` (409 on the page) says what changed. The check and
the claim run with the item and its tracker issue locked (SELECT ... FOR UPDATE); keeping Hindsight's
value calls the tracker outside the lock, with the conflict marked `settling` so a second choice at the
same time is refused, and the mark dropped again when the tracker refuses.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.errors import ConflictError
from incidents.followup.services.items import CLOSED_ITEM_STATUSES, action_item_record_elsewhere
from incidents.integrations.trackers.base import IssueChange, TrackerError
from incidents.integrations.trackers.configuration import ADAPTERS, adapter_for
from incidents.integrations.trackers.credentials import CredentialUnreadable
from incidents.integrations.trackers.inbound import (
    FIELD_LABELS,
    apply_field,
    field_label,
    hindsight_label,
    hindsight_values,
)
from incidents.integrations.trackers.models import TrackerIssue
from incidents.integrations.trackers.services import identity_for
from incidents.models import ActionItem, ActionItemStatus
from incidents.permissions.checks import require_edit_action_item
from incidents.permissions.followup import action_item_is_restricted
from incidents.timeline.services import system_entry

SETTLING_SECONDS = 120  # a "Keep Hindsight's" still calling the tracker; well over its timeouts


class TrackerConflictMoved(ConflictError):
    """What the person chose on has moved since they loaded the page; nothing was settled. `current` is the
    stored item; the message says what changed."""


def conflict_token(conflict: dict[str, Any]) -> str:
    """The tracker's side of one conflict as the settle form carries it (its value and close reason)."""
    return json.dumps([conflict.get("tracker"), conflict.get("reason") or ""])


def tracker_conflict_resolve(
    *, actor: Any, item: ActionItem, field: str, keep: str, version: int, shown: str
) -> TrackerIssue:
    """Settle field `field` changed both in Hindsight and in the tracker, as chosen on the item's page at
    item version `version` with the tracker's value `shown` (`conflict_token`).

    `keep="hindsight"` keeps the item as it is and sets Hindsight's value on the tracker issue through its
    adapter (status: closed or reopened; owner: the owner's tracker identity, or nobody; due date where the
    tracker has one), recorded in the item's history. It is not sent for an item that is restricted now
    (`action_item_is_restricted`), nor for an owner with no tracker identity; the history says so.
    `keep="tracker"` applies the tracker's value as `actor`, with its timeline entry.

    Whoever may edit the item (AccessDenied). TrackerConflictMoved when the item's version is not
    `version` or the tracker's value is not `shown` any more (its message says which, and what it is now).
    ValidationError keyed `field` when there is no such conflict (or it was settled meanwhile, or another
    choice on it is being sent right now), `keep` for anything but the two choices, `tracker` when the
    tracker refuses or cannot be reached (the conflict then stays, nothing is stored).
    """
    require_edit_action_item(actor, item)
    if keep not in ("hindsight", "tracker"):
        raise ValidationError({"keep": "Choose Hindsight's value or the tracker's."})
    if keep == "tracker":
        return _take_trackers(actor, item, field, version, shown)
    issue, current, mark = _claim(item, field, version, shown)
    mine = current.title if field == "title" else hindsight_values(current)[field]
    label = ADAPTERS[issue.connection.kind].label
    change, why_not = change_for(issue, current, field)
    if change is not None:
        try:
            adapter_for(issue.connection).update_issue(issue.key, issue.external_id, change)
        except (TrackerError, CredentialUnreadable) as exc:
            _release(issue, field, mark)
            raise ValidationError({"tracker": f"{label} was not changed: {exc}"}) from exc
    with transaction.atomic():
        locked = TrackerIssue.objects.select_for_update().select_related("connection").get(pk=issue.pk)
        if field not in (locked.conflicts or {}):
            raise ValidationError({"field": "This difference was settled meanwhile."})
        locked.agreed[field] = mine
        if change is not None:
            locked.seen[field] = mine  # the tracker has Hindsight's value now: its echo changes nothing
            remember_remote(locked, change)
        locked.conflicts.pop(field)
        locked.save()
        shown_value = field_label(field, mine)
        note = (
            f"Kept Hindsight's {FIELD_LABELS[field].lower()} ({shown_value}) and set it in {label} on "
            f"{issue.key}."
            if change is not None
            else f"Kept Hindsight's {FIELD_LABELS[field].lower()} ({shown_value}); not set in {label} on "
            f"{issue.key}: {why_not}"
        )
        action_item_record_elsewhere(item=current, actor=actor, note=note)
    return locked


def _locked(item: ActionItem, field: str, version: int, shown: str) -> tuple[TrackerIssue, ActionItem]:
    """The item and its tracker issue, locked, after checking that the choice was made on what is stored."""
    current = ActionItem.objects.select_for_update(of=("self",)).select_related("owner").get(pk=item.pk)
    issue = TrackerIssue.objects.select_for_update().select_related("connection").filter(action_item=current)
    locked = issue.first()
    if locked is None or field not in (locked.conflicts or {}):
        raise ValidationError({"field": "There is no such difference with the tracker to settle (any more)."})
    conflict = locked.conflicts[field]
    if _settling(conflict):
        raise ValidationError({"field": "Someone is settling this difference right now: reload in a moment."})
    name = FIELD_LABELS.get(field, field).lower()
    if current.version != version:
        now = hindsight_label(current, field)
        raise TrackerConflictMoved(
            current,
            f"“{current.title}” changed since you loaded the page (now version {current.version}; its "
            f"{name} is now {now}). Nothing was settled: choose again.",
        )
    if conflict_token(conflict) != shown:
        tracker = ADAPTERS[locked.connection.kind].label
        raise TrackerConflictMoved(
            current,
            f"{tracker} changed the {name} again since you loaded the page: it is now "
            f"{conflict.get('label', '')}. Nothing was settled: choose again.",
        )
    return locked, current


def _settling(conflict: dict[str, Any]) -> bool:
    """True while another "Keep Hindsight's" on this conflict is calling the tracker."""
    since = conflict.get("settling")
    if not since:
        return False
    try:
        started = datetime.fromisoformat(str(since))
    except ValueError:
        return False
    return timezone.now() - started < timedelta(seconds=SETTLING_SECONDS)


@transaction.atomic
def _claim(item: ActionItem, field: str, version: int, shown: str) -> tuple[TrackerIssue, ActionItem, str]:
    """Check the choice under lock and mark the conflict `settling`; the mark is returned."""
    issue, current = _locked(item, field, version, shown)
    mark = timezone.now().isoformat()
    issue.conflicts[field]["settling"] = mark
    issue.save(update_fields=["conflicts"])
    return issue, current, mark


@transaction.atomic
def _release(issue: TrackerIssue, field: str, mark: str) -> None:
    """Drop this settle's mark (the tracker refused): the choice stays open."""
    locked = TrackerIssue.objects.select_for_update().get(pk=issue.pk)
    conflict = (locked.conflicts or {}).get(field)
    if conflict is not None and conflict.get("settling") == mark:
        conflict.pop("settling")
        locked.save(update_fields=["conflicts"])


def change_for(issue: TrackerIssue, item: ActionItem, field: str) -> tuple[IssueChange | None, str]:
    """What to set on the tracker issue for Hindsight's value of `field`, or (None, why not)."""
    if action_item_is_restricted(item):
        return None, "the item is on a restricted incident now, whose readers a tracker does not know."
    if field == "status":
        return IssueChange(
            field="status",
            closed=item.status in CLOSED_ITEM_STATUSES,
            not_planned=item.status == ActionItemStatus.WONT_DO,
        ), ""
    if field == "owner":
        assignee = identity_for(issue.connection, item.owner)
        if item.owner is not None and not assignee:
            return (
                None,
                f"{item.owner} has no {ADAPTERS[issue.connection.kind].label} identity in the user map.",
            )
        return IssueChange(field="owner", assignee=assignee), ""
    if field == "title":
        return IssueChange(field="title", title=item.title), ""
    return IssueChange(field="due_date", due_date=item.due_date), ""


def remember_remote(issue: TrackerIssue, change: IssueChange) -> None:
    """Show the value just set as the tracker's, until the next read says otherwise."""
    if change.field == "status":
        issue.remote_closed = change.closed
        issue.remote_status = "closed" if change.closed else "open"
    elif change.field == "owner":
        issue.remote_assignee = change.assignee
    elif change.field == "due_date":
        issue.remote_due_date = change.due_date


@transaction.atomic
def _take_trackers(actor: Any, item: ActionItem, field: str, version: int, shown: str) -> TrackerIssue:
    issue, _current = _locked(item, field, version, shown)
    value = issue.conflicts[field]["tracker"]
    text = apply_field(issue, field, value, actor, str(issue.conflicts[field].get("reason") or ""))
    issue.agreed[field] = value
    current = ActionItem.objects.select_related("incident").get(pk=item.pk)
    if current.incident is not None:
        system_entry(incident=current.incident, actor=actor, body=text)
    issue.conflicts.pop(field)
    issue.save(update_fields=["agreed", "conflicts"])
    return issue
