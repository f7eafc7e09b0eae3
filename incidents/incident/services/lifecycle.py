"""Incident lifecycle: status, severity, resolve, reopen, soft delete and restore.

Every function is one transaction, takes `actor=` and checks it (`incidents.permissions.checks.require_*`: the
commander's rights, admins for deleting and restoring) before it reads a row for writing, writes its own
timeline entry and tells `notify` (which sends on commit). Errors: `AccessDenied` for an actor who may not
(not found when they cannot see the incident); `TransitionError` for a move the lifecycle refuses;
`django.core.exceptions.ValidationError` keyed by field, so forms and the API show it beside the field.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import SecurityEvent
from accounts.security import security_event_record
from incidents.errors import TransitionError
from incidents.incident import process, selectors
from incidents.incident.services.common import check_when, lock_incident, numbered, save_incident
from incidents.models import ACTIVE_STATUSES, Incident, IncidentStatus, Severity
from incidents.notify import services as notify
from incidents.permissions.checks import actor_user, require_admin, require_command
from incidents.timefmt import format_time
from incidents.timeline.services import system_entry

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
MITIGATED = "Mitigated"  # the row of a mitigation; numbered when it comes again ("Mitigated (2nd time)")
# What the row of a mitigation time filled in by itself says after its name.
AUTOMATIC = "automatic"
AUTOMATIC_AT_MONITORING = f"{AUTOMATIC}, with the move to Monitoring"
AUTOMATIC_AT_RESOLUTION = f"{AUTOMATIC}, the resolution time (no mitigation time was given)"
NO_LONGER_MITIGATED = "no longer mitigated"
SEVERITY_RANK: dict[str, int] = {Severity.SEV1: 1, Severity.SEV2: 2, Severity.SEV3: 3, Severity.SEV4: 4}


def _mitigation_rule(incident: Incident, old_status: str, when: datetime) -> tuple[list[str], str | None]:
    """The one rule for the mitigation time a status change, a resolution or a reopening implies.
    `incident` already carries its new status; `when` (aware) is the change's time. Sets the incident's
    fields and returns (the fields it changed, the body of the “Mitigated” row to write, or None):

    - entering monitoring, or resolving, without a mitigation time fills one in at `when`, and the
      change writes one numbered, automatic row at it (“Mitigated: automatic, with the move to
      Monitoring”, “Mitigated (2nd time): automatic, the resolution time …”); one filled in by resolving
      is marked automatic (`mitigated_at_auto`) and moves with the resolution;
    - going back to investigating or identified from monitoring, or reopening, clears the mitigation:
      the fix did not hold, so the next mitigation is measured (and gets its own row) when it comes. The
      cleared value stays in the history and its row stays where it happened;
    - anything else leaves the mitigation as it is (a mitigation time already recorded stays, with the
      one row it has).
    """
    status = incident.status
    if status in (S.MONITORING, S.RESOLVED) and incident.mitigated_at is None:
        incident.mitigated_at = when
        incident.mitigated_at_auto = status == S.RESOLVED
        how = AUTOMATIC_AT_RESOLUTION if status == S.RESOLVED else AUTOMATIC_AT_MONITORING
        return ["mitigated_at", "mitigated_at_auto"], f"{numbered(incident, MITIGATED)}: {how}"
    undone = old_status == S.MONITORING or old_status not in ACTIVE_STATUSES
    mitigated = incident.mitigated_at is not None or incident.mitigated_at_auto
    if status in (S.INVESTIGATING, S.IDENTIFIED) and undone and mitigated:
        incident.mitigated_at, incident.mitigated_at_auto = None, False
        return ["mitigated_at", "mitigated_at_auto"], None
    return [], None


def _zone_of(actor: Any) -> tzinfo | None:
    """The actor's own zone for an error message (a token caller has no active zone), else the active one."""
    user = actor_user(actor)
    return user.tzinfo if user is not None else None


