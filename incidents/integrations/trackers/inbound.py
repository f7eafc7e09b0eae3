"""Applying a tracker's state to an action item: the one path of webhooks, the reconcile sweep and the
choice "Take the tracker's" (services.py calls it with the issue row locked).

How a change moves: the tracker's state is first ordered by the tracker's own time (`updated_at`): a
state older than the last one applied (`TrackerIssue.remote_updated_at`) is ignored whole, so a late
webhook or a sweep that read the issue before a newer webhook arrived never undoes it. Then it is
compared field by field (`status` open/closed/wont_do, `owner` a user id, `due_date` ISO) with
`TrackerIssue.seen`, the tracker's values last observed. A field the tracker did not change is left alone
(a repeated delivery or a sweep that finds nothing new changes nothing). A changed field is applied to the
item through the follow-through services, as Hindsight (SYSTEM), with one timeline entry, when
Hindsight's value is still the one both sides `agreed` on; when someone changed it in Hindsight too, the
field goes to `conflicts` and the item page asks which to keep. A close of a blocked item is always such a
conflict: the item waits on something, and is never made done without someone choosing. So is a close that
says the other thing about the work than the item does (closed as completed on a "Won't do" item, closed as
not planned on a done one): whether the work was done is a person's answer. What cannot be taken (a due date that is
not a date) leaves Hindsight's value and goes to `warnings`, shown on the item.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.followup.services.items import (
    CLOSED_ITEM_STATUSES,
    action_item_change_status,
    action_item_update,
)
from incidents.integrations.trackers.base import IssueState
from incidents.integrations.trackers.configuration import ADAPTERS
from incidents.integrations.trackers.models import TrackerConnection, TrackerIssue
from incidents.markdown import markdown_text
from incidents.models import ActionItem, ActionItemStatus
from incidents.permissions.checks import SYSTEM
from incidents.permissions.followup import can_view_action_item
from incidents.timeline.services import system_entry

FIELDS = ("status", "owner", "due_date")
CLOSED_VALUES = ("closed", "wont_do")  # the sync's `status` of a closed item: done, or not done
FIELD_LABELS = {"status": "Status", "owner": "Owner", "due_date": "Due date", "title": "Title"}
CLOSE_REASON_TEXT = {"not_planned": "closed as not planned", "duplicate": "closed as a duplicate"}
_SKIP = object()


def hindsight_values(item: ActionItem) -> dict[str, Any]:
    """The item's values in the sync's terms: `status` "open", "closed" (done) or "wont_do", `owner` a
    user id or None, `due_date` ISO or None."""
    if item.status == ActionItemStatus.WONT_DO:
        status = "wont_do"
    else:
        status = "closed" if item.status in CLOSED_ITEM_STATUSES else "open"
    return {
        "status": status,
        "owner": item.owner_id,
        "due_date": item.due_date.isoformat() if item.due_date else None,
    }


def _tracker_values(connection: TrackerConnection, state: IssueState) -> dict[str, Any]:
    """The tracker's state in Hindsight's terms; `_SKIP` for what the answer says nothing about (a
    field missing or of the wrong type: never read as "open" or "no due date") and for what cannot be
    mapped (no such field, an assignee with no Hindsight account by verified email or mapping, a due
    date that is not a date). An issue assigned to nobody is `owner` None: the item's owner is cleared."""
    if state.closed is None:
        status: Any = _SKIP
    elif state.closed:
        status = "wont_do" if state.close_reason in CLOSE_REASON_TEXT else "closed"
    else:
        status = "open"
    values: dict[str, Any] = {
        "status": status,
        "owner": _SKIP,
        "due_date": _SKIP,
    }
    mapped = {str(k).lower(): v for k, v in (connection.user_map or {}).items()}  # logins ignore case
    if state.assignee == "":
        values["owner"] = None  # unassigned in the tracker (GitHub `assignees: []`, Jira null, Redmine none)
    elif state.assignee:
        email = (state.assignee_email or mapped.get(state.assignee.lower(), "")).lower()
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).first() if email else None
        if user is not None:
            values["owner"] = user.pk
    if ADAPTERS[connection.kind].has_due_date and state.due_date_known:
        values["due_date"] = state.due_date.isoformat() if state.due_date else None
    return values


