"""Editing an incident: its fields and milestones (whose timeline rows move with them) and its roles.

Every function is one transaction, takes `actor=` and checks it (`require_command`) before it reads a row
for writing and writes its own timeline entry. Errors: `AccessDenied`; `IncidentConflict` for a stale
`expected_version`; `django.core.exceptions.ValidationError` keyed by field.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, tzinfo
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from incidents.incident import selectors
from incidents.incident.services.common import (
    check_aware,
    check_declared_after_start,
    lock_incident,
    numbered,
    record_security_event,
    save_incident,
)
from incidents.incident.services.lifecycle import AUTOMATIC
from incidents.markdown import markdown_text
from incidents.models import (
    ACTIVE_STATUSES,
    MILESTONES,
    ChatChannel,
    EntrySource,
    Incident,
    IncidentStatus,
    PostmortemReview,
    ReviewDecision,
    Visibility,
)
from incidents.permissions.checks import (
    SYSTEM,
    actor_user,
    refuse_people,
    require_command,
    require_manage_participants,
)
from incidents.permissions.people import can_take_role
from incidents.permissions.roles import is_responder
from incidents.timefmt import format_time
from incidents.timeline.services import system_entry, system_entry_move

EDITABLE_FIELDS = (
    "title", "summary", "customer_impact", "detection_method", "visibility", "incident_type",
    "chat_channel_url", "dashboard_url", "change_url", "feature_flag", *MILESTONES,
)  # fmt: skip

MILESTONE_LABELS = {
    "started_at": "started",
    "detected_at": "detected",
    "acknowledged_at": "acknowledged",
    "mitigated_at": "mitigated",
    "resolved_at": "resolved",
}


def _clean_sent(incident: Incident, sent: Iterable[str]) -> None:
    """`full_clean` on the merged values of one save, with every error keyed by a field the caller sent:
    an error on a field they did not touch is reported on the sent milestone it conflicts with."""
    try:
        incident.full_clean(exclude=["number"])
    except ValidationError as exc:
        sent_list = list(sent)
        errors: dict[str, list[str]] = {}
        for name, messages in exc.message_dict.items():
            if name in sent_list:
                errors.setdefault(name, []).extend(messages)
                continue
            label = MILESTONE_LABELS.get(name, name)
            for message in messages:
                target = _cause(message, sent_list) or name
                errors.setdefault(target, []).append(f"{message} (The {label} time is unchanged.)")
        raise ValidationError(errors) from None


# Which milestone each of the model's milestone errors compares with (`Incident.clean`).
_COMPARED_WITH = (("start time", "started_at"), ("detection", "detected_at"), ("resolution", "resolved_at"))


def _cause(message: str, sent: list[str]) -> str | None:
    """The sent milestone that an error on an unsent one comes from: the one it is compared with ("… cannot
    be before the start time" comes from a sent start), else the last sent milestone; None without one."""
    for words, milestone in _COMPARED_WITH:
        if words in message and milestone in sent:
            return milestone
    sent_milestones = [m for m in MILESTONES if m in sent]
    return sent_milestones[-1] if sent_milestones else None


def _status_contradictions(incident: Incident, edited: Iterable[str]) -> dict[str, str]:
    """Where a milestone edit would contradict the status: {milestone: message saying what to do instead},
    empty when it agrees. The rule, for the merged values of one save:

    - a resolved, postmortem or closed incident keeps a resolution time: it may be moved, not cleared
      (Reopen undoes a resolution);
    - an active incident has no resolution time: one is given only by Resolve (which takes its time);
    - a monitoring, resolved, postmortem or closed incident keeps a mitigation time (monitoring and
      resolving fill one in): it may be moved, not cleared.

    Start, detection and acknowledgement go with every status (the start is required by the model)."""
    edited = set(edited)
    status = incident.get_status_display().lower()
    resolved = incident.status not in ACTIVE_STATUSES
    errors: dict[str, str] = {}
    if "resolved_at" in edited:
        if resolved and incident.resolved_at is None:
            errors["resolved_at"] = (
                f"{incident.reference} is {status}, so it keeps its resolution time: you can change the "
                "time but not clear it. To make it unresolved, reopen it (Reopen, with a reason)."
            )
        elif not resolved and incident.resolved_at is not None:
            errors["resolved_at"] = (
                f"{incident.reference} is {status}, not resolved: a resolution time comes only with "
                "resolving it. Use Resolve, which takes the time it was resolved."
            )
    if (
        "mitigated_at" in edited
        and incident.mitigated_at is None
        and (resolved or incident.status == IncidentStatus.MONITORING)
    ):
        then = "reopen it" if resolved else "change its status back to Investigating"
        errors["mitigated_at"] = (
            f"{incident.reference} is {status}, so it keeps a mitigation time: you can change the time "
            f"but not clear it. To record it as not mitigated, {then} first."
        )
    return errors


# The system row that records each milestone (the latest one, for a repeated resolution).
MILESTONE_ROWS = {
    "started_at": "Impact started",
    "detected_at": "Detected",
    "acknowledged_at": "Acknowledged",
    "mitigated_at": "Mitigated",
    "resolved_at": "Incident resolved",
}
# Milestones that may be unset: their row is written when a time is first given and removed when cleared.
_OPTIONAL_ROWS = ("detected_at", "acknowledged_at", "mitigated_at")
# Milestones that may come again after a reopening, each time with a numbered row ("Mitigated (2nd time)"):
# the row at the milestone's old time is the one that moves.
_NUMBERED_ROWS = ("mitigated_at", "resolved_at")


def _iso(value: datetime | None) -> str | None:
    """An instant as ISO-8601 in UTC for a structured timeline record; None stays None."""
    return value.astimezone(UTC).isoformat() if value is not None else None


def _check_start_move(incident: Incident, zone: tzinfo | None) -> None:
    """A start moved later may not pass a recorded state change (status, resolve, reopen or severity row):
    every state change comes at or after the start, as `check_state_change_time` holds for new ones.
    ValidationError keyed `started_at`, naming that row, both times in `zone`."""
    prefixes = [p for state in selectors.STATE_ROWS.values() for p in state]
    earliest = (
        incident.timeline_entries.filter(
            source=EntrySource.SYSTEM,
            removed_at__isnull=True,
            occurred_at__lt=incident.started_at,
            body__regex=r"^(" + "|".join(prefixes) + ")",
        )
        .order_by("occurred_at", "id")
        .first()
    )
    if earliest is not None:
        name = earliest.body.split(":", 1)[0]
        raise ValidationError(
            {
                "started_at": f"The start time ({format_time(incident.started_at, zone)}) would be after "
                f"“{name}” at {format_time(earliest.occurred_at, zone)}, which is already recorded: every "
                "state change comes at or after the start."
            }
        )


def _check_resolution_move(incident: Incident, old: datetime, zone: tzinfo | None) -> None:
    """A resolution moved earlier may not pass a status change recorded before it (ValidationError keyed
    `resolved_at`, naming that row, both times in `zone`)."""
    assert incident.resolved_at is not None
    earlier = (
        incident.timeline_entries.filter(
            source=EntrySource.SYSTEM,
            removed_at__isnull=True,
            occurred_at__lt=old,
            occurred_at__gt=incident.resolved_at,
            body__regex=r"^(" + "|".join(selectors.LIFECYCLE_PREFIXES) + ")",
        )
        .order_by("-occurred_at")
        .first()
    )
    if earlier is not None:
        raise ValidationError(
            {
                "resolved_at": f"The resolution time ({format_time(incident.resolved_at, zone)}) would be "
                f"before “{earlier.body}” at {format_time(earlier.occurred_at, zone)}, which happened before "
                "the resolution."
            }
        )


def _move_milestone_rows(
    incident: Incident, actor: Any, before: dict[str, Any], milestones: Iterable[str]
) -> dict[str, str]:
    """Keep each edited milestone's system row at the milestone: the row at the old time moves to the new
    one ("Impact started", "Detected", "Acknowledged", "Mitigated", the latest "Incident resolved"); a
    cleared detection, acknowledgement or mitigation removes its row, one given for the first time gets
    one, and so does a start whose row is missing (an incident declared before every start had one). An
    automatic mitigation's row (`_mitigation_rule`) says so until a time is set by hand; after a reopening
    the numbered row at the old time moves. Returns {milestone: what happened to its row} (`its “Detected” row moved with it`)."""
    moved: dict[str, str] = {}
    for name in milestones:
        prefix = MILESTONE_ROWS.get(name)
        old, new = before.get(name), getattr(incident, name)
        if prefix is None or old == new:
            continue
        rows = incident.timeline_entries.filter(
            source=EntrySource.SYSTEM, removed_at__isnull=True, body__startswith=prefix
        )
        if name not in _NUMBERED_ROWS:
            rows = rows.filter(body=prefix)
        row = rows.filter(occurred_at=old).order_by("-id").first() if old is not None else None
        if row is not None:
            by_hand = name == "mitigated_at" and not incident.mitigated_at_auto  # no longer automatic
            body = row.body.split(f": {AUTOMATIC}", 1)[0] if by_hand else None  # the rest stays
            system_entry_move(entry=row, actor=actor, occurred_at=new, body=body)
            moved[name] = f"its “{row.body}” row {'moved' if new is not None else 'removed'} with it"
        elif name == "mitigated_at" and incident.mitigated_at_auto:
            continue  # an automatic mitigation recorded before such mitigations had a row of their own
        elif name in _OPTIONAL_ROWS and new is not None:
            body = numbered(incident, prefix) if name in _NUMBERED_ROWS else prefix
            system_entry(incident=incident, actor=actor, body=body, occurred_at=new)
            moved[name] = f"its “{body}” row added"
        elif name == "started_at" and new is not None:
            # Every incident has its "Impact started" row; one declared before the rule gets it now.
            system_entry(incident=incident, actor=actor, body=prefix, occurred_at=new)
            moved[name] = f"its “{prefix}” row added"
    return moved


def _unlink_chat_channels(incident: Incident) -> str:
    """A restricted incident keeps no chat channel: its links are dropped (nothing more is posted there
    or taken from there). Returns the timeline's note about it ('' when nothing was linked)."""
    if incident.visibility != Visibility.RESTRICTED:
        return ""
    links = ChatChannel.objects.filter(incident=incident)
    names = sorted(str(c) for c in links)
    if not names:
        return ""
    links.delete()
    return f"; chat channel {', '.join(names)} unlinked: a restricted incident is never posted to a channel"


@transaction.atomic
def incident_update(
    *, incident: Incident, actor: Any, expected_version: int | None = None, **changes: Any
) -> Incident:
    """Edit title, summary, milestones, links, visibility, type and detection method.

    Milestones are validated against each other and against the status (`_status_contradictions`: a
    resolution time is cleared only by Reopen and given only by Resolve; ValidationError keyed by field). With
    `expected_version`, an incident changed since then raises IncidentConflict. Returns the saved incident.
    """
    require_command(actor, incident)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({k: "This field cannot be edited here." for k in unknown})
    check_aware(changes)
    current = lock_incident(incident, expected_version)
    changed = [k for k, v in changes.items() if getattr(current, k) != v]
    if not changed:
        return current
    old_visibility, old_type = current.visibility, current.incident_type
    before = {m: getattr(current, m) for m in MILESTONES}
    for k in changed:
        setattr(current, k, changes[k])
    saved = list(changed)
    if "mitigated_at" in changed:
        if current.mitigated_at_auto:
            current.mitigated_at_auto = False
            saved.append("mitigated_at_auto")
    elif current.mitigated_at_auto and "resolved_at" in changed:
        # The mitigation time resolving filled in follows the resolution it came from.
        current.mitigated_at = current.resolved_at
        current.mitigated_at_auto = current.resolved_at is not None
        saved += ["mitigated_at", "mitigated_at_auto"]
    contradictions = _status_contradictions(current, changed)
    try:
        _clean_sent(current, changed)
    except ValidationError as exc:
        errors = exc.message_dict
        for field, message in contradictions.items():
            errors[field] = [message, *errors.get(field, [])]
        raise ValidationError(errors) from None
    if contradictions:
        raise ValidationError(contradictions)
    user = actor_user(actor)
    zone = user.tzinfo if user is not None else None
    if "resolved_at" in changed and current.resolved_at is not None and before["resolved_at"] is not None:
        _check_resolution_move(current, before["resolved_at"], zone)
    if "started_at" in changed and current.started_at > before["started_at"]:
        _check_start_move(current, zone)
    if "started_at" in changed and (declared := selectors.declaration_row(current)) is not None:
        check_declared_after_start(current.started_at, declared.occurred_at, key="started_at", actor=actor)
    save_incident(current, saved)
    milestones = [m for m in MILESTONES if m in saved]
    if milestones:
        moved = _move_milestone_rows(current, actor, before, milestones)
        system_entry(
            incident=current,
            actor=actor,
            body="Milestones edited",
            milestone_changes=[
                {
                    "milestone": m,
                    "label": MILESTONE_LABELS[m],
                    "old": _iso(before[m]),
                    "new": _iso(getattr(current, m)),
                    "note": (
                        " (automatic, with the resolution)"
                        if m == "mitigated_at" and m not in changed
                        else ""
                    )
                    + (f" ({moved[m]})" if m in moved else ""),
                }
                for m in milestones
            ],
        )
    if "incident_type" in changed:
        names = [markdown_text(t.name) if t else "no type" for t in (old_type, current.incident_type)]
        # The values of the old type's fields stay stored (and come back with that type).
        system_entry(incident=current, actor=actor, body=f"Type changed from {names[0]} to {names[1]}")
    if "visibility" in changed:
        unlinked = _unlink_chat_channels(current)
        system_entry(
            incident=current,
            actor=actor,
            body=f"Visibility changed from {old_visibility} to {current.visibility}" + unlinked,
        )
        record_security_event(
            "VISIBILITY_CHANGE", actor, current.reference, f"{old_visibility} -> {current.visibility}"
        )
    return current


ROLE_FIELDS = {"commander": "Commander", "communications_lead": "Communications lead", "scribe": "Scribe"}


@transaction.atomic
def incident_assign_roles(
    *,
    incident: Incident,
    actor: Any,
    at: datetime | None = None,
    expected_version: int | None = None,
    **roles: Any,
) -> Incident:
    """Assign commander, communications lead and scribe (a User; None clears the communications lead or
    the scribe). Each change is one system entry; an unchanged role writes nothing. The person given a
    role becomes a participant.

    `at` (aware, default now) is when the change happened, for roles recorded after the fact. Refused with
    ValidationError keyed by the role: clearing the commander (command is handed over, never dropped); a
    person the actor may not pick (`can_choose_person`: deactivated, or outside their teams and the
    incident; `NOT_CHOOSABLE`); a person who may not take a role (`can_take_role`: a read-only viewer).
    A stale `expected_version` raises IncidentConflict. Nothing is saved on a refusal.
    """
    require_command(actor, incident)
    unknown = set(roles) - set(ROLE_FIELDS)
    if unknown:
        raise ValidationError({k: "Unknown role." for k in unknown})
    check_aware({"at": at})
    current = lock_incident(incident, expected_version)
    changes = {f: u for f, u in roles.items() if getattr(current, f"{f}_id") != getattr(u, "pk", None)}
    if "commander" in changes and changes["commander"] is None:
        raise ValidationError({"commander": COMMANDER_KEPT})
    _check_choosable(actor, current, changes)
    _check_may_take_role(current, changes)
    changed = list(changes)
    for field, user in changes.items():
        setattr(current, field, user)
        if user is not None:
            current.participants.add(user)
    if not changed:
        return current
    save_incident(current, changed)
    for field in changed:
        who = getattr(current, field)
        system_entry(
            incident=current,
            actor=actor,
            body=f"{ROLE_FIELDS[field]}: {markdown_text(who or 'nobody')}",
            occurred_at=at,
        )
        record_security_event(
            "ROLE_CHANGE", actor, current.reference, f"{field}: {getattr(who, 'email', 'nobody')}"
        )
    return current


COMMANDER_KEPT = (
    "An incident always has a commander: hand over command instead (give the role to someone else)."
)


def _check_choosable(actor: Any, incident: Incident, people: dict[str, Any]) -> None:
    """ValidationError keyed by field for each person (not None) the actor may not pick on `incident`,
    all with the one message `NOT_CHOOSABLE` (the API's person fields answer an unknown id with it too):
    `refuse_people`, the one rule for every person field."""
    if actor is SYSTEM:
        return
    refuse_people(actor, people, incidents=[incident])


def _check_may_take_role(incident: Incident, people: dict[str, Any]) -> None:
    """ValidationError keyed by role for each person (not None) who may not take a role on `incident`
    (`can_take_role`). Only people the actor may pick get here, so naming them tells nothing new."""
    errors = {
        field: _role_refusal(person, incident)
        for field, person in people.items()
        if person is not None and not can_take_role(person, incident)
    }
    if errors:
        raise ValidationError(errors)


def _role_refusal(person: Any, incident: Incident) -> str:
    """Why `person` may not take a role on `incident`: not taking part in a restricted one (a role never
    lets anyone in), or may only read."""
    if incident.visibility == Visibility.RESTRICTED and is_responder(person):
        return (
            f"{person} does not take part in {incident.reference}, which is restricted: "
            "add them as a participant first."
        )
    return f"{person} may only read {incident.reference}: a role goes to someone who may record on it."


@transaction.atomic
def incident_participant_add(*, incident: Incident, actor: Any, person: Any) -> bool:
    """Make `person` a participant of `incident`, with one system entry "Participant added: <name>".

    Returns False (and writes nothing) when they already take part as a participant. On a restricted
    incident this grants them access, so only those who may command it may do it (a security event records
    it); on an internal one, anyone who may record. Raises AccessDenied, or ValidationError keyed `person`
    for someone the actor may not pick."""
    require_manage_participants(actor, incident)
    current = lock_incident(incident, None)
    _check_choosable(actor, current, {"person": person})
    if current.participants.filter(pk=person.pk).exists():
        return False
    current.participants.add(person)
    save_incident(current, [])
    system_entry(incident=current, actor=actor, body=f"Participant added: {markdown_text(person)}")
    record_security_event("ROLE_CHANGE", actor, current.reference, f"participant added: {person.email}")
    return True


@transaction.atomic
def incident_participant_remove(*, incident: Incident, actor: Any, person: Any) -> bool:
    """Remove `person` from the participants of `incident`, with one system entry "Participant removed:
    <name>". Returns False (and writes nothing) when they are not a participant.

    Someone holding a role (commander, communications lead, scribe) is refused with ValidationError keyed
    `person`: the role goes to someone else first. The same people as for adding may remove; on a
    restricted incident this takes away their access (a security event records it) and withdraws any review
    of its postmortem still pending from them (reviews they gave stay on record)."""
    require_manage_participants(actor, incident)
    current = lock_incident(incident, None)
    for field, label in ROLE_FIELDS.items():
        if getattr(current, f"{field}_id") == person.pk:
            raise ValidationError(
                {"person": f"{person} is the {label.lower()} of {current.reference}: give the role to "
                 "someone else first."}
            )  # fmt: skip
    if not current.participants.filter(pk=person.pk).exists():
        return False
    current.participants.remove(person)
    save_incident(current, [])
    body = f"Participant removed: {markdown_text(person)}"
    if current.visibility == Visibility.RESTRICTED:
        # They no longer see it, so a review still asked of them could never be given: withdrawn.
        # Reviews they already gave stay on record.
        withdrawn, _ = PostmortemReview.objects.filter(
            postmortem__incident=current, reviewer=person, decision=ReviewDecision.PENDING
        ).delete()
        if withdrawn:
            body += " (their pending review request is withdrawn)"
    system_entry(incident=current, actor=actor, body=body)
    record_security_event("ROLE_CHANGE", actor, current.reference, f"participant removed: {person.email}")
    return True