def check_state_change_time(
    incident: Incident, when: datetime, *, state: str, what: str, zone: tzinfo | None, key: str = "at"
) -> None:
    """The one rule for the time of every state change: a status change, a resolution, a reopening
    (`state="status"`) and a severity change (`state="severity"`). Raises ValidationError keyed `key`, both
    instants in `zone`, when `when` is

    - before the start of impact, or
    - before the latest recorded change of the same state (`selectors.last_state_row`: status, resolve
      and reopen rows for the status; severity rows for the severity).

    Changes of a state are so recorded in the order they happened: every "from X to Y" row follows the one
    before it and the latest states the incident's current state. The declaration is no bound, for a
    status as for a severity: an incident recorded in Hindsight after it happened (a backfill) records
    its changes at their real times, before its declaration row, whose "declared as SEV2" names the
    severity it started with. `what` names the change ("severity change", "resolution")."""
    if when < incident.started_at:
        raise ValidationError(
            {
                key: f"The {what} ({format_time(when, zone)}) cannot be before the start time "
                f"({format_time(incident.started_at, zone)})."
            }
        )
    last = selectors.last_state_row(incident, state)
    if last is not None and when < last.occurred_at:
        name = last.body.split(":", 1)[0]  # "Severity changed from SEV2 to SEV1", "Incident resolved"
        raise ValidationError(
            {
                key: f"The {what} ({format_time(when, zone)}) is before “{name}” at "
                f"{format_time(last.occurred_at, zone)}, which is already recorded; record changes in "
                "the order they happened."
            }
        )


