"""What every incident write shares: the conflict error, time checks, the row lock and the versioned save."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import SecurityEvent
from accounts.security import security_event_record
from incidents.errors import ConflictError
from incidents.incident.models import implausible_time
from incidents.models import EntrySource, Incident
from incidents.permissions.checks import actor_user
from incidents.timefmt import format_time


class IncidentConflict(ConflictError):
    """The incident changed since the editor loaded it. `current` is the stored incident."""

    def __init__(self, current: Incident) -> None:
        super().__init__(
            current, f"{current.reference} was changed by someone else (now version {current.version})."
        )


def check_aware(values: dict[str, Any]) -> None:
    errors = {
        k: "The time needs a time zone."
        for k, v in values.items()
        if isinstance(v, datetime) and timezone.is_naive(v)
    }
    if errors:
        raise ValidationError(errors)


def check_when(at: datetime | None) -> None:
    """Refuse a naive, pre-1970 or future `at` (ValidationError keyed `at`)."""
    check_aware({"at": at})
    if at is not None and (reason := implausible_time(at)):
        raise ValidationError({"at": reason})


DECLARATION_RULE = (
    "An incident is declared at or after the start of its impact, as incident tools count it (the start "
    "is the incident's first moment: detection, every milestone and every state change come at or after "
    "it); an incident declared ahead of any impact starts at its declaration."
)


def check_declared_after_start(started_at: datetime, declared_at: datetime, *, key: str, actor: Any) -> None:
    """The one rule between the start of impact and the declaration, for declaring (`key="declared_at"`)
    and for moving the start later (`key="started_at"`): ValidationError keyed `key`, both instants in the
    zone of `actor` (the active zone for SYSTEM or a caller without one), when `declared_at` is before
    `started_at` (`DECLARATION_RULE`)."""
    user = actor_user(actor)
    zone: tzinfo | None = user.tzinfo if user is not None else None
    if declared_at < started_at:
        raise ValidationError(
            {
                key: f"The declaration ({format_time(declared_at, zone)}) cannot be before the start of "
                f"impact ({format_time(started_at, zone)}). {DECLARATION_RULE}"
            }
        )


def record_security_event(kind: str, actor: Any, target: str, detail: str) -> None:
    """Record a visibility or role change as a security event (accounts.security)."""
    security_event_record(kind=SecurityEvent.Kind[kind], actor=actor, target=target, detail=detail)


def lock_incident(incident: Incident, expected_version: int | None) -> Incident:
    current = Incident.objects.select_for_update().get(pk=incident.pk)
    if expected_version is not None and current.version != expected_version:
        raise IncidentConflict(current)
    return current


def save_incident(incident: Incident, fields: Iterable[str]) -> None:
    incident.version += 1
    incident.save(update_fields=[*fields, "version", "updated_at"])
    # Keep the caller's object in step with the database.


def numbered(incident: Incident, text: str) -> str:
    """`text`, or `text (2nd time)` when the incident's timeline already has system rows starting with it:
    the name of a row for a change that can happen again (resolved, reopened, mitigated after a reopening,
    a status or severity change from one value to another)."""
    n = incident.timeline_entries.filter(source=EntrySource.SYSTEM, body__startswith=text).count() + 1
    if n == 1:
        return text
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10 if n % 100 not in (11, 12, 13) else 0, "th")
    return f"{text} ({n}{suffix} time)"
