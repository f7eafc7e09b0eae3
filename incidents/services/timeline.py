"""Timeline writes. Entries are inserts, so many writers never conflict."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.models import EntryKind, EntrySource, Incident, TimelineEntry


@transaction.atomic
def timeline_entry_add(
    *,
    incident: Incident,
    actor: Any,
    body: str,
    kind: str = EntryKind.NOTE,
    occurred_at: datetime | None = None,
    source: str = EntrySource.WEB,
    evidence: str = "",
    knew_then: str = "",
    is_key_moment: bool = False,
    author_name: str = "",
) -> TimelineEntry:
    """Insert a timeline entry and return it.

    `occurred_at` must be aware (UTC is stored); it defaults to now. Entries before the start or after
    resolution are accepted and change no duration. Raises ValidationError for an empty body, a naive
    time or an unknown kind.
    """
    body = (body or "").strip()
    errors: dict[str, str] = {}
    if not body:
        errors["body"] = "Say what happened."
    if occurred_at is not None and timezone.is_naive(occurred_at):
        errors["occurred_at"] = "The time needs a time zone."
    if kind not in EntryKind.values:
        errors["kind"] = f"Unknown kind {kind!r}."
    if errors:
        raise ValidationError(errors)
    user = actor if getattr(actor, "is_authenticated", False) else None
    entry = TimelineEntry(
        incident=incident,
        occurred_at=occurred_at or timezone.now(),
        author=user,
        author_name=author_name,
        kind=kind,
        body=body,
        source=source,
        evidence=evidence,
        knew_then=knew_then,
        is_key_moment=is_key_moment,
    )
    entry.full_clean(exclude=["incident", "author", "removed_by"])
    entry.save()
    return entry


def system_entry(
    *, incident: Incident, actor: Any, body: str, occurred_at: datetime | None = None
) -> TimelineEntry:
    """Write a system entry (status, severity, role changes) at its own time."""
    return timeline_entry_add(
        incident=incident,
        actor=actor,
        body=body,
        kind=EntryKind.STATUS_CHANGE,
        occurred_at=occurred_at,
        source=EntrySource.SYSTEM,
    )
