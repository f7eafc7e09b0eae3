"""What the writes of action items and policy findings share (`FollowupWork` rows).

Both services modules (`items.py`, `findings.py`) lock a row with its version check (`lock_work`), apply
field edits (`apply_edits`), check a status move (`is_status_change`, `require_transition`) and save through
`save_work`, which bumps `version` and writes the row's one audit record: a simple-history snapshot whose
user is the actor and whose reason says what the changed fields do not ("Status changed: <note>", built with
`change_reason`). The audit pages and the item and finding pages show that history.

`actor` is a User, or `incidents.permissions.checks.SYSTEM` for Hindsight itself (the demo loader, periodic tasks).
Errors: `ValidationError` keyed by field for bad input; `AccessDenied` (`incidents.permissions`) when the
actor may not do this (not found when they may not see the row); `FollowupConflict` when the row changed
since the editor loaded it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from django.core.exceptions import ValidationError

from incidents.errors import ConflictError
from incidents.followup.models import ActionItem, FollowupWork
from incidents.happened import happened_at
from incidents.notify import services as notify
from incidents.permissions.checks import actor_user

W = TypeVar("W", bound=FollowupWork)
STATUS_FIELD = "status"  # defined by each kind of work, with its own choices


class FollowupConflict(ConflictError):
    """The item or finding changed since the editor loaded it. `current` is the stored row."""

    def __init__(self, current: FollowupWork) -> None:
        super().__init__(
            current,
            f"“{current.title}” was changed by someone else (now version {current.version}). "
            "Nothing was saved.",
        )


class Change(StrEnum):
    """What happened to an item or finding, as its history reason starts (see `change_reason`)."""

    STATUS = "Status changed"
    RECHECK = "Effect re-checked"
    RECURRENCE = "Did not prevent recurrence"
    RECURRENCE_REVIEWED = "Recurrence reviewed"
    VERIFIED = "Verified"
    RISK_ACCEPTED = "Risk accepted"
    RISK_EXPIRED = "Risk acceptance expired"
    SEEN_AGAIN = "Seen again"
    TRACKER = "Set in the tracker"


def change_reason(change: Change, note: str = "") -> str:
    """The history reason of a change: `"<change>: <note>"`, or the change alone without a note."""
    return f"{change}: {note}" if note else str(change)


def refuse_unknown_fields(changes: Mapping[str, Any], editable: Iterable[str]) -> None:
    """Raise ValidationError keyed by each field in `changes` that is not in `editable`."""
    unknown = set(changes) - set(editable)
    if unknown:
        raise ValidationError({k: "This field cannot be edited here." for k in unknown})


def lock_work(obj: W, expected_version: int | None) -> W:
    """The stored row of `obj`, locked (SELECT ... FOR UPDATE) until the transaction ends, owner joined.

    With `expected_version`, a row whose version moved on since raises FollowupConflict.
    """
    rows = type(obj)._default_manager
    current = rows.select_for_update(of=("self",)).select_related("owner").get(pk=obj.pk)
    if expected_version is not None and current.version != expected_version:
        raise FollowupConflict(current)
    return current


def _differs(current: FollowupWork, name: str, value: Any) -> bool:
    """True when `value` (a title stripped first; a related row compared by primary key) is not what
    `current` stores in field `name`."""
    if name == "title":
        value = (value or "").strip()
    field = current._meta.get_field(name)
    stored = getattr(current, field.attname)  # type: ignore[union-attr]
    return bool(stored != (getattr(value, "pk", None) if field.is_relation else value))


def _changing(current: FollowupWork, changes: Mapping[str, Any]) -> list[str]:
    """The names of the fields in `changes` whose value differs from what `current` stores (as
    `apply_edits` would set them), without setting anything."""
    return [name for name, value in changes.items() if _differs(current, name, value)]


def apply_edits(current: FollowupWork, changes: Mapping[str, Any]) -> list[str]:
    """Set on `current` the values in `changes` that differ from what is stored; return those field names.

    A title is stripped first. Related rows compare by primary key. A changed person field (owner,
    verifier) is the service's `check_people` to judge (`permissions.checks.refuse_people`: a deactivated
    person is refused as an id that names nobody). Nothing is saved.
    """
    changed = []
    for name, value in changes.items():
        if name == "title":
            value = (value or "").strip()
        if not _differs(current, name, value):
            continue
        setattr(current, name, value)
        changed.append(name)
    return changed


def _status_labels(work: FollowupWork) -> dict[str, str]:
    """Status value → label, for `work`'s model (each subclass has its own statuses)."""
    field: Any = work._meta.get_field(STATUS_FIELD)
    return {str(value): str(label) for value, label in field.flatchoices}