@transaction.atomic
def incident_change_status(
    *,
    incident: Incident,
    actor: Any,
    status: str,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> Incident:
    """Move the incident along its lifecycle (TRANSITIONS). Resolving goes through `incident_resolve`;
    closing is refused (TransitionError) while its process rule requires a postmortem that is neither
    published nor waived (`process.close_blocker`).

    The mitigation follows `_mitigation_rule`: entering monitoring without a mitigation time records one
    at `at`, with its numbered, automatic “Mitigated” row; going back from monitoring to investigating or
    identified clears it, and its status row says “no longer mitigated”. Raises TransitionError.
    """
    require_command(actor, incident)
    current = lock_incident(incident, expected_version)
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
    if status == S.CLOSED:
        blocker = process.close_blocker(current, process.rule_for(current))
        if blocker:
            raise TransitionError({"status": blocker})
    check_when(at)
    when = at or timezone.now()
    check_state_change_time(current, when, state="status", what="status change", zone=_zone_of(actor))
    old = current.status
    old_label = current.get_status_display()
    current.status = status
    mitigation, mitigated_row = _mitigation_rule(current, old, when)
    current.full_clean(exclude=["number"])
    save_incident(current, ["status", *mitigation])
    body = numbered(current, f"Status changed from {old_label} to {current.get_status_display()}")
    if mitigation and current.mitigated_at is None:
        body += f": {NO_LONGER_MITIGATED}"
    system_entry(incident=current, actor=actor, body=body, occurred_at=when)
    if mitigated_row:
        system_entry(incident=current, actor=actor, body=mitigated_row, occurred_at=when)
    notify.incident_status_changed(current, old=old, at=when)
    return current


@transaction.atomic
def incident_change_severity(
    *, incident: Incident, actor: Any, severity: str, reason: str = "", at: datetime | None = None
) -> Incident:
    """Change severity and record it at `at` (aware; default now, for a change recorded after the fact).

    Raises AccessDenied unless the actor commands the incident, ValidationError for an unknown severity
    or an implausible `at`, TransitionError (keyed `severity`, nothing changed) when the incident already
    has `severity`, and (keyed `at`) for a change dated before the start or before the declaration
    or severity change recorded latest (`check_state_change_time`: the error names both instants in the
    actor's zone)."""
    require_command(actor, incident)
    if severity not in Severity.values:
        raise ValidationError({"severity": "Choose a severity from SEV1 to SEV4."})
    check_when(at)
    current = lock_incident(incident, None)
    if current.severity == severity:
        raise TransitionError({"severity": f"{current.reference} is already {severity}; nothing changed."})
    when = at or timezone.now()
    check_state_change_time(current, when, state="severity", what="severity change", zone=_zone_of(actor))
    old = current.severity
    current.severity = severity
    save_incident(current, ["severity"])
    body = numbered(current, f"Severity changed from {old} to {severity}") + (f": {reason}" if reason else "")
    system_entry(incident=current, actor=actor, body=body, occurred_at=when)
    if SEVERITY_RANK[severity] < SEVERITY_RANK[old]:
        notify.incident_severity_raised(current, old=old, at=when)
    notify.incident_severity_changed(current, old=old, at=when)
    return current


@transaction.atomic
def incident_resolve(
    *, incident: Incident, actor: Any, at: datetime | None = None, note: str = ""
) -> Incident:
    """Resolve: set `resolved_at` to `at` (aware; default now) and status resolved.

    Without a recorded mitigation, `mitigated_at` is set to the same time, marked automatic, with its
    numbered, automatic “Mitigated” row at it (`_mitigation_rule`): the timeline's latest mitigation row
    is always the incident's mitigation, and both move with the resolution.

    Raises TransitionError (keyed `status`, nothing changed) when the incident is already resolved or is
    not active; ValidationError keyed `at` when `at` is implausible, before the start, before a status
    change already recorded after it, or before a recorded mitigation time.
    """
    require_command(actor, incident)
    current = lock_incident(incident, None)
    if current.status == S.RESOLVED:
        raise TransitionError(
            {
                "status": f"{current.reference} is already resolved (at {format_time(current.resolved_at, _zone_of(actor))}); "
                "nothing changed. Reopen it first to record a later resolution."
            }
        )
    if current.status not in ACTIVE_STATUSES:
        raise TransitionError(
            {"status": f"An incident that is {current.get_status_display().lower()} cannot be resolved."}
        )
    check_when(at)
    when = at or timezone.now()
    check_state_change_time(current, when, state="status", what="resolution", zone=_zone_of(actor))
    old = current.status
    current.status = S.RESOLVED
    current.resolved_at = when
    mitigation, mitigated_row = _mitigation_rule(current, old, when)
    fields = ["status", "resolved_at", *mitigation]
    try:
        current.full_clean(exclude=["number"])
    except ValidationError as exc:
        # The caller gave one time, `at`: every milestone conflict is reported there.
        raise ValidationError({"at": [m for ms in exc.message_dict.values() for m in ms]}) from None
    save_incident(current, fields)
    system_entry(
        incident=current,
        actor=actor,
        body=numbered(current, "Incident resolved") + (f": {note}" if note else ""),
        occurred_at=when,
    )
    if mitigated_row:
        system_entry(incident=current, actor=actor, body=mitigated_row, occurred_at=when)
    notify.incident_status_changed(current, old=old, at=when)
    return current


@transaction.atomic
def incident_reopen(*, incident: Incident, actor: Any, reason: str, at: datetime | None = None) -> Incident:
    """Reopen a resolved, postmortem or closed incident to investigating; a reason is required.

    `at` (aware, default now) is when it was reopened; the one rule for state-change times applies
    (`check_state_change_time`: not before the start, the declaration or the resolution it undoes).

    `resolved_at` and `mitigated_at` are cleared (`_mitigation_rule`): a reopened incident is not
    mitigated (the fix did not hold), so it counts in resolution and mitigation metrics only once mitigated and resolved again. The
    cleared values stay in the incident's history, and their timeline rows ("Mitigated", "Incident
    resolved") stay where they happened; the next mitigation and resolution get numbered rows of their own
    ("Mitigated (2nd time)", "Incident resolved (2nd time)").
    """
    require_command(actor, incident)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the incident is being reopened."})
    current = lock_incident(incident, None)
    if current.status in ACTIVE_STATUSES:
        raise TransitionError({"status": "The incident is still active; there is nothing to reopen."})
    check_when(at)
    when = at or timezone.now()
    check_state_change_time(current, when, state="status", what="reopening", zone=_zone_of(actor))
    old = current.status
    current.status = S.INVESTIGATING
    current.resolved_at = None
    mitigation, _ = _mitigation_rule(current, old, when)
    fields = ["status", "resolved_at", *mitigation]
    current._change_reason = f"Reopened: {reason}"  # type: ignore[attr-defined]  # simple-history
    save_incident(current, fields)
    system_entry(
        incident=current,
        actor=actor,
        body=f"{numbered(current, 'Incident reopened')}: {reason}",
        occurred_at=when,
    )
    notify.incident_status_changed(current, old=old, at=when)
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
    current = lock_incident(incident, None)
    if current.deleted_at is not None:
        return current
    current.deleted_at = timezone.now()
    current._change_reason = f"Deleted: {reason}"  # type: ignore[attr-defined]  # simple-history
    save_incident(current, ["deleted_at"])
    system_entry(incident=current, actor=actor, body=f"Incident deleted by an admin: {reason}")
    security_event_record(
        kind=SecurityEvent.Kind.DELETION, actor=actor, target=current.reference, detail=reason
    )
    return current


@transaction.atomic
def incident_restore(*, incident: Incident, actor: Any) -> Incident:
    """Bring back a soft-deleted incident exactly as it was. Admins only; restoring twice changes nothing."""
    require_admin(actor, "Only admins can restore incidents.", incident=incident)
    current = lock_incident(incident, None)
    if current.deleted_at is None:
        return current
    current.deleted_at = None
    current._change_reason = "Restored"  # type: ignore[attr-defined]  # simple-history
    save_incident(current, ["deleted_at"])
    system_entry(incident=current, actor=actor, body="Incident restored by an admin")
    security_event_record(kind=SecurityEvent.Kind.RESTORE, actor=actor, target=current.reference)
    return current
