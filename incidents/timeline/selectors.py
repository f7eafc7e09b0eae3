from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from incidents.markdown import render_markdown
from incidents.models import Incident, TimelineEntry
from incidents.permissions.incident import can_view_incident
from incidents.timeline.models import milestone_changes_text


def incident_for_timeline(user: Any, number: int) -> Incident:
    """The incident `INC-number` without its joins (one query), for the timeline's partials and live poll,
    which every open page calls every two seconds. Raises Http404 when `user` may not see it."""
    incident = Incident.objects.filter(number=number).first()
    if incident is None or not can_view_incident(user, incident):
        raise Http404("No such incident.")
    return incident


def bare_clock_span(incident: Incident) -> tuple[datetime, datetime] | None:
    """The span a bare clock time typed in quick add is read on (`incidents.timeparse`'s `bare_clock`):
    a resolved incident's start and resolution (UTC-aware), so `14:05` typed while backfilling one lands
    on the incident's day, not today's; None for an active incident (its bare times are today's)."""
    if incident.is_active or incident.resolved_at is None:
        return None
    return incident.started_at, incident.resolved_at


# --- Timeline: the incident page's window, older pages, the live cursor, duplicates -----------------------

TIMELINE_WINDOW = 50  # entries on the incident page (a screenful or two); older ones load on demand
LIVE_BATCH = 200  # most changes one live poll returns
# A live poll re-sends what changed in the last LIVE_SETTLE so that a transaction that committed after a
# later one (both stamped before commit) is never skipped by the cursor.
LIVE_SETTLE = timedelta(seconds=10)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LAST_MICROS = (datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True)
class TimelineCursor:
    """Position in the change feed: entries whose (`updated_at`, id) sort after it changed since."""

    updated_at: datetime
    entry_id: int

    def encode(self) -> str:
        """`<microseconds since the epoch>.<id>`, safe in a URL."""
        micros = (self.updated_at - EPOCH) // timedelta(microseconds=1)  # exact, unlike float seconds
        return f"{max(micros, 0)}.{self.entry_id}"

    @classmethod
    def decode(cls, text: str) -> TimelineCursor:
        """Parse `encode()`'s output (ASCII digits, a time up to year 9999); ValueError for anything else."""
        micros, _, entry_id = (text or "").partition(".")
        digits = micros.isascii() and micros.isdigit() and entry_id.isascii() and entry_id.isdigit()
        if not digits or len(micros) > 18 or len(entry_id) > 18 or int(micros) > LAST_MICROS:
            raise ValueError(f"not a timeline cursor: {text!r}")
        return cls(EPOCH + timedelta(microseconds=int(micros)), int(entry_id))

    @classmethod
    def of(cls, entry: TimelineEntry | TimelineRow) -> TimelineCursor:
        return cls(entry.updated_at, entry.pk)

    @classmethod
    def start(cls, now: datetime | None = None) -> TimelineCursor:
        """The cursor a freshly rendered page polls from: LIVE_SETTLE before now."""
        return cls((now or timezone.now()) - LIVE_SETTLE, 0)


def timeline_filter(
    qs: QuerySet[TimelineEntry], *, kind: str = "", marker: str = "", include_removed: bool = False
) -> QuerySet[TimelineEntry]:
    """Narrow entries by kind and evidence marker (`key_moment` also matches the key-moment highlight)."""
    if not include_removed:
        qs = qs.filter(removed_at__isnull=True)
    if kind:
        qs = qs.filter(kind=kind)
    if marker == "key_moment":
        qs = qs.filter(Q(evidence=marker) | Q(is_key_moment=True))
    elif marker:
        qs = qs.filter(evidence=marker)
    return qs


def entry_matches(
    entry: TimelineEntry | TimelineRow, *, kind: str = "", marker: str = "", include_removed: bool
) -> bool:
    """The Python twin of `timeline_filter` for one entry (used by the live feed)."""
    if entry.removed_at is not None and not include_removed:
        return False
    if kind and entry.kind != kind:
        return False
    if marker == "key_moment":
        return entry.evidence == marker or entry.is_key_moment
    return not marker or entry.evidence == marker


_ROW_FIELDS = (
    "id", "occurred_at", "recorded_at", "updated_at", "kind", "body_html", "source", "evidence", "knew_then",
    "is_key_moment", "removed_at", "author_id", "author_name", "author__display_name", "author__email",
    "removed_by__display_name", "removed_by__email", "milestone_changes",
)  # fmt: skip


