"""Action item writes: create, edit, status, the effect re-check, and the items captured from the review.

Every function is one transaction, takes `actor=` (a User, or `SYSTEM`: demo loader, periodic tasks) and
checks it through `incidents.permissions` before it touches a row, saves through `common.save_work` (one
simple-history record per change, with the actor and a reason) and tells `incidents.notify.services`
what people hear about (a new owner is emailed on commit). Errors:

- `django.core.exceptions.ValidationError`, keyed by field, for bad input and refused transitions;
- `incidents.errors.AccessDenied` when the actor may not do this (not found when they may not see it);
- `FollowupConflict` when the row changed since the editor loaded it (`expected_version`).

Recurrence flags are in `recurrence.py`, policy findings in `findings.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.followup.services import common
from incidents.happened import happened_at
from incidents.incident.selectors import incident_owning_team
from incidents.markdown import markdown_text
from incidents.models import (
    ActionItem,
    ActionItemStatus,
    ActionItemType,
    ContributingFactor,
    Incident,
    PolicyFinding,
    Priority,
    RecheckOutcome,
)
from incidents.notify import services as notify
from incidents.permissions.checks import (
    SYSTEM,
    actor_user,
    refuse_people,
    require_create_action_item,
    require_edit_action_item,
    require_record,
)
from incidents.permissions.people import (
    ITEM_OWNER_KEPT,
    can_own_action_item,
    item_owner_scope,
    may_choose_item_owner,
)
from incidents.timeline.services import system_entry

S = ActionItemStatus

ITEM_EDITABLE_FIELDS = (
    "title", "description", "owner", "team", "due_date", "priority", "type", "tracker_url",
    "success_criteria", "recheck_date",
)  # fmt: skip

# Action item status changes through `action_item_change_status`. Reopening done / won't do goes back to open.
ITEM_TRANSITIONS: dict[str, set[str]] = {
    S.OPEN: {S.IN_PROGRESS, S.BLOCKED, S.DONE, S.WONT_DO},
    S.IN_PROGRESS: {S.OPEN, S.BLOCKED, S.DONE, S.WONT_DO},
    S.BLOCKED: {S.OPEN, S.IN_PROGRESS, S.DONE, S.WONT_DO},
    S.DONE: {S.OPEN},
    S.WONT_DO: {S.OPEN},
}


def default_due_date(priority: str, owner: Any = None) -> date:
    """The priority's due-date target (settings.ACTION_ITEM_DUE_TARGET_DAYS) from today in the owner's zone."""
    days = settings.ACTION_ITEM_DUE_TARGET_DAYS.get(priority, 30)
    zone = owner.tzinfo if owner is not None else timezone.get_current_timezone()
    return timezone.now().astimezone(zone).date() + timedelta(days=days)


def _validate_item(item: ActionItem) -> None:
    errors: dict[str, str] = {}
    if not item.title.strip():
        errors["title"] = "Give the action item a title."
    if item.priority not in Priority.values:
        errors["priority"] = "Choose a priority from P1 to P3."
    if item.type not in ActionItemType.values:
        errors["type"] = "Choose prevent, detect, mitigate or process."
    if item.recheck_date and item.due_date and item.recheck_date < item.due_date:
        errors["recheck_date"] = "The re-check date cannot be before the due date."
    if errors:
        raise ValidationError(errors)
    item.full_clean(
        exclude=["incident", "factor", "finding", "owner", "team", "created_by", "recurrence_incident"]
    )


def _check_item_owner(actor: Any, item: ActionItem, changed: Iterable[str] = ("owner",)) -> None:
    """Refuse `item.owner` when it is being set (`"owner"` in `changed`) and may not own the item
    (`can_own_action_item`: on an incident, only those who may record on it): ValidationError keyed
    `owner`. Every path that sets an owner (the API, the forms, meeting capture, tracker sync, bulk
    reassignment) comes through `action_item_create` or `action_item_update`, which call this; an owner
    already stored stays until someone changes it.

    The owner is judged by `refuse_people` (the one rule for every person field): someone `actor` may not
    pick on the item's incident (or, on none, on its finding's incidents; else as on no incident) is
    `NOT_CHOOSABLE`, what an id that names nobody gets too, and is never accepted; only someone they may
    pick is named in a refusal. An actor who may not choose the owner at all (`may_choose_item_owner`: the
    owner of an item on an incident they cannot see) gets `ITEM_OWNER_KEPT` for any change, to anyone or to
    nobody, so the answer never tells who takes part in the incident."""
    if "owner" not in changed:
        return
    incident, finding = item.incident, item.finding
    if not (actor is SYSTEM or may_choose_item_owner(actor, incident=incident, finding=finding)):
        raise ValidationError({"owner": ITEM_OWNER_KEPT})

    def why_not(owner: Any) -> str | None:
        if can_own_action_item(owner, incident=incident, finding=finding):
            return None
        if incident is not None:
            return f"{owner} may not record on {incident.reference}: choose someone who may."
        return f"{owner} may not see this action item: choose someone who may."

    refuse_people(
        actor,
        {"owner": item.owner if item.owner_id is not None else None},
        incidents=item_owner_scope(incident=incident, finding=finding),
        why_not=why_not,
    )


def _tell_assigned(item: ActionItem, previous_owner_id: int | None, actor: Any) -> None:
    if common.newly_assigned(item, previous_owner_id):
        notify.action_item_assigned(item, actor=actor)


@transaction.atomic
def action_item_create(
    *,
    actor: Any,
    title: str,
    incident: Incident | None = None,
    factor: ContributingFactor | None = None,
    finding: PolicyFinding | None = None,
    description: str = "",
    owner: Any = None,
    team: Any = None,
    due_date: date | None = None,
    priority: str = Priority.P2,
    type: str = ActionItemType.PREVENT,
    tracker_url: str = "",
    success_criteria: str = "",
    recheck_date: date | None = None,
    at: datetime | None = None,
) -> ActionItem:
    """Create an action item from an incident, a contributing factor, a policy finding, or on its own.

    A factor implies its incident. `team` defaults to the incident's (`incident_owning_team`: its first
    team, else its first service's), so the item finds its team's tracker however it was made. `due_date` defaults to the priority's target from the owner's local
    today. Emits `action_item.created`, and `action_item.assigned` when it has an owner.

    Who may create (AccessDenied otherwise): on an incident (or a factor's), whoever may record on it; for
    a finding, whoever may edit the finding, and also record on the incident when one is given; on its
    own, responders, team leads and admins. Raises ValidationError for field errors. `at` (aware, not in
    the future) dates the creation in the past: the demo's items of 2017 (ValueError otherwise).
    """
    if factor is not None:
        if incident is not None and factor.incident_id != incident.pk:
            raise ValidationError({"factor": "That contributing factor belongs to another incident."})
        incident = factor.incident
    require_create_action_item(actor, incident, finding)
    user = actor_user(actor)
    if team is None and incident is not None:
        team = incident_owning_team(incident)
    item = ActionItem(
        incident=incident,
        factor=factor,
        finding=finding,
        title=(title or "").strip(),
        description=description or "",
        owner=owner,
        team=team,
        due_date=due_date or default_due_date(priority, owner),
        priority=priority,
        type=type,
        tracker_url=tracker_url or "",
        success_criteria=success_criteria or "",
        recheck_date=recheck_date,
        created_by=user,
    )
    _validate_item(item)
    _check_item_owner(actor, item)
    common.create_work(item, actor=actor, at=at)
    _tell_assigned(item, None, actor)
    return item


@transaction.atomic
def action_item_update(
    *, item: ActionItem, actor: Any, expected_version: int | None = None, **changes: Any
) -> ActionItem:
    """Edit the item's fields (ITEM_EDITABLE_FIELDS). Status goes through `action_item_change_status`.

    With `expected_version`, an item changed since then raises FollowupConflict and nothing is saved.
    A new owner gets `action_item.assigned`. Returns the saved item (the same version if nothing changed).
    """
    return common.edit_work(
        item,
        actor=actor,
        changes=changes,
        expected_version=expected_version,
        editable=ITEM_EDITABLE_FIELDS,
        require=require_edit_action_item,
        validate=_validate_item,
        assigned=_tell_assigned,
        check_people=_check_item_owner,
    )


@transaction.atomic
def action_item_record_elsewhere(*, item: ActionItem, actor: Any, note: str) -> ActionItem:
    """Write one history record on the item that changes none of its fields: what was done about it
    outside Hindsight (`note`, such as Hindsight's due date set on its tracker issue). The record names the
    actor; the item's version moves on. Whoever may edit the item (AccessDenied)."""
    require_edit_action_item(actor, item)
    current = common.lock_work(item, None)
    common.save_work(current, [], actor=actor, reason=common.change_reason(common.Change.TRACKER, note))
    return current


# What a status change needs in its note, and where the note is kept.
ITEM_STATUS_NOTES: dict[str, tuple[str, str]] = {
    S.DONE: ("Say what was done (the completion note).", "completion_note"),
    S.WONT_DO: ("Say why this will not be done.", "wont_do_reason"),
    S.BLOCKED: ("Say what the item is waiting on.", "blocked_on"),
}
CLOSED_ITEM_STATUSES = (S.DONE, S.WONT_DO)


@transaction.atomic
def action_item_change_status(
    *,
    item: ActionItem,
    actor: Any,
    status: str,
    note: str = "",
    expected_version: int | None = None,
    reclose: bool = False,
    at: datetime | None = None,
) -> ActionItem:
    """Move the item along ITEM_TRANSITIONS; with `reclose`, also straight from done to won't do or back
    (a tracker's close taken: the work was, or was not, done after all), which is no reopening.

    Done needs a completion note, won't do needs a reason, blocked needs what it waits on (all in `note`);
    reopening a done or won't-do item needs a reason too. Reopening clears the completion and the
    re-check answer, and gives an item whose due date has passed a new one (`_due_again`); leaving a
    status clears its note (a reopened item shows no completion note, an unblocked one no "waiting on");
    the history keeps them. The note is the history record's reason. `at` (aware, not in the future) dates
    the change and `completed_at` in the past (the demo's items done in 2017). Raises ValidationError
    (keyed `status` or `note`), AccessDenied, FollowupConflict; ValueError for a naive or future `at`.
    """
    require_edit_action_item(actor, item)
    current = common.lock_work(item, expected_version)
    if not common.is_status_change(current, status):
        return current
    old = current.status
    switching = reclose and old in CLOSED_ITEM_STATUSES and status in CLOSED_ITEM_STATUSES
    if not switching:
        common.require_transition(current, status, ITEM_TRANSITIONS, "An item")
    reopening = old in CLOSED_ITEM_STATUSES and not switching
    if status in ITEM_STATUS_NOTES:
        message, kept_in = ITEM_STATUS_NOTES[status]
        note = common.required_note(note, message)
        setattr(current, kept_in, note)
        fields = ["status", kept_in]
    elif reopening:
        note = common.required_note(note, "Say why the item is being reopened.")
        fields = ["status"]
    else:
        note = (note or "").strip()
        fields = ["status"]
    if old in ITEM_STATUS_NOTES and old != status:  # the note of the status left no longer holds
        setattr(current, ITEM_STATUS_NOTES[old][1], "")
        fields.append(ITEM_STATUS_NOTES[old][1])
    current.status = status
    if status in CLOSED_ITEM_STATUSES:
        current.completed_at = happened_at(at)
        fields.append("completed_at")
    due_note = ""
    if reopening:
        current.completed_at = None
        current.recheck_confirmed_at = None
        current.recheck_outcome = ""
        fields += ["completed_at", "recheck_confirmed_at", "recheck_outcome"]
        due_fields, due_note = _due_again(current)
        fields += due_fields
    common.save_work(
        current,
        fields,
        actor=actor,
        reason=common.change_reason(common.Change.STATUS, note + due_note),
        at=at,
    )
    return current


def _due_again(current: ActionItem) -> tuple[list[str], str]:
    """On reopening `current` (by a status change, a failed re-check, a recurrence): when its due date has
    passed in the owner's zone (or it has none), give it the priority's target from today
    (`default_due_date`) and move its re-check date by as much, so a reopened item is not overdue at
    once. Returns (fields changed, a note for the history reason: "New due date 2026-12-16." or "")."""
    owner = current.owner if current.owner_id is not None else None
    zone = owner.tzinfo if owner is not None else timezone.get_current_timezone()
    today = timezone.now().astimezone(zone).date()
    if current.due_date is not None and current.due_date >= today:
        return [], ""
    new_due = default_due_date(current.priority, owner)
    fields = ["due_date"]
    if current.recheck_date is not None:
        current.recheck_date += new_due - (current.due_date or today)
        current.recheck_date = max(current.recheck_date, new_due)
        fields.append("recheck_date")
    current.due_date = new_due
    return fields, f" New due date {new_due.isoformat()}."


@transaction.atomic
def action_item_confirm_effect(
    *,
    item: ActionItem,
    actor: Any,
    worked: bool,
    note: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> ActionItem:
    """Record the answer to "did it work?" for a done item (asked on its re-check date); `at` (aware, not
    in the future) dates the answer in the past (the demo's re-check of 2017).

    `worked=True` records the confirmation. `worked=False` ("it did not work") reopens the item with
    `note` as the reason (required) and, when its due date has passed, a new one (`_due_again`). Raises ValidationError when the item is not done.
    """
    require_edit_action_item(actor, item)
    current = common.lock_work(item, expected_version)
    if current.status != S.DONE:
        raise ValidationError({"status": "Only a done item can be re-checked."})
    note = (note or "").strip() if worked else common.required_note(note, "Say what showed it did not work.")
    current.recheck_confirmed_at = happened_at(at)
    current.recheck_note = note
    fields = ["recheck_confirmed_at", "recheck_note", "recheck_outcome"]
    if worked:
        current.recheck_outcome = RecheckOutcome.WORKED
        common.save_work(
            current,
            fields,
            actor=actor,
            reason=common.change_reason(common.Change.RECHECK, note or "It worked."),
            at=at,
        )
        return current
    current.recheck_outcome = RecheckOutcome.DID_NOT_WORK
    current.status = S.OPEN
    current.completed_at = None
    due_fields, due_note = _due_again(current)
    common.save_work(
        current,
        [*fields, "status", "completed_at", *due_fields],
        actor=actor,
        reason=common.change_reason(common.Change.RECHECK, f"It did not work: {note}{due_note}"),
    )
    return current


# --- Captured from the review ------------------------------------------------------------------------


@transaction.atomic
def factor_link_action_items(
    *,
    factor: ContributingFactor,
    actor: Any,
    items: Iterable[ActionItem],
    at: datetime | None = None,
) -> list[ActionItem]:
    """Link action items of the factor's incident to `factor` (the items the factor calls for).

    Each linked item's `version` is bumped, so an editor holding an older copy of it gets a conflict.
    Items already linked to this factor are left alone. Raises ValidationError for an item of another
    incident. `at` (aware, not in the future) dates the link in the past: the demo's review meeting of
    2017 (ValueError otherwise). Returns the items linked now.
    """
    require_record(actor, factor.incident)
    items = list(items)
    if any(i.incident_id != factor.incident_id for i in items):
        raise ValidationError({"action_items": "Action items must belong to the factor's incident."})
    linked = []
    for item in ActionItem.objects.select_for_update().filter(pk__in=[i.pk for i in items]).order_by("id"):
        if item.factor_id == factor.pk:
            continue
        item.factor = factor
        common.save_work(item, ["factor"], actor=actor, at=at)
        linked.append(item)
    return linked


def action_item_quick_add(
    *,
    incident: Incident,
    actor: Any,
    title: str,
    factor: ContributingFactor | None = None,
    owner: Any = None,
    due_date: Any = None,
    type: str = ActionItemType.PREVENT,
    priority: str = Priority.P2,
) -> ActionItem:
    """Capture an action item from the review (meeting mode, factor page) through the follow-through
    service `action_item_create`, which owns action items (due date defaults, events, notifications).

    Raises ValidationError for an empty title or a factor of another incident, AccessDenied when
    `actor` may not add items to the incident.
    """
    require_record(actor, incident)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": "Say what should be done."})
    if factor is not None and factor.incident_id != incident.pk:
        raise ValidationError({"factor": "The factor belongs to another incident."})
    item = action_item_create(
        actor=actor,
        incident=incident,
        title=title,
        factor=factor,
        owner=owner,
        due_date=due_date,
        type=type,
        priority=priority,
    )
    system_entry(
        incident=incident, actor=actor, body=f"Action item added in the review: {markdown_text(title)}"
    )
    return item
