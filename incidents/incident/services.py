"""Incident writes: declare, edit, status, severity, roles, resolve, reopen.

Every function is one transaction, takes `actor=` and checks it (`incidents.permissions.require_*`:
declaring needs a responder, everything else commands the incident, deleting and restoring are for
admins) before it reads a row for writing, writes its own timeline entry and tells `notify` (which
sends on commit). Errors: `AccessDenied` for an actor who may not (not found when they cannot see the
incident); `django.core.exceptions.ValidationError` keyed by field, so forms and the API show it beside
the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from accounts.models import SecurityEvent
from accounts.security import security_event_record
from incidents.errors import ConflictError, TransitionError
from incidents.incident import selectors
from incidents.incident.models import implausible_time
from incidents.markdown import markdown_text
from incidents.models import (
    ACTIVE_STATUSES,
    MILESTONES,
    EntrySource,
    Incident,
    IncidentCounter,
    IncidentStatus,
    Service,
    Severity,
)
from incidents.notify import services as notify
from incidents.permissions import actor_user, require_admin, require_command, require_declare
from incidents.timefmt import format_time
from incidents.timeline.services import system_entry, system_entry_move

S = IncidentStatus

# Allowed status changes. Reopening (resolved/postmortem/closed back to investigating) is `incident_reopen`.
TRANSITIONS: dict[str, set[str]] = {
    S.INVESTIGATING: {S.IDENTIFIED, S.MONITORING, S.RESOLVED},
    S.IDENTIFIED: {S.INVESTIGATING, S.MONITORING, S.RESOLVED},
    S.MONITORING: {S.INVESTIGATING, S.IDENTIFIED, S.RESOLVED},
    S.RESOLVED: {S.POSTMORTEM, S.CLOSED},
    S.POSTMORTEM: {S.CLOSED},
    S.CLOSED: set(),
}
SEVERITY_RANK: dict[str, int] = {Severity.SEV1: 1, Severity.SEV2: 2, Severity.SEV3: 3, Severity.SEV4: 4}
EDITABLE_FIELDS = (
    "title", "summary", "customer_impact", "detection_method", "visibility", "chat_channel_url",
    "dashboard_url", "change_url", "feature_flag", *MILESTONES,
)  # fmt: skip


class IncidentConflict(ConflictError):
    """The incident changed since the editor loaded it. `current` is the stored incident."""

    def __init__(self, current: Incident) -> None:
        super().__init__(
            current, f"{current.reference} was changed by someone else (now version {current.version})."
        )


def _check_aware(values: dict[str, Any]) -> None:
    errors = {
        k: "The time needs a time zone."
        for k, v in values.items()
        if isinstance(v, datetime) and timezone.is_naive(v)
    }
    if errors:
        raise ValidationError(errors)


def _check_when(at: datetime | None) -> None:
    """Refuse a naive, pre-1970 or future `at` (ValidationError keyed `at`)."""
    _check_aware({"at": at})
    if at is not None and (reason := implausible_time(at)):
        raise ValidationError({"at": reason})


def _check_lifecycle_time(incident: Incident, when: datetime, *, key: str = "at", what: str) -> None:
    """Refuse a state change dated before the incident's start or before its latest recorded status
    change (ValidationError keyed `key`): a backfilled change is checked against what is already recorded
    after it, never accepted silently out of order. `what` names the change (`resolution`)."""
    if when < incident.started_at:
        raise ValidationError(
            {key: f"The {what} time cannot be before the start time ({format_time(incident.started_at)})."}
        )
    last = selectors.last_lifecycle_row(incident)
    if last is not None and when < last.occurred_at:
        raise ValidationError(
            {
                key: f"The {what} time ({format_time(when)}) is before “{last.body}” at "
                f"{format_time(last.occurred_at)}, which is already recorded; record changes in the order "
                "they happened."
            }
        )


def _numbered(incident: Incident, text: str) -> str:
    """`text`, or `text (2nd time)` when the incident's timeline already has system rows starting with it."""
    n = incident.timeline_entries.filter(source=EntrySource.SYSTEM, body__startswith=text).count() + 1
    if n == 1:
        return text
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10 if n % 100 not in (11, 12, 13) else 0, "th")
    return f"{text} ({n}{suffix} time)"


def _security_event(kind: str, actor: Any, target: str, detail: str) -> None:
    """Record a visibility or role change as a security event (accounts.security)."""
    security_event_record(kind=SecurityEvent.Kind[kind], actor=actor, target=target, detail=detail)


