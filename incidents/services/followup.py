"""Follow-through writes: action items and policy findings, tracked until someone else verified them closed.

Every function is one transaction, takes `actor=` (a User, or None for the system: demo loader, periodic
tasks), writes its own history row (`ActionItemEvent` / `PolicyFindingEvent`) and emits its event on commit
through `incidents.services.events.emit`. Errors:

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
from datetime import UTC, date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import permissions as perms
from incidents.models import (
    ActionItem,
    ActionItemEvent,
    ActionItemStatus,
    ActionItemType,
    ContributingFactor,
    FindingArea,
    FindingStatus,
    Incident,
    PolicyFinding,
    PolicyFindingEvent,
    Priority,
    RecheckOutcome,
    Risk,
)
from incidents.services.events import emit

S = ActionItemStatus
F = FindingStatus

ITEM_EDITABLE_FIELDS = (
    "title", "description", "owner", "team", "due_date", "priority", "type", "tracker_url",
    "success_criteria", "recheck_date",
)  # fmt: skip
FINDING_EDITABLE_FIELDS = ("area", "title", "description", "risk", "owner", "verifier", "team", "due_date")

# Action item status changes through `action_item_change_status`. Reopening done / won't do goes back to open.
ITEM_TRANSITIONS: dict[str, set[str]] = {
    S.OPEN: {S.IN_PROGRESS, S.BLOCKED, S.DONE, S.WONT_DO},
    S.IN_PROGRESS: {S.OPEN, S.BLOCKED, S.DONE, S.WONT_DO},
    S.BLOCKED: {S.OPEN, S.IN_PROGRESS, S.DONE, S.WONT_DO},
    S.DONE: {S.OPEN},
    S.WONT_DO: {S.OPEN},
}

# Policy finding status changes through `policy_finding_transition`. `verified` is reached only through
# `policy_finding_verify` and `risk_accepted` only through `policy_finding_accept_risk`.
FINDING_TRANSITIONS: dict[str, set[str]] = {
    F.DRAFT: {F.OPEN},
    F.OPEN: {F.REMEDIATING},
    F.REMEDIATING: {F.REMEDIATED, F.OPEN},
    F.REMEDIATED: {F.REMEDIATING},
    F.VERIFIED: {F.CLOSED, F.OPEN},
    F.CLOSED: {F.OPEN},
    F.RISK_ACCEPTED: {F.OPEN},
}
RISK_ACCEPTABLE_FROM = (F.OPEN, F.REMEDIATING, F.REMEDIATED)
MAX_RISK_ACCEPTANCE_DAYS = 365


class FollowupConflict(Exception):
    """The item or finding changed since the editor loaded it. `current` is the stored row."""

    def __init__(self, current: ActionItem | PolicyFinding) -> None:
        super().__init__(
            f"“{current.title}” was changed by someone else (now version {current.version}). "
            "Nothing was saved."
        )
        self.current = current


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _actor_id(actor: Any) -> int | None:
    return getattr(_user(actor), "pk", None)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _check_owner(field: str, user: Any) -> None:
    if user is not None and not user.is_active:
        raise ValidationError({field: f"{user} is deactivated; choose an active person."})


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


def _emit_assigned(kind: str, obj: Any, previous_owner_id: int | None, actor: Any) -> None:
    if obj.owner_id and obj.owner_id != previous_owner_id:
        key = "item_id" if kind == "action_item" else "finding_id"
        emit(
            f"{kind}.assigned",
            **{key: obj.pk},
            owner_id=obj.owner_id,
            previous_owner_id=previous_owner_id,
            actor_id=_actor_id(actor),
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


# --- Policy findings ---------------------------------------------------------------------------------


def _finding_event(
    finding: PolicyFinding,
    actor: Any,
    kind: str,
    note: str = "",
    old: str = "",
    new: str = "",
    incident: Incident | None = None,
) -> None:
    PolicyFindingEvent.objects.create(
        finding=finding,
        kind=kind,
        actor=_user(actor),
        note=note,
        from_status=old,
        to_status=new,
        incident=incident,
    )


def _lock_finding(finding: PolicyFinding, expected_version: int | None) -> PolicyFinding:
    current = PolicyFinding.objects.select_for_update(of=("self",)).select_related("owner").get(pk=finding.pk)
    if expected_version is not None and current.version != expected_version:
        raise FollowupConflict(current)
    return current


def _save_finding(finding: PolicyFinding, fields: Iterable[str]) -> None:
    finding.version += 1
    finding.updated_at = timezone.now()
    finding.save(update_fields=[*set(fields), "version", "updated_at"])


def _validate_finding(finding: PolicyFinding) -> None:
    errors: dict[str, str] = {}
    if not finding.title.strip():
        errors["title"] = "Give the finding a title."
    if finding.area not in FindingArea.values:
        errors["area"] = "Choose an area."
    if finding.risk not in Risk.values:
        errors["risk"] = "Choose high, medium or low risk."
    if finding.verifier_id and finding.verifier_id == finding.owner_id:
        errors["verifier"] = "The verifier must be someone other than the owner."
    if errors:
        raise ValidationError(errors)


def _finding_set_status(
    finding: PolicyFinding, actor: Any, status: str, note: str = "", extra_fields: Iterable[str] = ()
) -> PolicyFinding:
    old = finding.status
    finding.status = status
    fields = ["status", *extra_fields]
    if status in (F.OPEN, F.REMEDIATING, F.REMEDIATED) and old in (F.VERIFIED, F.CLOSED):
        finding.verified_by = None
        finding.verified_at = None
        finding.closed_at = None
        fields += ["verified_by", "verified_at", "closed_at"]
    if old == F.RISK_ACCEPTED and status != F.RISK_ACCEPTED:
        finding.risk_accepted_by = None
        finding.risk_accepted_until = None
        fields += ["risk_accepted_by", "risk_accepted_until"]
    if status == F.CLOSED:
        finding.closed_at = timezone.now()
        fields.append("closed_at")
    _save_finding(finding, fields)
    _finding_event(finding, actor, PolicyFindingEvent.Kind.STATUS, note=note, old=old, new=status)
    emit(
        "policy_finding.status_changed", finding_id=finding.pk, old=old, new=status, actor_id=_actor_id(actor)
    )
    if status == F.OPEN and old in (F.VERIFIED, F.CLOSED, F.RISK_ACCEPTED):
        emit("policy_finding.reopened", finding_id=finding.pk, reason=note, actor_id=_actor_id(actor))
    return finding


@transaction.atomic
def policy_finding_create(
    *,
    actor: Any,
    area: str,
    title: str,
    description: str = "",
    risk: str = Risk.MEDIUM,
    owner: Any = None,
    verifier: Any = None,
    team: Any = None,
    due_date: date | None = None,
    incidents: Iterable[Incident] = (),
    status: str = F.OPEN,
) -> PolicyFinding:
    """Open a policy finding (status `open`, or `draft` when proposed automatically by a review).

    Emits `policy_finding.created` and `policy_finding.assigned` when it has an owner. Raises
    ValidationError and PermissionDenied.
    """
    user = _user(actor)
    if user is not None:
        _require(perms.can_create_finding(user), "You may not open policy findings.")
    if status not in (F.OPEN, F.DRAFT):
        raise ValidationError({"status": "A new finding starts as open or draft."})
    _check_owner("owner", owner)
    _check_owner("verifier", verifier)
    finding = PolicyFinding(
        area=area,
        title=(title or "").strip(),
        description=description or "",
        risk=risk,
        owner=owner,
        verifier=verifier,
        team=team,
        due_date=due_date,
        status=status,
        created_by=user,
    )
    _validate_finding(finding)
    finding.save()
    incidents = list(incidents)
    if incidents:
        finding.incidents.add(*incidents)
    _finding_event(finding, actor, PolicyFindingEvent.Kind.CREATED, new=status)
    emit("policy_finding.created", finding_id=finding.pk, actor_id=_actor_id(actor))
    _emit_assigned("policy_finding", finding, None, actor)
    return finding


@transaction.atomic
def policy_finding_update(
    *, finding: PolicyFinding, actor: Any, expected_version: int | None = None, **changes: Any
) -> PolicyFinding:
    """Edit FINDING_EDITABLE_FIELDS. A stale `expected_version` raises FollowupConflict; nothing is saved."""
    unknown = set(changes) - set(FINDING_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({k: "This field cannot be edited here." for k in unknown})
    current = _lock_finding(finding, expected_version)
    user = _user(actor)
    if user is not None:
        _require(perms.can_edit_finding(user, current), "You may not edit this finding.")
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()
    changed = []
    for k, v in changes.items():
        if k in ("owner", "verifier", "team"):
            if getattr(current, f"{k}_id") != getattr(v, "pk", None):
                changed.append(k)
        elif getattr(current, k) != v:
            changed.append(k)
    if not changed:
        return current
    for k in ("owner", "verifier"):
        if k in changed:
            _check_owner(k, changes[k])
    previous_owner_id = current.owner_id
    for k in changed:
        setattr(current, k, changes[k])
    _validate_finding(current)
    _save_finding(current, changed)
    labels = ", ".join(PolicyFinding._meta.get_field(k).verbose_name for k in changed)
    _finding_event(current, actor, PolicyFindingEvent.Kind.EDITED, note=f"Changed {labels}.")
    if "owner" in changed:
        _finding_event(
            current, actor, PolicyFindingEvent.Kind.ASSIGNED, note=f"Owner: {current.owner or 'nobody'}"
        )
        _emit_assigned("policy_finding", current, previous_owner_id, actor)
    return current


@transaction.atomic
def policy_finding_transition(
    *,
    finding: PolicyFinding,
    actor: Any,
    status: str,
    note: str = "",
    expected_version: int | None = None,
) -> PolicyFinding:
    """Move a finding along FINDING_TRANSITIONS (draft → open → remediating → remediated; verified → closed;
    reopen from verified, closed or risk accepted).

    Marking remediated needs evidence (`note`, stored as `evidence`); sending back to remediating from
    remediated and reopening need a reason. Verification and risk acceptance have their own services.
    Raises ValidationError (keyed `status` or `note`), PermissionDenied, FollowupConflict.
    """
    current = _lock_finding(finding, expected_version)
    user = _user(actor)
    if user is not None:
        _require(perms.can_edit_finding(user, current), "You may not change this finding.")
    if status not in F.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    if status == current.status:
        return current
    if status == F.VERIFIED:
        raise ValidationError({"status": "Verification needs evidence from someone other than the owner."})
    if status == F.RISK_ACCEPTED:
        raise ValidationError({"status": "Risk acceptance needs an approver and an expiry date."})
    if status not in FINDING_TRANSITIONS[current.status]:
        raise ValidationError(
            {
                "status": f"A finding that is {current.get_status_display().lower()} cannot become "
                f"{F(status).label.lower()}."
            }
        )
    note = (note or "").strip()
    extra: list[str] = []
    if status == F.REMEDIATED:
        if not note:
            raise ValidationError({"note": "Give the evidence that the gap is fixed."})
        current.evidence = note
        extra.append("evidence")
    reopening = current.status in (F.REMEDIATED, F.VERIFIED, F.CLOSED, F.RISK_ACCEPTED)
    if status in (F.OPEN, F.REMEDIATING) and reopening and not note:
        raise ValidationError({"note": "Say why the finding is being reopened."})
    return _finding_set_status(current, actor, status, note=note, extra_fields=extra)


@transaction.atomic
def policy_finding_verify(
    *, finding: PolicyFinding, actor: Any, evidence: str, expected_version: int | None = None
) -> PolicyFinding:
    """Verify a remediated finding: `actor` must be someone other than the owner, and give evidence.

    Raises ValidationError (not remediated; no evidence; the owner verifying), PermissionDenied.
    """
    current = _lock_finding(finding, expected_version)
    user = _user(actor)
    if user is None:
        raise ValidationError({"evidence": "A person must verify a finding."})
    if current.owner_id == user.pk:
        raise ValidationError({"evidence": "You own this finding; someone else must verify it."})
    _require(perms.can_verify_finding(user, current), "You may not verify this finding.")
    if current.status != F.REMEDIATED:
        raise ValidationError({"status": "Only a remediated finding can be verified."})
    evidence = (evidence or "").strip()
    if not evidence:
        raise ValidationError({"evidence": "Give the evidence you checked."})
    old = current.status
    current.status = F.VERIFIED
    current.verified_by = user
    current.verified_at = timezone.now()
    current.verification_evidence = evidence
    _save_finding(current, ["status", "verified_by", "verified_at", "verification_evidence"])
    _finding_event(current, actor, PolicyFindingEvent.Kind.VERIFIED, note=evidence, old=old, new=F.VERIFIED)
    emit("policy_finding.verified", finding_id=current.pk, actor_id=user.pk)
    emit("policy_finding.status_changed", finding_id=current.pk, old=old, new=F.VERIFIED, actor_id=user.pk)
    return current


@transaction.atomic
def policy_finding_accept_risk(
    *,
    finding: PolicyFinding,
    actor: Any,
    until: date | None,
    reason: str,
    expected_version: int | None = None,
) -> PolicyFinding:
    """Accept the finding's risk until `until` (a date, after today and within 365 days).

    The approver (`actor`) must be a team lead or admin other than the owner; a reason is required.
    On the day after `until` (owner's date) `policy_finding_expire_acceptances` reopens the finding.
    Raises ValidationError, PermissionDenied.
    """
    current = _lock_finding(finding, expected_version)
    user = _user(actor)
    if user is None:
        raise ValidationError({"reason": "A person must approve a risk acceptance."})
    if current.owner_id == user.pk:
        raise ValidationError({"reason": "You own this finding; someone else must approve the risk."})
    _require(perms.can_accept_finding_risk(user, current), "Only a team lead or admin may accept a risk.")
    if current.status not in RISK_ACCEPTABLE_FROM:
        raise ValidationError(
            {
                "status": f"A finding that is {current.get_status_display().lower()} cannot have its risk accepted."
            }
        )
    errors: dict[str, str] = {}
    today = timezone.now().astimezone(user.tzinfo).date()
    if until is None:
        errors["until"] = "Give the date the acceptance ends."
    elif until <= today:
        errors["until"] = "The acceptance must end after today."
    elif until > today + timedelta(days=MAX_RISK_ACCEPTANCE_DAYS):
        errors["until"] = f"Accept a risk for at most {MAX_RISK_ACCEPTANCE_DAYS} days, then review it again."
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "Say why the risk is acceptable until then."
    if errors:
        raise ValidationError(errors)
    current.risk_accepted_by = user
    current.risk_accepted_until = until
    current.risk_acceptance_reason = reason
    old = current.status
    current.status = F.RISK_ACCEPTED
    _save_finding(current, ["status", "risk_accepted_by", "risk_accepted_until", "risk_acceptance_reason"])
    _finding_event(
        current,
        actor,
        PolicyFindingEvent.Kind.RISK_ACCEPTED,
        note=f"Accepted until {until:%Y-%m-%d}: {reason}",
        old=old,
        new=F.RISK_ACCEPTED,
    )
    emit("policy_finding.risk_accepted", finding_id=current.pk, until=until.isoformat(), actor_id=user.pk)
    return current


def policy_finding_expire_acceptances(*, now: Any = None) -> list[int]:
    """Reopen every finding whose risk acceptance has ended (the owner's local date is after `until`).

    A plain function for the periodic sweep. Each finding is reopened in its own transaction with a
    conditional update, so two sweeps at once reopen it once. Returns the ids reopened now.
    """
    now = now or timezone.now()
    # The owner's date is at most one day ahead of UTC, so this coarse filter misses nothing.
    candidates = (
        PolicyFinding.objects.filter(
            status=F.RISK_ACCEPTED, risk_accepted_until__lt=now.date() + timedelta(days=1)
        )
        .select_related("owner")
        .order_by("id")
    )
    reopened: list[int] = []
    for finding in candidates:
        zone = finding.owner.tzinfo if finding.owner_id else UTC
        if now.astimezone(zone).date() <= finding.risk_accepted_until:
            continue
        with transaction.atomic():
            claimed = PolicyFinding.objects.filter(
                pk=finding.pk, status=F.RISK_ACCEPTED, risk_accepted_until=finding.risk_accepted_until
            ).update(status=F.OPEN)
            if not claimed:
                continue
            current = PolicyFinding.objects.select_for_update().get(pk=finding.pk)
            until = current.risk_accepted_until
            current.risk_accepted_by = None
            current.risk_accepted_until = None
            _save_finding(current, ["risk_accepted_by", "risk_accepted_until"])
            _finding_event(
                current,
                None,
                PolicyFindingEvent.Kind.RISK_EXPIRED,
                note=f"The risk acceptance ended on {until:%Y-%m-%d}; the finding is open again.",
                old=F.RISK_ACCEPTED,
                new=F.OPEN,
            )
            emit("policy_finding.risk_expired", finding_id=current.pk, until=until.isoformat())
            emit(
                "policy_finding.reopened",
                finding_id=current.pk,
                reason="risk acceptance expired",
                actor_id=None,
            )
            reopened.append(current.pk)
    return reopened


@transaction.atomic
def policy_finding_seen_again(*, finding: PolicyFinding, incident: Incident, actor: Any) -> PolicyFinding:
    """Record that the finding was seen in `incident`: link it, and reopen a verified or closed finding.

    Linking the same incident twice changes nothing. A risk-accepted finding stays accepted (the
    acceptance is the approver's decision) but the incident is linked and recorded.
    """
    current = _lock_finding(finding, None)
    user = _user(actor)
    if user is not None:
        _require(
            perms.can_view_finding(user, current) and perms.can_record(user, incident),
            "You may not link this finding to that incident.",
        )
    if current.incidents.filter(pk=incident.pk).exists():
        return current
    current.incidents.add(incident)
    _finding_event(
        current,
        actor,
        PolicyFindingEvent.Kind.SEEN_AGAIN,
        note=f"Seen in {incident.reference}.",
        incident=incident,
    )
    if current.status in (F.VERIFIED, F.CLOSED):
        return _finding_set_status(current, actor, F.OPEN, note=f"Seen again in {incident.reference}.")
    _save_finding(current, [])
    return current


# --- Reassignment --------------------------------------------------------------------------------------


@transaction.atomic
def followup_reassign(
    *,
    actor: Any,
    new_owner: Any,
    items: Iterable[ActionItem] = (),
    findings: Iterable[PolicyFinding] = (),
) -> tuple[int, int]:
    """Give the listed action items and findings to `new_owner` (bulk reassign). Nothing is deleted.

    Each change is an edit through `action_item_update` / `policy_finding_update` (history, version,
    `*.assigned` event). A finding whose verifier is the new owner loses its verifier. Returns
    (items changed, findings changed). Raises ValidationError for an inactive new owner.
    """
    if new_owner is None or not new_owner.is_active:
        raise ValidationError({"new_owner": "Choose an active person to take the work over."})
    user = _user(actor)
    if user is not None:
        _require(perms.can_reassign_work(user), "Only team leads and admins may reassign work in bulk.")
    n_items = n_findings = 0
    for item in items:
        if item.owner_id != new_owner.pk:
            action_item_update(item=item, actor=None if user is None else user, owner=new_owner)
            n_items += 1
    for finding in findings:
        if finding.owner_id != new_owner.pk:
            changes: dict[str, Any] = {"owner": new_owner}
            if finding.verifier_id == new_owner.pk:
                changes["verifier"] = None
            policy_finding_update(finding=finding, actor=user, **changes)
            n_findings += 1
    return n_items, n_findings