@dataclass(slots=True)
class TimelineRow:
    """What the timeline shows of one entry, read with `values()` (model instances cost ~5x more to build).

    `author_display` follows `TimelineEntry.display_author`; `removed_by_name` is empty when not removed.
    """

    pk: int
    occurred_at: datetime
    recorded_at: datetime
    updated_at: datetime
    kind: str
    body_html: str
    source: str
    evidence: str
    knew_then: str
    is_key_moment: bool
    removed_at: datetime | None
    author_display: str
    removed_by_name: str
    milestone_changes: list[dict[str, Any]]

    @property
    def sort_micros(self) -> int:
        return int(self.occurred_at.timestamp() * 1_000_000)

    def html_in(self, zone: tzinfo | None = None) -> str:
        """The body as a reader in `zone` reads it (`TimelineEntry.html_in`)."""
        if self.milestone_changes:
            return str(render_markdown(milestone_changes_text(self.milestone_changes, zone)))
        return self.body_html

    @property
    def was_edited(self) -> bool:
        return self.updated_at - self.recorded_at > timedelta(seconds=2)

    @classmethod
    def from_values(cls, v: dict[str, Any]) -> TimelineRow:
        if v["author_id"]:
            author = v["author__display_name"] or v["author__email"] or ""
        else:
            author = v["author_name"] or "Hindsight"
        return cls(
            pk=v["id"],
            occurred_at=v["occurred_at"],
            recorded_at=v["recorded_at"],
            updated_at=v["updated_at"],
            kind=v["kind"],
            body_html=v["body_html"],
            source=v["source"],
            evidence=v["evidence"],
            knew_then=v["knew_then"],
            is_key_moment=v["is_key_moment"],
            removed_at=v["removed_at"],
            author_display=author,
            removed_by_name=(v["removed_by__display_name"] or v["removed_by__email"] or "")
            if v["removed_at"]
            else "",
            milestone_changes=v["milestone_changes"] or [],
        )

    @classmethod
    def from_entry(cls, e: TimelineEntry) -> TimelineRow:
        removed_by = e.removed_by if e.removed_at and e.removed_by_id else None
        return cls(
            pk=e.pk,
            occurred_at=e.occurred_at,
            recorded_at=e.recorded_at,
            updated_at=e.updated_at,
            kind=e.kind,
            body_html=e.body_html,
            source=e.source,
            evidence=e.evidence,
            knew_then=e.knew_then,
            is_key_moment=e.is_key_moment,
            removed_at=e.removed_at,
            author_display=e.display_author,
            removed_by_name=str(removed_by) if removed_by else "",
            milestone_changes=e.milestone_changes or [],
        )


def _rows(qs: QuerySet[TimelineEntry]) -> list[TimelineRow]:
    return [TimelineRow.from_values(v) for v in qs.values(*_ROW_FIELDS)]


@dataclass
class TimelineWindow:
    """The newest `limit` matching entries in (occurred_at, id) order, and whether older ones exist."""

    entries: list[TimelineRow]
    has_older: bool
    total: int | None = None

    @property
    def older_key(self) -> str:
        """`<micros>.<id>` of the oldest entry shown: where "load older" continues from."""
        if not self.entries:
            return ""
        first = self.entries[0]
        return f"{int(first.occurred_at.timestamp() * 1_000_000)}.{first.pk}"


def timeline_window(
    incident: Incident,
    *,
    kind: str = "",
    marker: str = "",
    include_removed: bool = False,
    before: tuple[datetime, int] | None = None,
    limit: int = TIMELINE_WINDOW,
    with_total: bool = False,
) -> TimelineWindow:
    """The most recent `limit` entries (before `(occurred_at, id)` when given), oldest first.

    Query count does not depend on how many entries the incident has: one query for the window, plus
    one count when `with_total`.
    """
    qs = timeline_filter(
        TimelineEntry.objects.filter(incident=incident),
        kind=kind,
        marker=marker,
        include_removed=include_removed,
    )
    total = qs.count() if with_total else None
    if before is not None:
        at, entry_id = before
        qs = qs.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, id__lt=entry_id))
    rows = _rows(qs.order_by("-occurred_at", "-id")[: limit + 1])
    has_older = len(rows) > limit
    rows = rows[:limit]
    rows.reverse()
    return TimelineWindow(entries=rows, has_older=has_older, total=total)


def _feed_after(qs: QuerySet[TimelineEntry], cursor: TimelineCursor) -> QuerySet[TimelineEntry]:
    return qs.filter(
        Q(updated_at__gt=cursor.updated_at) | Q(updated_at=cursor.updated_at, id__gt=cursor.entry_id)
    ).order_by("updated_at", "id")


def _feed_next(rows: list[Any], cursor: TimelineCursor, now: datetime | None, limit: int) -> TimelineCursor:
    """Where the next poll starts: after the last row, but never past `now - LIVE_SETTLE` (and never back)."""
    if not rows:
        return cursor
    last = TimelineCursor.of(rows[-1])
    if len(rows) == limit:
        return last
    settle = TimelineCursor.start(now)
    nxt = min((last, settle), key=lambda c: (c.updated_at, c.entry_id))
    if (nxt.updated_at, nxt.entry_id) < (cursor.updated_at, cursor.entry_id):
        nxt = cursor
    return nxt