def hindsight_label(item: ActionItem, name: str) -> str:
    """How the item's own value of field `name` reads on its page."""
    if name == "owner":
        return str(item.owner) if item.owner_id else "nobody"
    if name == "status":
        return item.get_status_display()
    if name == "title":
        return item.title
    return item.due_date.isoformat() if item.due_date else "no due date"


def field_label(name: str, value: Any, reason: str = "") -> str:
    """How the tracker's `value` of field `name` reads on the item page (`reason`: a close reason)."""
    if name == "owner":
        user = get_user_model().objects.filter(pk=value).first() if value else None
        return str(user) if user else "nobody"
    if name == "status":
        if value == "wont_do":
            return CLOSE_REASON_TEXT.get(reason, CLOSE_REASON_TEXT["not_planned"])
        if value == "closed":
            return CLOSE_REASON_TEXT.get(reason, "closed (done)")
        return "open"
    if name == "title":
        return str(value)
    return str(value or "no due date")


def apply_field(issue: TrackerIssue, name: str, value: Any, actor: Any, reason: str = "") -> str:
    """Set field `name` of the issue's item to the tracker's `value` through the follow-through services;
    return the timeline text. `wont_do` (or, as stored before, `closed` with `reason` `not_planned` or
    `duplicate`) makes the item "Won't do" (the work was not done), `closed` "Done" with the issue as
    evidence, also straight from the other closed status (never through open); a reopen clears the
    closing note. ValidationError when the item refuses the value."""
    item = ActionItem.objects.select_related("incident").get(pk=issue.action_item_id)
    label = ADAPTERS[issue.connection.kind].label
    title = markdown_text(item.title)
    key = markdown_text(issue.key)
    if name == "status" and (value == "wont_do" or (value == "closed" and reason in CLOSE_REASON_TEXT)):
        how = CLOSE_REASON_TEXT.get(reason, CLOSE_REASON_TEXT["not_planned"])
        action_item_change_status(
            item=item, actor=actor, status=ActionItemStatus.WONT_DO,
            note=f"{how.capitalize()} in {label} ({issue.key}): {issue.url}", reclose=True,
        )  # fmt: skip
        return f"Action item {title} won't be done: its issue {key} was {how} in {label}."
    if name == "status" and value == "closed":
        action_item_change_status(
            item=item, actor=actor, status=ActionItemStatus.DONE,
            note=f"Closed in {label} as {issue.key}: {issue.url}", reclose=True,
        )  # fmt: skip
        return f"Action item {title} done: its issue {key} was closed in {label}."
    if name == "status":
        action_item_change_status(
            item=item, actor=actor, status=ActionItemStatus.OPEN,
            note=f"Reopened in {label} ({issue.key}): {issue.url}",
        )  # fmt: skip
        return f"Action item {title} reopened: its issue {key} was reopened in {label}."
    if name == "title":
        action_item_update(item=item, actor=actor, title=str(value))
        return f"Action item {markdown_text(value)} renamed as in {label} ({key}); it was {title}."
    if name == "owner" and value is None:
        action_item_update(item=item, actor=actor, owner=None)
        return f"Action item {title} has no owner now: its issue {key} was unassigned in {label}."
    if name == "owner":
        owner = get_user_model().objects.get(pk=value)
        if not can_view_action_item(owner, item):  # never hand an item to someone outside its incident
            raise ValidationError({"owner": f"{owner} may not see this action item: it keeps its owner."})
        action_item_update(item=item, actor=actor, owner=owner)
        return f"Action item {title} assigned to {markdown_text(owner)} in {label} ({key})."
    due = date.fromisoformat(value) if value else None
    action_item_update(item=item, actor=actor, due_date=due)
    return f"Action item {title} due {value or 'no date'}: changed in {label} ({key})."


def is_stale(issue: TrackerIssue, state: IssueState) -> bool:
    """True when `state` is older than the tracker state last applied to `issue` (by the tracker's
    `updated_at`; a state without that time is never called stale)."""
    return (
        state.updated_at is not None
        and issue.remote_updated_at is not None
        and state.updated_at < issue.remote_updated_at
    )