def is_status_change(current: FollowupWork, status: str) -> bool:
    """False when `current` already has `status`; ValidationError keyed `status` for an unknown status."""
    if status not in _status_labels(current):
        raise ValidationError({"status": f"Unknown status {status!r}."})
    return status != current.status


def require_transition(
    current: FollowupWork, status: str, transitions: Mapping[str, set[str]], noun: str
) -> None:
    """Raise ValidationError keyed `status` unless `transitions` allows `current` to move to `status`.

    `noun` starts the message: "An item that is done cannot become blocked."
    """
    if status in transitions[current.status]:
        return
    labels = _status_labels(current)
    raise ValidationError(
        {"status": f"{noun} that is {labels[current.status].lower()} cannot become {labels[status].lower()}."}
    )


def required_note(note: str, message: str) -> str:
    """`note` stripped; ValidationError keyed `note` with `message` when nothing is left."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": message})
    return note


def newly_assigned(obj: FollowupWork, previous_owner_id: int | None) -> bool:
    """True when `obj` has an owner now who is not `previous_owner_id` (they are told of the work)."""
    return bool(obj.owner_id and obj.owner_id != previous_owner_id)


def create_work(obj: FollowupWork, *, actor: Any, at: datetime | None = None) -> None:
    """Insert the new row `obj`; its first history record ("created") names the actor. With `at` (aware,
    not in the future: the demo recording 2017), the row's `created_at`, `updated_at` and that record are
    dated then instead of now (ValueError otherwise)."""
    obj._history_user = actor_user(actor)  # type: ignore[attr-defined]  # simple-history
    if at is not None:
        obj.created_at = obj.updated_at = happened_at(at)
        obj._history_date = obj.created_at  # type: ignore[attr-defined]  # simple-history
    obj.save()


def save_work(
    obj: FollowupWork, fields: Iterable[str], *, actor: Any, reason: str = "", at: datetime | None = None
) -> None:
    """Save `fields` of `obj` with `version` + 1 and `updated_at` now (or `at`, aware and not in the
    future: the demo recording 2017; ValueError otherwise), and write its history record, dated the same.

    The record's user is the actor (None for the system) and its reason is `reason` (empty where the
    changed fields say it all). `fields` may be empty: the row is then only stamped, with the reason.
    An action item's title, status, owner or due date go to its tracker issue (`notify.action_item_changed`).
    """
    fields = list(fields)
    obj.version += 1
    obj.updated_at = happened_at(at)
    if at is not None:
        obj._history_date = obj.updated_at  # type: ignore[attr-defined]  # simple-history
    obj._history_user = actor_user(actor)  # type: ignore[attr-defined]  # simple-history
    obj._change_reason = reason  # type: ignore[attr-defined]  # simple-history
    obj.save(update_fields=[*set(fields), "version", "updated_at"])
    if isinstance(obj, ActionItem):
        notify.action_item_changed(obj, fields=fields)  # its tracker issue gets what it carries


def edit_work(
    obj: W,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    expected_version: int | None,
    editable: Iterable[str],
    require: Callable[[Any, W], None],
    validate: Callable[[W], None],
    assigned: Callable[[W, int | None, Any], None],
    check_people: Callable[[Any, W, list[str]], None] | None = None,
    check_stored: Callable[[Any, W, Mapping[str, Any]], None] | None = None,
) -> W:
    """The edit of an item or a finding (`action_item_update`, `policy_finding_update`): refuse fields not
    in `editable`, `require(actor, obj)` (AccessDenied), lock at `expected_version` (FollowupConflict),
    apply `changes`, `validate` the result (ValidationError), save with history and tell a new owner
    (`assigned(obj, previous owner id, actor)`). `check_people(actor, obj, changed fields)` refuses a
    person field set to someone who may not hold it (ValidationError); a person already stored is never
    asked about again. `check_stored(actor, stored row, {field: new value})`, given the row as locked and
    only the fields that change, refuses a change the actor may not make to that row (ValidationError
    keyed by the field): the rights it needs are judged on what is stored, not on what is asked for.
    Returns the row as saved (unchanged: the same version)."""
    refuse_unknown_fields(changes, editable)
    require(actor, obj)
    current = lock_work(obj, expected_version)
    if check_stored is not None:
        check_stored(actor, current, {name: changes[name] for name in _changing(current, changes)})
    previous_owner_id = current.owner_id
    changed = apply_edits(current, changes)
    if not changed:
        return current
    validate(current)
    if check_people is not None:
        check_people(actor, current, changed)
    save_work(current, changed, actor=actor)
    assigned(current, previous_owner_id, actor)
    return current