def _allocate_number() -> int:
    """Take the next incident number; the counter row stays locked until the caller's transaction ends.

    The UPDATE comes first so that it is the statement that queues (a row lock on PostgreSQL, the write
    lock on SQLite). Numbers given outside this allocator (imports, fixtures) are stepped over.
    """
    for _ in range(2):
        if IncidentCounter.objects.filter(name="incident").update(value=F("value") + 1):
            break
        # The row is seeded by a migration; a flushed test database has lost it.
        IncidentCounter.objects.bulk_create([IncidentCounter(name="incident")], ignore_conflicts=True)
    counter = IncidentCounter.objects.get(name="incident")
    highest = Incident.objects.aggregate(n=Max("number"))["n"] or 0
    if counter.value <= highest:
        counter.value = highest + 1
        counter.save(update_fields=["value"])
    return counter.value


class _Duplicate(Exception):  # noqa: N818 - control flow: rolls back the number taken for a duplicate
    def __init__(self, incident: Incident) -> None:
        self.incident = incident


def incident_declare(
    *,
    actor: Any,
    title: str,
    severity: str,
    started_at: datetime | None = None,
    summary: str = "",
    services: Iterable[Service] = (),
    visibility: str = "internal",
    commander: Any = None,
    dedup_key: str | None = None,
    detected_at: datetime | None = None,
    detection_method: str = "",
    declared_at: datetime | None = None,
) -> Incident:
    """Declare an incident, write its first timeline entry and notify on commit; `incident_declare_once`
    without the `created` flag. With `dedup_key`, declaring the same key again returns the existing incident.
    """
    return incident_declare_once(
        actor=actor, title=title, severity=severity, started_at=started_at, summary=summary,
        services=services, visibility=visibility, commander=commander, dedup_key=dedup_key,
        detected_at=detected_at, detection_method=detection_method, declared_at=declared_at,
    )[0]  # fmt: skip


def incident_declare_once(
    *,
    actor: Any,
    title: str,
    severity: str,
    started_at: datetime | None = None,
    summary: str = "",
    services: Iterable[Service] = (),
    visibility: str = "internal",
    commander: Any = None,
    dedup_key: str | None = None,
    detected_at: datetime | None = None,
    detection_method: str = "",
    declared_at: datetime | None = None,
) -> tuple[Incident, bool]:
    """Declare an incident and return `(incident, created)`.

    Timeline rows: "Impact started" at `started_at` when that is before the declaration, "Detected" at
    `detected_at` when given, and "Incident declared" at `declared_at` (aware; default now), so a
    backfilled incident reads as it happened.

    `started_at` defaults to now (UTC-aware). With `dedup_key`, a declaration whose key was declared
    before, or is being declared by a concurrent request, returns `(existing incident, False)` unchanged:
    declarations queue on the number counter, and the key is looked up again once at the front.
    Numbers are unique and gapless. Raises AccessDenied unless the actor may declare (`can_declare`),
    ValidationError for a missing title, an unknown severity, a naive or implausible time.
    """
    require_declare(actor)
    if dedup_key:
        existing = Incident.objects.filter(dedup_key=dedup_key).first()
        if existing:
            return existing, False
    title = (title or "").strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Give the incident a title."
    if severity not in Severity.values:
        errors["severity"] = "Choose a severity from SEV1 to SEV4."
    if errors:
        raise ValidationError(errors)
    _check_aware({"started_at": started_at, "detected_at": detected_at, "declared_at": declared_at})
    if declared_at is not None and (late := implausible_time(declared_at)):
        raise ValidationError({"declared_at": late})
    now = timezone.now()
    user = actor_user(actor)
    try:
        with transaction.atomic():
            number = _allocate_number()
            if dedup_key:
                existing = Incident.objects.filter(dedup_key=dedup_key).first()
                if existing:
                    raise _Duplicate(existing)
            incident = Incident(
                number=number,
                title=title,
                severity=severity,
                started_at=started_at or now,
                detected_at=detected_at,
                detection_method=detection_method,
                summary=summary,
                visibility=visibility,
                commander=commander or user,
                declared_by=user,
                dedup_key=dedup_key or None,
            )
            # Uniqueness is the database's to decide (a duplicate key is answered with the incident).
            incident.full_clean(exclude=["number", "dedup_key"])
            incident.save()
            if services:
                incident.services.set(services)
            if user:
                incident.participants.add(user)
            declared = declared_at or now
            if incident.started_at < declared:
                system_entry(
                    incident=incident, actor=user, body="Impact started", occurred_at=incident.started_at
                )
            if detected_at is not None:
                system_entry(incident=incident, actor=user, body="Detected", occurred_at=detected_at)
            system_entry(
                incident=incident,
                actor=user,
                body=f"Incident declared as {severity}: {markdown_text(title)}",
                occurred_at=declared,
            )
            notify.incident_declared(incident, actor=user)
    except _Duplicate as duplicate:
        return duplicate.incident, False
    except IntegrityError:
        # A key stored by a writer that does not take the counter (an import) committed first.
        existing = Incident.objects.filter(dedup_key=dedup_key).first() if dedup_key else None
        if existing is None:
            raise
        return existing, False
    return incident, True


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


