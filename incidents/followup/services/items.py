"""Follow-through writes: action items and policy findings, tracked until someone else verified them closed.

Every function is one transaction, takes `actor=` (a User, or None for the system: demo loader, periodic
tasks), writes its own history row (`ActionItemEvent` / `PolicyFindingEvent`) and emits its event on commit
through `incidents.notify.events.emit`. Errors:

- `django.core.exceptions.ValidationError`, keyed by field, for bad input and refused transitions;
- `django.core.exceptions.PermissionDenied` when a signed-in actor may not do this (views turn it into 404);
- `FollowupConflict` when the row changed since the editor loaded it (`expected_version`).

Events emitted (payload keys in brackets):
`action_item.created` [item_id, actor_id], `action_item.assigned` [item_id, owner_id, previous_owner_id,
actor_id], `action_item.status_changed` [item_id, old, new, actor_id], `action_item.reopened` [item_id,
reason, actor_id], `action_item.recurrence_flagged` [item_id, incident_id], `policy_finding.created`
[finding_id, actor_id], `policy_finding.assigned` [finding_id, owner_id, previous_owner_id, actor_id],
`policy_finding.status_changed` [finding_id, old, new, actor_id], `policy_finding.verified`,
`policy_finding.risk_accepted`, `policy_finding.risk_expired`, `policy_finding.reopened` [finding_id, ...].
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents import permissions as perms
from incidents.followup.services.common import (
    FollowupConflict,
    _actor_id,
    _check_owner,
    _emit_assigned,
    _require,
    _user,
)
from incidents.models import (
    ActionItem,
    ActionItemEvent,
    ActionItemStatus,
    ActionItemType,
    ContributingFactor,
    Incident,
    PolicyFinding,
    Priority,
    RecheckOutcome,
)
from incidents.notify.events import emit
from incidents.timeline.services import system_entry

# --- Action items (until the follow-through services land) ------------------------------------------------


@transaction.atomic
def factor_link_action_items(
    *, factor: ContributingFactor, actor: Any, items: Iterable[ActionItem]
) -> list[ActionItem]:
    """Link action items of the factor's incident to `factor` (the items the factor calls for).

    Each linked item's `version` is bumped, so an editor holding an older copy of it gets a conflict.
    Items already linked to this factor are left alone. Raises ValidationError for an item of another
    incident. Returns the items linked now.
    """
    items = list(items)
    if any(i.incident_id != factor.incident_id for i in items):
        raise ValidationError({"action_items": "Action items must belong to the factor's incident."})
    linked = []
    now = timezone.now()
    for item in ActionItem.objects.select_for_update().filter(pk__in=[i.pk for i in items]).order_by("id"):
        if item.factor_id == factor.pk:
            continue
        item.factor = factor
        item.version += 1
        item.updated_at = now
        item.save(update_fields=["factor", "version", "updated_at"])
        linked.append(item)
    if linked:
        emit("factor.action_items_linked", factor_id=factor.pk, item_ids=[i.pk for i in linked])
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

    Raises ValidationError for an empty title or a factor of another incident, PermissionDenied when
    `actor` may not add items to the incident.
    """
    from incidents.followup.services.items import action_item_create

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
    system_entry(incident=incident, actor=actor, body=f"Action item added in the review: {title}")
    return item


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


# --- Action items ----------------------------------------------------------------------------------------


def _item_event(
    item: ActionItem, actor: Any, kind: str, note: str = "", old: str = "", new: str = ""
) -> None:
    ActionItemEvent.objects.create(
        item=item, kind=kind, actor=_user(actor), note=note, from_status=old, to_status=new
    )


def _lock_item(item: ActionItem, expected_version: int | None) -> ActionItem:
    current = ActionItem.objects.select_for_update(of=("self",)).select_related("owner").get(pk=item.pk)
    if expected_version is not None and current.version != expected_version:
        raise FollowupConflict(current)
    return current


