"""The rows of the action-item CSV, streamed: plain value tuples from the database, no model per row.

An item's incident and finding are named only when the viewer may see them (`incident_visible`,
`finding_visible`): the owner of an item from a hidden finding gets an empty `finding_id`.

The same rows and cells as building each `ActionItem` and reading its properties (`is_overdue`,
`breaches_target`, the display labels), computed from `values_list(...).iterator()`: labels are looked up
once, each owner zone's today once, so 100,000 items take one query and constant memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from incidents.followup import selectors as sel
from incidents.models import OPEN_ITEM_STATUSES, ActionItemStatus, ActionItemType, RecheckOutcome

ITEM_CSV_HEADER = (
    "id", "title", "status", "priority", "type", "owner", "owner_email", "team", "due_date", "overdue",
    "breaches_target", "incident", "incident_title", "finding_id", "description", "completion_note",
    "wont_do_reason", "blocked_on", "success_criteria", "recheck_date", "recheck_outcome",
    "did_not_prevent_recurrence", "tracker_url", "created_at", "completed_at", "version",
)  # fmt: skip

_COLUMNS = (
    "id", "title", "status", "priority", "type", "owner_id", "owner__display_name", "owner__email",
    "owner__time_zone", "team__name", "due_date", "incident_id", "incident__number", "incident__title",
    "incident_visible", "finding_id", "finding_visible", "description", "completion_note", "wont_do_reason",
    "blocked_on", "success_criteria", "recheck_date", "recheck_outcome", "did_not_prevent_recurrence", "tracker_url",
    "created_at", "completed_at", "version",
)  # fmt: skip

#: Rows fetched from the database at a time (a server-side cursor on PostgreSQL).
CHUNK = 2000


def action_item_export_for(user: Any, **filters: Any) -> tuple[int, Iterator[tuple[Any, ...]]]:
    """(how many rows, the rows, lazily) of the action-item CSV: what `sel.export_items_for(user,
    **filters)` lists, in its order, one tuple of `ITEM_CSV_HEADER`'s cells per item. Two queries (the
    count, then the rows in chunks of `CHUNK`), whatever the number of items."""
    items = sel.export_items_for(user, **filters)
    return items.count(), _rows(items.values_list(*_COLUMNS))


def _rows(values: Any) -> Iterator[tuple[Any, ...]]:
    statuses = dict(ActionItemStatus.choices)
    types = dict(ActionItemType.choices)
    outcomes = dict(RecheckOutcome.choices)
    target_days = settings.ACTION_ITEM_DUE_TARGET_DAYS
    open_statuses = set(OPEN_ITEM_STATUSES)
    now = timezone.now()
    zones: dict[str | None, Any] = {None: dt.UTC}
    todays: dict[str | None, dt.date] = {None: now.date()}
    for (
        pk, title, status, priority, kind, owner_id, display_name, email, time_zone, team, due, incident_id,
        number, incident_title, incident_visible, finding_id, finding_visible, description, completion_note,
        wont_do_reason,
        blocked_on, success_criteria, recheck_date, recheck_outcome, did_not_prevent_recurrence, tracker_url,
        created_at, completed_at, version,
    ) in values.iterator(chunk_size=CHUNK):  # fmt: skip
        zone_name = time_zone if owner_id else None
        if zone_name not in zones:
            zones[zone_name] = User(time_zone=time_zone).tzinfo  # an unknown zone falls back to UTC
            todays[zone_name] = now.astimezone(zones[zone_name]).date()
        today = todays[zone_name]
        is_open = status in open_statuses
        target = created_at.astimezone(zones[zone_name]).date() + dt.timedelta(
            days=target_days.get(priority, 30)
        )
        breaches = bool(due and due > target) or (is_open and today > target)
        shown = bool(incident_id and incident_visible)
        yield (
            pk, title, statuses.get(status, status), priority, types.get(kind, kind),
            (display_name or email.split("@")[0]) if owner_id else "", email if owner_id else "",
            team or "", due, bool(is_open and due and today > due), breaches,
            f"INC-{number}" if shown else "", incident_title if shown else "",
            finding_id if finding_visible else "", description, completion_note, wont_do_reason, blocked_on,
            success_criteria,
            recheck_date, outcomes.get(recheck_outcome, recheck_outcome), did_not_prevent_recurrence,
            tracker_url, created_at, completed_at, version,
        )  # fmt: skip