def sync_issue(issue: TrackerIssue, state: IssueState, changed: frozenset[str] | None) -> list[str]:
    """Compare the tracker's `state` with the locked `issue` for the fields in `changed` (None: every
    field), apply what only the tracker changed, record what both changed as a conflict. Returns the
    names of the fields applied; nothing at all for a state older than the last one applied (only
    `synced_at`, the time the tracker was last heard from, moves)."""
    if is_stale(issue, state):  # a late webhook, or a read from before a newer webhook: never undo it
        issue.synced_at = timezone.now()  # but the tracker was heard from
        issue.save(update_fields=["synced_at"])
        return []
    if state.updated_at is not None:
        issue.remote_updated_at = state.updated_at
    if state.closed is not None:
        issue.remote_closed = state.closed
        issue.remote_status = state.status[:100] or issue.remote_status
    if state.assignee is not None:
        issue.remote_assignee = (state.assignee_email or state.assignee)[:200]
    if ADAPTERS[issue.connection.kind].has_due_date and state.due_date_known:
        issue.remote_due_date = state.due_date
    _warn(issue, state, changed)
    theirs = _tracker_values(issue.connection, state)
    applied: list[str] = []
    for name in FIELDS:
        value = theirs[name]
        # A field in conflict is read from every newer state, whatever the event changed: the conflict
        # shown always holds the tracker's newest value (a missed assignee webhook, then a close).
        if value is _SKIP or (changed is not None and name not in changed and name not in issue.conflicts):
            continue
        if name in issue.seen and issue.seen[name] == value:
            continue  # the tracker did not change it: a repeat, or a sweep that finds nothing new
        issue.seen[name] = value
        item = ActionItem.objects.select_related("incident").get(pk=issue.action_item_id)
        mine = hindsight_values(item)[name]
        reason = state.close_reason if name == "status" else ""
        conflict = {"tracker": value, "label": field_label(name, value, reason)}
        if reason:
            conflict["reason"] = reason
        # A blocked item waits on something, and done and won't do are two answers to whether the work
        # was done: a close in the tracker on such an item is a question, never taken unasked.
        blocked = (
            name == "status"
            and value in CLOSED_VALUES
            and (item.status == ActionItemStatus.BLOCKED or mine in CLOSED_VALUES)
        )
        if mine == value:
            issue.agreed[name] = value
            issue.conflicts.pop(name, None)
        elif mine == issue.agreed.get(name, mine) and not blocked:
            try:
                text = apply_field(issue, name, value, SYSTEM, reason)
            except ValidationError as exc:
                issue.conflicts[name] = {**conflict, "error": _first(exc)}
                continue
            issue.agreed[name] = value
            issue.conflicts.pop(name, None)
            applied.append(name)
            if item.incident is not None:
                system_entry(incident=item.incident, actor=SYSTEM, body=text)
        else:
            issue.conflicts[name] = conflict
    _title_conflict_refresh(issue, state)
    issue.synced_at = timezone.now()
    issue.save()
    return applied


def _title_conflict_refresh(issue: TrackerIssue, state: IssueState) -> None:
    """A title in conflict holds the tracker's newest title; it is settled when that is the item's."""
    if "title" not in issue.conflicts or state.title is None:
        return
    issue.seen["title"] = state.title
    title = ActionItem.objects.filter(pk=issue.action_item_id).values_list("title", flat=True).first()
    if title == state.title:
        issue.agreed["title"] = state.title
        issue.conflicts.pop("title")
    elif issue.conflicts["title"].get("tracker") != state.title:
        issue.conflicts["title"] = {"tracker": state.title, "label": state.title}


def _warn(issue: TrackerIssue, state: IssueState, changed: frozenset[str] | None) -> None:
    """Record (or clear) what the tracker sent that cannot be taken: a due date that is not a date."""
    if not ADAPTERS[issue.connection.kind].has_due_date or (
        changed is not None and "due_date" not in changed
    ):
        return
    if state.due_date_invalid:
        label = ADAPTERS[issue.connection.kind].label
        issue.warnings["due_date"] = (
            f"{label}'s due date “{state.due_date_invalid}” is not a date: Hindsight keeps its own."
        )
    elif state.due_date_known:  # a date (or none) taken: the warning is over; silence says nothing
        issue.warnings.pop("due_date", None)


def _first(exc: ValidationError) -> str:
    messages = exc.messages
    return messages[0] if messages else "refused"
