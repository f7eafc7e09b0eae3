"""Editing an incident: its fields and milestones (whose timeline rows move with them) and its roles.

Every function is one transaction, takes `actor=` and checks it (`require_command`) before it reads a row
for writing and writes its own timeline entry. Errors: `AccessDenied`; `IncidentConflict` for a stale
`expected_version`; `django.core.exceptions.ValidationError` keyed by field.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.incident import selectors
from incidents.incident.services.common import (
    check_aware,
    lock_incident,
    record_security_event,
    save_incident,
)
from incidents.markdown import markdown_text
from incidents.models import MILESTONES, EntrySource, Incident
from incidents.permissions.checks import actor_user, require_command
from incidents.timefmt import format_time
from incidents.timeline.services import system_entry, system_entry_move

EDITABLE_FIELDS = (
    "title", "summary", "customer_impact", "detection_method", "visibility", "chat_channel_url",
    "dashboard_url", "change_url", "feature_flag", *MILESTONES,
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
            target = name
            if name not in sent_list:
                sent_milestones = [m for m in MILESTONES if m in sent_list]
                target = sent_milestones[-1] if sent_milestones else name
                label = MILESTONE_LABELS.get(name, name)
                messages = [f"{m} (The {label} time is unchanged.)" for m in messages]
            errors.setdefault(target, []).extend(messages)
        raise ValidationError(errors) from None


# The system row that records each milestone (the latest one, for a repeated resolution).
MILESTONE_ROWS = {
    "started_at": "Impact started",
    "detected_at": "Detected",
    "resolved_at": "Incident resolved",
}


def _actor_zone(actor: Any) -> tzinfo:
    """The zone the actor reads times in (their profile's), else the active zone."""
    name = getattr(actor_user(actor), "time_zone", "") or ""
    try:
        return ZoneInfo(name) if name else timezone.get_current_timezone()
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


def _check_resolution_move(incident: Incident, old: datetime) -> None:
    """A resolution moved earlier may not pass a status change recorded before it (ValidationError keyed
    `resolved_at`, naming that row)."""
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
                "resolved_at": f"The resolution time ({format_time(incident.resolved_at)}) would be before "
                f"“{earlier.body}” at {format_time(earlier.occurred_at)}, which happened before the resolution."
            }
        )


def _declared_after(incident: Incident, instant: datetime) -> bool:
    """Whether the incident's "Incident declared" row is later than `instant`."""
    return incident.timeline_entries.filter(
        source=EntrySource.SYSTEM, body__startswith="Incident declared", occurred_at__gt=instant
    ).exists()


def _move_milestone_rows(
    incident: Incident, actor: Any, before: dict[str, Any], milestones: Iterable[str]
) -> dict[str, str]:
    """Keep each edited milestone's system row at the milestone: the row at the old time moves to the new
    one ("Impact started", "Detected", the latest "Incident resolved"); a cleared detection removes its row, a
    detection given for the first time gets one, and so does a start moved before the declaration.
    Returns {milestone: body of the row moved}."""
    moved: dict[str, str] = {}
    for name in milestones:
        prefix = MILESTONE_ROWS.get(name)
        old, new = before.get(name), getattr(incident, name)
        if prefix is None or old == new:
            continue
        rows = incident.timeline_entries.filter(
            source=EntrySource.SYSTEM, removed_at__isnull=True, body__startswith=prefix
        )
        if name != "resolved_at":
            rows = rows.filter(body=prefix)
        row = rows.filter(occurred_at=old).order_by("-id").first() if old is not None else None
        if row is not None:
            system_entry_move(entry=row, actor=actor, occurred_at=new)
            moved[name] = row.body
        elif name == "detected_at" and new is not None:
            system_entry(incident=incident, actor=actor, body=prefix, occurred_at=new)
        elif name == "started_at" and new is not None and _declared_after(incident, new):
            # Declaring writes "Impact started" only for a start before the declaration: an edit that moves
            # the start before it gets the row the declaration would have written.
            system_entry(incident=incident, actor=actor, body=prefix, occurred_at=new)
    return moved


@transaction.atomic
def incident_update(
    *, incident: Incident, actor: Any, expected_version: int | None = None, **changes: Any
) -> Incident:
    """Edit title, summary, milestones, links, visibility and detection method.

    Milestones are validated against each other (ValidationError keyed by field). With
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
    old_visibility = current.visibility
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
    _clean_sent(current, changed)
    if "resolved_at" in changed and current.resolved_at is not None and before["resolved_at"] is not None:
        _check_resolution_move(current, before["resolved_at"])
    save_incident(current, saved)
    milestones = [m for m in MILESTONES if m in saved]
    if milestones:
        moved = _move_milestone_rows(current, actor, before, milestones)
        zone = _actor_zone(actor)
        system_entry(
            incident=current,
            actor=actor,
            body="Milestones edited: "
            + "; ".join(
                f"{MILESTONE_LABELS[m]} {format_time(before[m], zone, offset=True, empty='unset')} → "
                f"{format_time(getattr(current, m), zone, offset=True, empty='unset')}"
                + (" (automatic, with the resolution)" if m == "mitigated_at" and m not in changed else "")
                + (f" (its “{moved[m]}” row moved with it)" if m in moved else "")
                for m in milestones
            ),
        )
    if "visibility" in changed:
        system_entry(
            incident=current,
            actor=actor,
            body=f"Visibility changed from {old_visibility} to {current.visibility}",
        )
        record_security_event(
            "VISIBILITY_CHANGE", actor, current.reference, f"{old_visibility} -> {current.visibility}"
        )
    return current


ROLE_FIELDS = {"commander": "Commander", "communications_lead": "Communications lead", "scribe": "Scribe"}


@transaction.atomic
def incident_assign_roles(
    *, incident: Incident, actor: Any, at: datetime | None = None, **roles: Any
) -> Incident:
    """Assign commander, communications lead and scribe (a User or None). Each change is a system entry.

    `at` (aware, default now) is when the change happened, for roles recorded after the fact.
    """
    require_command(actor, incident)
    unknown = set(roles) - set(ROLE_FIELDS)
    if unknown:
        raise ValidationError({k: "Unknown role." for k in unknown})
    check_aware({"at": at})
    current = lock_incident(incident, None)
    changed = []
    for field, user in roles.items():
        if getattr(current, f"{field}_id") != getattr(user, "pk", None):
            setattr(current, field, user)
            changed.append(field)
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