def _save_item(item: ActionItem, fields: Iterable[str]) -> None:
    item.version += 1
    item.updated_at = timezone.now()
    item.save(update_fields=[*fields, "version", "updated_at"])


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
) -> ActionItem:
    """Create an action item from an incident, a contributing factor, a policy finding, or on its own.

    A factor implies its incident. `due_date` defaults to the priority's target from the owner's local
    today. Emits `action_item.created`, and `action_item.assigned` when it has an owner. Raises
    ValidationError (field errors) and PermissionDenied (actor may not create here).
    """
    if factor is not None:
        if incident is not None and factor.incident_id != incident.pk:
            raise ValidationError({"factor": "That contributing factor belongs to another incident."})
        incident = factor.incident
    user = _user(actor)
    if user is not None:
        if finding is not None:
            _require(perms.can_edit_finding(user, finding), "You may not add items to this finding.")
        else:
            _require(perms.can_create_action_item(user, incident), "You may not add action items here.")
    _check_owner("owner", owner)
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
    item.save()
    _item_event(item, actor, ActionItemEvent.Kind.CREATED, new=item.status)
    emit("action_item.created", item_id=item.pk, actor_id=_actor_id(actor))
    _emit_assigned("action_item", item, None, actor)
    return item


@transaction.atomic
def action_item_update(
    *, item: ActionItem, actor: Any, expected_version: int | None = None, **changes: Any
) -> ActionItem:
    """Edit the item's fields (ITEM_EDITABLE_FIELDS). Status goes through `action_item_change_status`.

    With `expected_version`, an item changed since then raises FollowupConflict and nothing is saved.
    A new owner gets `action_item.assigned`. Returns the saved item (the same version if nothing changed).
    """
    unknown = set(changes) - set(ITEM_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({k: "This field cannot be edited here." for k in unknown})
    current = _lock_item(item, expected_version)
    user = _user(actor)
    if user is not None:
        _require(perms.can_edit_action_item(user, current), "You may not edit this action item.")
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()
    changed = []
    for k, v in changes.items():
        if k in ("owner", "team"):
            if getattr(current, f"{k}_id") != getattr(v, "pk", None):
                changed.append(k)
        elif getattr(current, k) != v:
            changed.append(k)
    if not changed:
        return current
    if "owner" in changed:
        _check_owner("owner", changes["owner"])
    previous_owner_id = current.owner_id
    for k in changed:
        setattr(current, k, changes[k])
    _validate_item(current)
    _save_item(current, changed)
    labels = ", ".join(ActionItem._meta.get_field(k).verbose_name for k in changed)
    _item_event(current, actor, ActionItemEvent.Kind.EDITED, note=f"Changed {labels}.")
    if "owner" in changed:
        _item_event(current, actor, ActionItemEvent.Kind.ASSIGNED, note=f"Owner: {current.owner or 'nobody'}")
        _emit_assigned("action_item", current, previous_owner_id, actor)
    return current


@transaction.atomic
def action_item_change_status(
    *,
    item: ActionItem,
    actor: Any,
    status: str,
    note: str = "",
    expected_version: int | None = None,
) -> ActionItem:
    """Move the item along ITEM_TRANSITIONS.

    Done needs a completion note, won't do needs a reason, blocked needs what it waits on (all in `note`);
    reopening a done or won't-do item needs a reason too. Reopening clears the completion and the
    re-check answer. Raises ValidationError (keyed `status` or `note`), PermissionDenied, FollowupConflict.
    """
    current = _lock_item(item, expected_version)
    user = _user(actor)
    if user is not None:
        _require(perms.can_edit_action_item(user, current), "You may not change this action item.")
    if status not in S.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    if status == current.status:
        return current
    if status not in ITEM_TRANSITIONS[current.status]:
        raise ValidationError(
            {
                "status": f"An item that is {current.get_status_display().lower()} cannot become "
                f"{S(status).label.lower()}."
            }
        )
    note = (note or "").strip()
    old = current.status
    required = {
        S.DONE: "Say what was done (the completion note).",
        S.WONT_DO: "Say why this will not be done.",
        S.BLOCKED: "Say what the item is waiting on.",
    }
    if status in required and not note:
        raise ValidationError({"note": required[status]})
    if status == S.OPEN and old in (S.DONE, S.WONT_DO) and not note:
        raise ValidationError({"note": "Say why the item is being reopened."})
    fields = ["status"]
    current.status = status
    if status == S.DONE:
        current.completion_note = note
        current.completed_at = timezone.now()
        fields += ["completion_note", "completed_at"]
    elif status == S.WONT_DO:
        current.wont_do_reason = note
        current.completed_at = timezone.now()
        fields += ["wont_do_reason", "completed_at"]
    elif status == S.BLOCKED:
        current.blocked_on = note
        fields.append("blocked_on")
    if old in (S.DONE, S.WONT_DO):
        current.completed_at = None
        current.recheck_confirmed_at = None
        current.recheck_outcome = ""
        fields += ["completed_at", "recheck_confirmed_at", "recheck_outcome"]
    _save_item(current, set(fields))
    _item_event(current, actor, ActionItemEvent.Kind.STATUS, note=note, old=old, new=status)
    emit("action_item.status_changed", item_id=current.pk, old=old, new=status, actor_id=_actor_id(actor))
    if status == S.OPEN and old in (S.DONE, S.WONT_DO):
        emit("action_item.reopened", item_id=current.pk, reason=note, actor_id=_actor_id(actor))
    return current


@transaction.atomic
def action_item_confirm_effect(
    *, item: ActionItem, actor: Any, worked: bool, note: str = "", expected_version: int | None = None
) -> ActionItem:
    """Record the answer to "did it work?" for a done item (asked on its re-check date).

    `worked=True` records the confirmation. `worked=False` ("it did not work") reopens the item with
    `note` as the reason (required). Raises ValidationError when the item is not done.
    """
    current = _lock_item(item, expected_version)
    user = _user(actor)
    if user is not None:
        _require(perms.can_edit_action_item(user, current), "You may not re-check this action item.")
    if current.status != S.DONE:
        raise ValidationError({"status": "Only a done item can be re-checked."})
    note = (note or "").strip()
    if not worked and not note:
        raise ValidationError({"note": "Say what showed it did not work."})
    current.recheck_confirmed_at = timezone.now()
    current.recheck_note = note
    if worked:
        current.recheck_outcome = RecheckOutcome.WORKED
        _save_item(current, ["recheck_confirmed_at", "recheck_note", "recheck_outcome"])
        _item_event(current, actor, ActionItemEvent.Kind.RECHECK, note=note or "It worked.")
        return current
    current.recheck_outcome = RecheckOutcome.DID_NOT_WORK
    current.status = S.OPEN
    current.completed_at = None
    _save_item(current, ["recheck_confirmed_at", "recheck_note", "recheck_outcome", "status", "completed_at"])
    _item_event(
        current, actor, ActionItemEvent.Kind.RECHECK, note=f"It did not work: {note}", old=S.DONE, new=S.OPEN
    )
    emit("action_item.status_changed", item_id=current.pk, old=S.DONE, new=S.OPEN, actor_id=_actor_id(actor))
    emit("action_item.reopened", item_id=current.pk, reason=note, actor_id=_actor_id(actor))
    return current


def _earlier_occurrences(factor: ContributingFactor, limit: int = 50) -> list[ContributingFactor]:
    """The factors `factor` recurs: its `recurrence_of` chain, plus the other recurrences of those factors
    (the review marks every recurrence against the first occurrence), never `factor`'s own incident."""
    seen: set[int] = {factor.pk}
    chain: list[ContributingFactor] = []
    current = factor.recurrence_of
    while current is not None and current.pk not in seen and len(chain) < limit:
        seen.add(current.pk)
        chain.append(current)
        current = current.recurrence_of
    if chain:
        siblings = (
            ContributingFactor.objects.filter(recurrence_of__in=chain)
            .exclude(pk__in=seen)
            .exclude(incident_id=factor.incident_id)
        )
        chain += list(siblings[:limit])
    return chain


@transaction.atomic
def action_items_flag_recurrence(*, factor: ContributingFactor, actor: Any = None) -> list[ActionItem]:
    """Flag "did not prevent recurrence" on done items linked to the factor's earlier occurrences.

    Follows `recurrence_of` back through the chain of earlier occurrences. Already-flagged items are left
    alone, so calling this twice flags nothing new. Returns the items flagged now.
    """
    earlier = _earlier_occurrences(factor)
    if not earlier:
        return []
    items = list(
        ActionItem.objects.select_for_update()
        .filter(factor__in=earlier, status=S.DONE, did_not_prevent_recurrence=False)
        .order_by("id")
    )
    now = timezone.now()
    incident = factor.incident
    for item in items:
        item.did_not_prevent_recurrence = True
        item.recurrence_incident = incident
        item.recurrence_flagged_at = now
        item.recurrence_reviewed_at = None
        item.recurrence_review_note = ""
        _save_item(
            item,
            [
                "did_not_prevent_recurrence",
                "recurrence_incident",
                "recurrence_flagged_at",
                "recurrence_reviewed_at",
                "recurrence_review_note",
            ],
        )
        _item_event(
            item,
            actor,
            ActionItemEvent.Kind.RECURRENCE,
            note=f"The factor it addressed was seen again in {incident.reference}.",
        )
        emit("action_item.recurrence_flagged", item_id=item.pk, incident_id=incident.pk)
    return items


@transaction.atomic
def action_item_review_recurrence(
    *, item: ActionItem, actor: Any, note: str, reopen: bool = False
) -> ActionItem:
    """Record the review of a "did not prevent recurrence" flag; with `reopen`, the item opens again.

    A note is required. Raises ValidationError when the item is not flagged.
    """
    current = _lock_item(item, None)
    user = _user(actor)
    if user is not None:
        _require(perms.can_edit_action_item(user, current), "You may not review this action item.")
    if not current.did_not_prevent_recurrence:
        raise ValidationError({"note": "This item is not flagged as failing to prevent a recurrence."})
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Say what the review concluded."})
    current.recurrence_reviewed_at = timezone.now()
    current.recurrence_review_note = note
    _save_item(current, ["recurrence_reviewed_at", "recurrence_review_note"])
    _item_event(current, actor, ActionItemEvent.Kind.RECURRENCE_REVIEWED, note=note)
    if reopen and current.status == S.DONE:
        return action_item_change_status(
            item=current, actor=actor, status=S.OPEN, note=f"Did not prevent recurrence: {note}"
        )
    return current


@transaction.atomic
def contributing_factor_mark_recurrence(
    *, factor: ContributingFactor, actor: Any, earlier: ContributingFactor | None
) -> ContributingFactor:
    """Mark `factor` as the same factor seen before in `earlier` (None clears it), then flag the done
    action items of the earlier occurrences with `action_items_flag_recurrence`.

    Raises ValidationError for the factor itself, a factor of the same incident, or a loop.
    """
    current = (
        ContributingFactor.objects.select_for_update(of=("self",))
        .select_related("incident")
        .get(pk=factor.pk)
    )
    user = _user(actor)
    if user is not None:
        _require(perms.can_record(user, current.incident), "You may not edit this incident's factors.")
    if earlier is not None:
        earlier = ContributingFactor.objects.get(pk=earlier.pk)
        if earlier.pk == current.pk or earlier.incident_id == current.incident_id:
            raise ValidationError({"recurrence_of": "Choose a factor from an earlier, different incident."})
        if current.pk in {f.pk for f in [earlier, *_earlier_occurrences(earlier)]}:
            raise ValidationError({"recurrence_of": "That would make the recurrences go round in a loop."})
    current.recurrence_of = earlier
    current.save(update_fields=["recurrence_of"])
    if earlier is not None:
        action_items_flag_recurrence(factor=current, actor=actor)
    return current
