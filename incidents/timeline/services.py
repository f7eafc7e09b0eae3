"""Timeline writes: add, edit, remove, restore and import entries.

Entries are inserts, so many writers never conflict. Every change bumps `updated_at` (the model's `save`),
which is what the live cursor (`selectors.timeline_changes_since`) follows, and is kept in the entry's
history (django-simple-history) with the actor as the history user.

Every public write checks its actor may record on the incident (`incidents.permissions.checks.require_record`)
and raises `AccessDenied` otherwise (not found when the actor cannot see the incident). `system_entry` is
the record another service writes of its own change, after that service checked its actor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from incidents.errors import ConflictError
from incidents.incident.models import implausible_time
from incidents.markdown import render_markdown
from incidents.models import EntryKind, EntrySource, EvidenceMarker, Incident, TimelineEntry
from incidents.notify import services as notify
from incidents.permissions.checks import actor_user, require_record
from incidents.timeline.models import SYSTEM_KINDS, milestone_changes_text

# Fields a person may change on an entry they can record on; system entries keep their text, kind and time.
EDITABLE_FIELDS = ("body", "kind", "occurred_at", "evidence", "knew_then", "is_key_moment")
SYSTEM_EDITABLE_FIELDS = ("evidence", "knew_then", "is_key_moment")
MAX_BODY_CHARS = 20_000


def _validate(values: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if "body" in values:
        body = values["body"]
        if not body:
            errors["body"] = "Say what happened."
        elif len(body) > MAX_BODY_CHARS:
            errors["body"] = (
                f"Keep an entry under {MAX_BODY_CHARS:,} characters (this one has {len(body):,})."
            )
    occurred_at = values.get("occurred_at")
    if occurred_at is not None and timezone.is_naive(occurred_at):
        errors["occurred_at"] = "The time needs a time zone."
    elif reason := implausible_time(occurred_at):
        errors["occurred_at"] = reason
    if "kind" in values and values["kind"] not in EntryKind.values:
        errors["kind"] = f"Unknown kind {values['kind']!r}."
    if values.get("evidence") and values["evidence"] not in EvidenceMarker.values:
        errors["evidence"] = f"Unknown evidence marker {values['evidence']!r}."
    if errors:
        raise ValidationError(errors)


def _refuse_system_kind(kind: str) -> None:
    """ValidationError keyed `kind` for a kind only Hindsight writes (`SYSTEM_KINDS`), sent by a person."""
    if kind in SYSTEM_KINDS:
        raise ValidationError({"kind": f"Only Hindsight records {kind!r} entries; choose another kind."})


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
    """Insert a timeline entry and return it; one written on the web or through the API is posted to the
    incident's linked chat channels after commit (`notify.timeline_entry_added`).

    `occurred_at` must be aware (UTC is stored); it defaults to now. Entries before the start (context) or
    after resolution (follow-up) are accepted and change no duration. Raises AccessDenied unless the actor
    may record on the incident, ValidationError keyed by field for an empty or over-long body, a naive
    time, an unknown kind, a kind only Hindsight writes (`SYSTEM_KINDS`) or an unknown evidence marker.
    """
    require_record(actor, incident)
    _refuse_system_kind(kind)
    entry = _insert(
        incident=incident,
        actor=actor,
        body=body,
        kind=kind,
        occurred_at=occurred_at,
        source=source,
        evidence=evidence,
        knew_then=knew_then,
        is_key_moment=is_key_moment,
        author_name=author_name,
    )
    notify.timeline_entry_added(entry)
    return entry


def _insert(
    *,
    incident: Incident,
    actor: Any,
    body: str,
    kind: str,
    occurred_at: datetime | None,
    source: str,
    evidence: str = "",
    knew_then: str = "",
    is_key_moment: bool = False,
    author_name: str = "",
    milestone_changes: list[dict[str, Any]] | None = None,
) -> TimelineEntry:
    body = (body or "").strip()
    _validate({"body": body, "occurred_at": occurred_at, "kind": kind, "evidence": evidence})
    user = actor_user(actor)
    entry = TimelineEntry(
        incident=incident,
        occurred_at=occurred_at or timezone.now(),
        author=user,
        author_name=author_name,
        kind=kind,
        body=body,
        source=source,
        evidence=evidence,
        knew_then=(knew_then or "").strip(),
        is_key_moment=is_key_moment,
        milestone_changes=milestone_changes or [],
    )
    entry.full_clean(exclude=["incident", "author", "removed_by"])
    entry._history_user = user  # type: ignore[attr-defined]
    entry.save()
    return entry


def system_entry(
    *,
    incident: Incident,
    actor: Any,
    body: str,
    occurred_at: datetime | None = None,
    milestone_changes: list[dict[str, Any]] | None = None,
) -> TimelineEntry:
    """Write a system entry (status, severity, role changes) at its own time, not pinned to the top.

    With `milestone_changes` (see `incidents.timeline.models.milestone_changes_text`) the entry is a
    "Milestones edited" row: `body` is ignored and its text is written from them in UTC, and every reader
    sees the instants in their own zone (`TimelineEntry.text_in`).

    Not a check of its own: the calling service authorized `actor` for the change this entry records.
    """
    if milestone_changes:
        body = milestone_changes_text(milestone_changes, UTC)
    return _insert(
        incident=incident,
        actor=actor,
        body=body,
        kind=EntryKind.STATUS_CHANGE,
        occurred_at=occurred_at,
        source=EntrySource.SYSTEM,
        milestone_changes=milestone_changes,
    )


def system_entry_move(
    *, entry: TimelineEntry, actor: Any, occurred_at: datetime | None, body: str | None = None
) -> TimelineEntry:
    """Move a system entry to `occurred_at` (aware), or remove it when `occurred_at` is None; with `body`,
    its text becomes `body` too (a row that said its time was automatic, moved by a person's edit). The
    incident service that edited the milestone it records keeps the two in agreement. Its history keeps
    the old time and text. Not a check of its own: the calling service authorized `actor` for the edit."""
    user = actor_user(actor)
    entry._history_user = user  # type: ignore[attr-defined]
    if occurred_at is None:
        entry.removed_at, entry.removed_by = timezone.now(), user
        entry.save(update_fields=["removed_at", "removed_by"])
    else:
        entry.occurred_at = occurred_at
        fields = ["occurred_at"]
        if body is not None and body != entry.body:
            entry.body = body
            fields.append("body")
        entry.save(update_fields=fields)
    return entry


def _locked(entry: TimelineEntry) -> TimelineEntry:
    return TimelineEntry.objects.select_for_update().get(pk=entry.pk)


class TimelineEntryConflict(ConflictError):
    """The entry changed since the editor opened it. `current` is the stored entry."""

    def __init__(self, current: TimelineEntry) -> None:
        super().__init__(current, "Someone else changed this entry while you were editing.")


@transaction.atomic
def timeline_entry_edit(
    *, entry: TimelineEntry, actor: Any, based_on: datetime | None = None, **changes: Any
) -> TimelineEntry:
    """Change some of `EDITABLE_FIELDS` of `entry`; the previous version stays in its history.

    With `based_on` (the entry's `updated_at` when the editor opened it), an entry changed since then
    raises TimelineEntryConflict and nothing is saved, so one person's edit never silently replaces another's.

    System entries (status, severity, role changes) keep their text, kind and time: only the evidence
    marker, "what we knew then" and the key-moment flag change. A removed entry must be restored first.
    Raises ValidationError keyed by field. Returns the saved entry (unchanged when nothing differs).
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({k: "This field cannot be edited." for k in sorted(unknown)})
    require_record(actor, entry.incident)
    current = _locked(entry)
    if based_on is not None and current.updated_at != based_on:
        raise TimelineEntryConflict(current)
    if current.removed_at is not None:
        raise ValidationError("This entry was removed; restore it before editing.")
    if current.source == EntrySource.SYSTEM:
        locked = sorted(
            k for k in set(changes) - set(SYSTEM_EDITABLE_FIELDS) if changes[k] != getattr(current, k)
        )
        if locked:
            raise ValidationError(
                {k: "Hindsight wrote this entry; its text, kind and time cannot be changed." for k in locked}
            )
    if changes.get("kind", current.kind) != current.kind:
        _refuse_system_kind(changes["kind"])
    if "body" in changes:
        changes["body"] = (changes["body"] or "").strip()
    if "knew_then" in changes:
        changes["knew_then"] = (changes["knew_then"] or "").strip()
    if "occurred_at" in changes and changes["occurred_at"] is None:
        raise ValidationError({"occurred_at": "Give the time it happened."})
    _validate(changes)
    changed = [k for k, v in changes.items() if getattr(current, k) != v]
    if not changed:
        return current
    for k in changed:
        setattr(current, k, changes[k])
    current.full_clean(exclude=["incident", "author", "removed_by"])
    current._history_user = actor_user(actor)  # type: ignore[attr-defined]
    current.save(update_fields=changed)
    return current


@transaction.atomic
def timeline_entry_remove(*, entry: TimelineEntry, actor: Any) -> TimelineEntry:
    """Soft-remove `entry`: it leaves the timeline for viewers, stays visible (struck out) to editors and
    in its history, and can be restored. System entries cannot be removed. Removing twice changes nothing.
    """
    require_record(actor, entry.incident)
    current = _locked(entry)
    if current.source == EntrySource.SYSTEM:
        raise ValidationError("Hindsight wrote this entry; it stays on the timeline.")
    if current.removed_at is not None:
        return current
    current.removed_at = timezone.now()
    current.removed_by = actor_user(actor)
    current._history_user = actor_user(actor)  # type: ignore[attr-defined]
    current.save(update_fields=["removed_at", "removed_by"])
    return current


@transaction.atomic
def timeline_entry_restore(*, entry: TimelineEntry, actor: Any) -> TimelineEntry:
    """Put a removed entry back on the timeline. Restoring an entry that is not removed changes nothing."""
    require_record(actor, entry.incident)
    current = _locked(entry)
    if current.removed_at is None:
        return current
    current.removed_at = None
    current.removed_by = None
    current._history_user = actor_user(actor)  # type: ignore[attr-defined]
    current.save(update_fields=["removed_at", "removed_by"])
    return current


@dataclass
class ImportRow:
    """One entry read from an import: `line` is its 1-based line (or message) number in the source."""

    line: int
    occurred_at: datetime
    author: str
    text: str
    duplicate: bool = False


class ImportRejected(ValidationError):
    """The import has bad lines; `problems` lists (line number, reason). Nothing was saved."""

    def __init__(self, problems: Sequence[tuple[int, str]]) -> None:
        self.problems = list(problems)
        super().__init__([f"Line {n}: {reason}" for n, reason in self.problems])


@transaction.atomic
def timeline_import(
    *,
    incident: Incident,
    actor: Any,
    rows: Iterable[ImportRow],
    problems: Sequence[tuple[int, str]] = (),
    skip_duplicates: bool = True,
) -> list[TimelineEntry]:
    """Import parsed rows as entries (source `import`), all or nothing.

    `problems` are the parser's bad lines: when there are any, ImportRejected is raised and nothing is
    saved. Rows flagged `duplicate` (same minute and text as an existing entry, see
    `selectors.timeline_flag_duplicates`) are skipped unless `skip_duplicates` is False. Each entry keeps
    the name from the source in `author_name`. Returns the created entries in (occurred_at, line) order.
    """
    require_record(actor, incident)
    rows = list(rows)
    if problems:
        raise ImportRejected(problems)
    bad = []
    for row in rows:
        if timezone.is_naive(row.occurred_at):
            bad.append((row.line, "the time has no time zone"))
        elif reason := implausible_time(row.occurred_at):
            bad.append((row.line, reason[0].lower() + reason[1:].rstrip(".")))
        elif not row.text.strip():
            bad.append((row.line, "no text"))
        elif len(row.text) > MAX_BODY_CHARS:
            bad.append((row.line, f"longer than {MAX_BODY_CHARS:,} characters"))
    if bad:
        raise ImportRejected(bad)
    if not rows:
        raise ValidationError("There is nothing to import.")
    user = actor_user(actor)
    now = timezone.now()
    entries = [
        TimelineEntry(
            incident=incident,
            occurred_at=row.occurred_at,
            recorded_at=now,
            updated_at=now,
            author=None,
            author_name=row.author[:150],
            kind=EntryKind.NOTE,
            body=row.text.strip(),
            body_html=str(render_markdown(row.text.strip())),
            source=EntrySource.IMPORT,
        )
        for row in sorted(rows, key=lambda r: (r.occurred_at, r.line))
        if not (skip_duplicates and row.duplicate)
    ]
    created = bulk_create_with_history(entries, TimelineEntry, batch_size=500, default_user=user)
    if created and created[0].pk is None:  # backends that return no primary keys
        created = list(
            TimelineEntry.objects.filter(incident=incident, source=EntrySource.IMPORT, recorded_at=now)
        )
    return created