def _lock(incident: Incident, expected_version: int | None) -> Incident:
    current = Incident.objects.select_for_update().get(pk=incident.pk)
    if expected_version is not None and current.version != expected_version:
        raise IncidentConflict(current)
    return current


def _save(incident: Incident, fields: Iterable[str]) -> None:
    incident.version += 1
    incident.save(update_fields=[*fields, "version", "updated_at"])
    # Keep the caller's object in step with the database.


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
    _check_aware(changes)
    current = _lock(incident, expected_version)
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
    _save(current, saved)
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
        _security_event(
            "VISIBILITY_CHANGE", actor, current.reference, f"{old_visibility} -> {current.visibility}"
        )
    return current


@transaction.atomic
def incident_change_status(
    *,
    incident: Incident,
    actor: Any,
    status: str,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Incident:
    """Move the incident along its lifecycle (TRANSITIONS). Resolving goes through `incident_resolve`.

    Reaching `identified` sets nothing; `monitoring` sets `mitigated_at` if unset. Raises TransitionError.
    """
    require_command(actor, incident)
    current = _lock(incident, expected_version)
    if status == current.status:
        raise TransitionError(
            {
                "status": f"{current.reference} is already {current.get_status_display().lower()}; nothing changed."
            }
        )
    if status not in S.values:
        raise TransitionError({"status": f"Unknown status {status!r}."})
    if status not in TRANSITIONS[current.status]:
        raise TransitionError(
            {
                "status": f"An incident that is {current.get_status_display().lower()} cannot move to {S(status).label.lower()}."
            }
        )
    if status == S.RESOLVED:
        return incident_resolve(incident=current, actor=actor, at=at)
    _check_when(at)
    when = at or timezone.now()
    _check_lifecycle_time(current, when, what="status change")
    old = current.status
    old_label = current.get_status_display()
    fields = ["status"]
    current.status = status
    if status == S.MONITORING and current.mitigated_at is None:
        current.mitigated_at = when
        fields.append("mitigated_at")
    current.full_clean(exclude=["number"])
    _save(current, fields)
    system_entry(
        incident=current,
        actor=actor,
        body=f"Status changed from {old_label} to {current.get_status_display()}",
        occurred_at=when,
    )
    notify.incident_status_changed(current, old=old)
    return current


@transaction.atomic
def incident_change_severity(
    *, incident: Incident, actor: Any, severity: str, reason: str = "", at: datetime | None = None
) -> Incident:
    """Change severity and record it at `at` (aware; default now, for a change recorded after the fact).

    Raises AccessDenied unless the actor commands the incident, ValidationError for an unknown severity
    or an implausible `at`."""
    require_command(actor, incident)
    if severity not in Severity.values:
        raise ValidationError({"severity": "Choose a severity from SEV1 to SEV4."})
    _check_when(at)
    current = _lock(incident, None)
    if current.severity == severity:
        return current
    if at is not None and at < current.started_at:
        raise ValidationError(
            {
                "at": f"The severity change cannot be before the start time ({format_time(current.started_at)})."
            }
        )
    old = current.severity
    current.severity = severity
    _save(current, ["severity"])
    body = f"Severity changed from {old} to {severity}" + (f": {reason}" if reason else "")
    system_entry(incident=current, actor=actor, body=body, occurred_at=at)
    if SEVERITY_RANK[severity] < SEVERITY_RANK[old]:
        notify.incident_severity_raised(current, old=old)
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
    _check_aware({"at": at})
    current = _lock(incident, None)
    changed = []
    for field, user in roles.items():
        if getattr(current, f"{field}_id") != getattr(user, "pk", None):
            setattr(current, field, user)
            changed.append(field)
            if user is not None:
                current.participants.add(user)
    if not changed:
        return current
    _save(current, changed)
    for field in changed:
        who = getattr(current, field)
        system_entry(
            incident=current,
            actor=actor,
            body=f"{ROLE_FIELDS[field]}: {markdown_text(who or 'nobody')}",
            occurred_at=at,
        )
        _security_event(
            "ROLE_CHANGE", actor, current.reference, f"{field}: {getattr(who, 'email', 'nobody')}"
        )
    return current


@transaction.atomic
def incident_resolve(
    *, incident: Incident, actor: Any, at: datetime | None = None, note: str = ""
) -> Incident:
    """Resolve: set `resolved_at` to `at` (aware; default now) and status resolved.

    Raises TransitionError (keyed `status`, nothing changed) when the incident is already resolved or is
    not active; ValidationError keyed `at` when `at` is implausible, before the start, before a status
    change already recorded after it, or before a recorded mitigation time.
    """
    require_command(actor, incident)
    current = _lock(incident, None)
    if current.status == S.RESOLVED:
        raise TransitionError(
            {
                "status": f"{current.reference} is already resolved (at {format_time(current.resolved_at)}); "
                "nothing changed. Reopen it first to record a later resolution."
            }
        )
    if current.status not in ACTIVE_STATUSES:
        raise TransitionError(
            {"status": f"An incident that is {current.get_status_display().lower()} cannot be resolved."}
        )
    _check_when(at)
    when = at or timezone.now()
    _check_lifecycle_time(current, when, what="resolution")
    old = current.status
    current.status = S.RESOLVED
    current.resolved_at = when
    fields = ["status", "resolved_at"]
    if current.mitigated_at is None:
        current.mitigated_at = when
        current.mitigated_at_auto = True
        fields += ["mitigated_at", "mitigated_at_auto"]
    try:
        current.full_clean(exclude=["number"])
    except ValidationError as exc:
        # The caller gave one time, `at`: every milestone conflict is reported there.
        raise ValidationError({"at": [m for ms in exc.message_dict.values() for m in ms]}) from None
    _save(current, fields)
    system_entry(
        incident=current,
        actor=actor,
        body=_numbered(current, "Incident resolved") + (f": {note}" if note else ""),
        occurred_at=when,
    )
    notify.incident_status_changed(current, old=old)
    return current


@transaction.atomic
def incident_reopen(*, incident: Incident, actor: Any, reason: str, at: datetime | None = None) -> Incident:
    """Reopen a resolved, postmortem or closed incident to investigating; a reason is required.

    `at` (aware, default now) is when it was reopened; it may not be before the resolution it undoes.

    `resolved_at` is cleared, so a reopened incident counts in resolution metrics only once resolved again.
    """
    require_command(actor, incident)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the incident is being reopened."})
    current = _lock(incident, None)
    if current.status in ACTIVE_STATUSES:
        raise TransitionError({"status": "The incident is still active; there is nothing to reopen."})
    _check_when(at)
    if at is not None and current.resolved_at is not None and at < current.resolved_at:
        raise ValidationError({"at": "An incident cannot be reopened before it was resolved."})
    old = current.status
    current.status = S.INVESTIGATING
    current.resolved_at = None
    fields = ["status", "resolved_at"]
    if current.mitigated_at_auto:  # it came from the resolution being undone
        current.mitigated_at, current.mitigated_at_auto = None, False
        fields += ["mitigated_at", "mitigated_at_auto"]
    _save(current, fields)
    system_entry(
        incident=current,
        actor=actor,
        body=f"{_numbered(current, 'Incident reopened')}: {reason}",
        occurred_at=at,
    )
    notify.incident_status_changed(current, old=old)
    return current


@transaction.atomic
def incident_soft_delete(*, incident: Incident, actor: Any, reason: str) -> Incident:
    """Hide an incident from everyone but admins; nothing is removed and `incident_restore` undoes it.

    Admins only (AccessDenied otherwise); a reason is required (ValidationError keyed `reason`).
    Reminders, digests and notifications stop because every sweep and scope skips deleted incidents.
    Writes a timeline entry, a history record with the reason, and a deletion security event.
    Deleting a deleted incident changes nothing.
    """
    require_admin(actor, "Only admins can delete incidents.", incident=incident)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the incident is being deleted."})
    current = _lock(incident, None)
    if current.deleted_at is not None:
        return current
    current.deleted_at = timezone.now()
    current._change_reason = f"Deleted: {reason}"  # type: ignore[attr-defined]  # simple-history
    _save(current, ["deleted_at"])
    system_entry(incident=current, actor=actor, body=f"Incident deleted by an admin: {reason}")
    security_event_record(
        kind=SecurityEvent.Kind.DELETION, actor=actor, target=current.reference, detail=reason
    )
    return current


@transaction.atomic
def incident_restore(*, incident: Incident, actor: Any) -> Incident:
    """Bring back a soft-deleted incident exactly as it was. Admins only; restoring twice changes nothing."""
    require_admin(actor, "Only admins can restore incidents.", incident=incident)
    current = _lock(incident, None)
    if current.deleted_at is None:
        return current
    current.deleted_at = None
    current._change_reason = "Restored"  # type: ignore[attr-defined]  # simple-history
    _save(current, ["deleted_at"])
    system_entry(incident=current, actor=actor, body="Incident restored by an admin")
    security_event_record(kind=SecurityEvent.Kind.RESTORE, actor=actor, target=current.reference)
    return current
