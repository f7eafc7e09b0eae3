"""The change history of a row (an incident, a postmortem, an action item, a policy finding), as people read it.

History comes from django-simple-history (`history = HistoricalRecords()` on every domain model), which
stores a full row snapshot per save with the user and the change reason; `diff_against` compares two
snapshots. This is the one reader of it: the audit area's history pages and the action item and policy
finding pages show what `history_for` returns. Callers check permission first (`incidents.permissions`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models

from incidents.permissions.incident import incidents_visible_to
from incidents.timefmt import format_time as local_time
from incidents.timefmt import format_times

# Bookkeeping columns that change on every save and say nothing to a reader.
HIDDEN_FIELDS = {"version", "updated_at", "body_html", "search_vector"}
# A value longer than this, or with a line break, is shown as a line diff instead of "old → new".
LONG_TEXT = 80


@dataclass
class FieldChange:
    """One field's change: `label`, `old` and `new` as display strings, or `diff` lines for long text."""

    name: str
    label: str
    old: str
    new: str
    diff: list[str] = field(default_factory=list)


@dataclass
class HistoryRecord:
    """One saved change: who (display name or "Hindsight"), when (UTC-aware), what kind, why, and the changes."""

    when: datetime
    who: str
    kind: str  # "created", "changed", "deleted"
    reason: str
    changes: list[FieldChange]
    # A policy finding's "Seen again" row: "INC-n" when the reader may see that incident, else
    # "an incident you cannot see" (its `seen_in_incident` marker); "" on every other row.
    seen_in: str = ""


HIDDEN_INCIDENT = "an incident you cannot see"


def _display(value: Any, f: models.Field | None, users: dict[int, str]) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return local_time(value)
    if isinstance(f, models.ForeignKey) and f.related_model is get_user_model():
        return users.get(value, f"user {value}")
    if isinstance(f, models.ForeignKey):
        return f"{f.related_model._meta.verbose_name} {value}"
    if f is not None and f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, dict):
        return "\n".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _line_diff(old: str, new: str) -> list[str]:
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1)
    return [line for line in lines if not line.startswith(("---", "+++"))]


def _seen_in(records: list[Any], viewer: Any) -> dict[int, str]:
    """Incident id -> what `viewer` reads for the `seen_in_incident` markers of `records` (one query)."""
    ids = {pk for r in records if (pk := getattr(r, "seen_in_incident_id", None)) is not None}
    if not ids:
        return {}
    shown = (
        {}
        if viewer is None
        else dict(incidents_visible_to(viewer).filter(pk__in=ids).values_list("pk", "number"))
    )
    return {pk: f"INC-{shown[pk]}" if pk in shown else HIDDEN_INCIDENT for pk in ids}


def history_for(obj: models.Model, *, limit: int = 200, viewer: Any = None) -> list[HistoryRecord]:
    """The newest `limit` saved changes of `obj`, newest first, each with its field-by-field diff.

    Field values are shown as the reader would see them (choice labels, user names). JSON fields such as the
    postmortem's sections are shown key by key. A row marking an incident (`seen_in_incident`, a policy
    finding seen again) names it only when `viewer` may see it (`HIDDEN_INCIDENT` otherwise, and without a
    viewer). Three queries whatever the number of records (four with such rows).
    """
    history = obj.history  # type: ignore[attr-defined]  # simple-history adds the manager; it has no stubs
    records = list(
        history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1]
    )
    model = type(obj)
    fields = {f.name: f for f in model._meta.concrete_fields}
    user_fk = [
        n
        for n, f in fields.items()
        if isinstance(f, models.ForeignKey) and f.related_model is get_user_model()
    ]
    user_ids = {pk for r in records for n in user_fk if (pk := getattr(r, f"{n}_id", None)) is not None}
    users = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=user_ids)}
    seen_in = _seen_in(records[:limit], viewer)
    result: list[HistoryRecord] = []
    for i, record in enumerate(records[:limit]):
        previous = records[i + 1] if i + 1 < len(records) else None
        changes: list[FieldChange] = []
        kind = {"+": "created", "~": "changed", "-": "deleted"}.get(record.history_type, "changed")
        if previous is not None and record.history_type != "+":
            delta = record.diff_against(previous, foreign_keys_are_objs=False)
            for change in delta.changes:
                if change.field in HIDDEN_FIELDS:
                    continue
                f = fields.get(change.field)
                old = _display(change.old, f, users)
                new = _display(change.new, f, users)
                if isinstance(change.old, datetime) and isinstance(change.new, datetime):
                    old, new = format_times(change.old, change.new)  # a move within a minute shows seconds
                diff = (
                    _line_diff(old, new) if max(len(old), len(new)) > LONG_TEXT or "\n" in old + new else []
                )
                label = str(f.verbose_name).capitalize() if f is not None else change.field
                changes.append(FieldChange(change.field, label, old, new, diff))
            if not changes and not record.history_change_reason:
                continue
        user = record.history_user
        result.append(
            HistoryRecord(
                when=record.history_date,
                who=str(user) if user is not None else "Hindsight",
                kind=kind,
                reason=record.history_change_reason or "",
                changes=changes,
                seen_in=seen_in.get(getattr(record, "seen_in_incident_id", None) or 0, ""),
            )
        )
    return result