def timeline_changes_since(
    incident: Incident, cursor: TimelineCursor, *, now: datetime | None = None, limit: int = LIVE_BATCH
) -> tuple[list[TimelineRow], TimelineCursor]:
    """Entries of `incident` added, edited, removed or restored after `cursor`, and the next cursor.

    Ordered by (updated_at, id); at most `limit`. Removed entries are included (callers decide whether
    to show or drop them). The next cursor never moves past `now - LIVE_SETTLE`, so changes stamped just
    before a slower concurrent commit are sent again rather than missed; callers replace entries by id.
    """
    rows = _rows(_feed_after(TimelineEntry.objects.filter(incident=incident), cursor)[:limit])
    return rows, _feed_next(rows, cursor, now, limit)


def timeline_feed(
    entries: QuerySet[TimelineEntry],
    cursor: TimelineCursor,
    *,
    now: datetime | None = None,
    limit: int = LIVE_BATCH,
) -> tuple[list[TimelineEntry], TimelineCursor]:
    """The API's `?since=` feed: `timeline_changes_since` over any scoped queryset of entries (model
    instances, for the serializer), with the same (updated_at, id) order, settle margin and next cursor."""
    rows = list(_feed_after(entries, cursor)[:limit])
    return rows, _feed_next(rows, cursor, now, limit)


def timeline_duplicate_of(entry: TimelineEntry) -> TimelineEntry | None:
    """The earliest other live entry of the same incident with the same minute and the same text (blanks
    collapsed) as `entry`, from any source (web, API, import, chat), or None. One query."""
    minute = entry.occurred_at.astimezone(UTC).replace(second=0, microsecond=0)
    text = " ".join(entry.body.split())
    candidates = (
        TimelineEntry.objects.filter(
            incident_id=entry.incident_id,
            removed_at__isnull=True,
            occurred_at__gte=minute,
            occurred_at__lt=minute + timedelta(minutes=1),
        )
        .exclude(pk=entry.pk)
        .select_related("author")
        .order_by("occurred_at", "id")
    )
    return next((c for c in candidates if " ".join(c.body.split()) == text), None)


def timeline_flag_duplicates(incident: Incident, rows: list[Any]) -> int:
    """Mark import rows (`occurred_at`, `text`, `duplicate`) that repeat an entry of `incident` or an
    earlier row: same minute and same text (blanks collapsed). Returns how many were flagged. One query.
    """

    def key(when: datetime, text: str) -> tuple[datetime, str]:
        return (when.astimezone(UTC).replace(second=0, microsecond=0), " ".join(text.split()))

    if not rows:
        return 0
    low = min(r.occurred_at for r in rows).replace(second=0, microsecond=0)
    high = max(r.occurred_at for r in rows) + timedelta(minutes=1)
    seen = {
        key(at, body)
        for at, body in TimelineEntry.objects.filter(
            incident=incident, removed_at__isnull=True, occurred_at__gte=low, occurred_at__lt=high
        ).values_list("occurred_at", "body")
    }
    flagged = 0
    for row in rows:
        k = key(row.occurred_at, row.text)
        row.duplicate = k in seen
        flagged += row.duplicate
        seen.add(k)
    return flagged


# The edit form's fields, as the three-way merge compares them (`when`: the time as the form shows it).
ENTRY_FORM_FIELDS = ("body", "kind", "when", "evidence", "knew_then", "is_key_moment")
SYSTEM_ENTRY_FORM_FIELDS = ("evidence", "knew_then", "is_key_moment")


def entry_form_values(entry: Any, zone: tzinfo) -> dict[str, Any]:
    """The edit form's values for `entry` (a TimelineEntry or one of its history records): the stored
    fields, with `when` the time in `zone` to the second with its offset, as the form shows it."""
    return {
        "body": entry.body,
        "kind": entry.kind,
        "when": entry.occurred_at.astimezone(zone).isoformat(timespec="seconds"),
        "evidence": entry.evidence,
        "knew_then": entry.knew_then,
        "is_key_moment": entry.is_key_moment,
    }


def entry_values_at(entry: TimelineEntry, based_on: datetime, zone: tzinfo) -> dict[str, Any]:
    """The edit form's values of `entry` as they were when its `updated_at` was `based_on` (from its
    history; see `entry_form_values`); empty when that version is not kept (an entry imported in bulk)."""
    if entry.updated_at == based_on:
        return entry_form_values(entry, zone)
    record = entry.history.filter(updated_at=based_on).order_by("-history_id").first()
    return entry_form_values(record, zone) if record is not None else {}
