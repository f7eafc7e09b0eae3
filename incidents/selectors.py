"""Reads shared by pages, the API and exports, with their joins and the permission scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.permissions import can_view_incident, incidents_visible_to
from incidents.models import ACTIVE_STATUSES, Incident, Service, TimelineEntry


def incident_list_for(
    user: Any,
    *,
    status: str | list[str] | None = None,
    severity: str | None = None,
    service: str | None = None,
    started_from: date | None = None,
    started_to: date | None = None,
) -> QuerySet[Incident]:
    """Incidents `user` may see, newest first, with what the list shows joined in (flat query count).

    Date bounds are the viewer's local dates, half-open: `[started_from 00:00, started_to + 1 day 00:00)`.
    """
    qs = (
        incidents_visible_to(user)
        .select_related("commander")
        .prefetch_related(Prefetch("services", queryset=Service.objects.only("id", "name", "slug")))
    )
    if status:
        qs = qs.filter(status__in=[status] if isinstance(status, str) else status)
    if severity:
        qs = qs.filter(severity=severity)
    if service:
        qs = qs.filter(services__slug=service)
    zone = timezone.get_current_timezone()
    if started_from:
        qs = qs.filter(started_at__gte=datetime.combine(started_from, time.min, tzinfo=zone))
    if started_to:
        from datetime import timedelta

        qs = qs.filter(started_at__lt=datetime.combine(started_to + timedelta(days=1), time.min, tzinfo=zone))
    return qs.order_by("-started_at", "-id")


def active_incidents_for(user: Any) -> QuerySet[Incident]:
    return incident_list_for(user, status=list(ACTIVE_STATUSES))


def incident_get_for(user: Any, number: int) -> Incident:
    """The incident `INC-number` if `user` may see it; raises Http404 otherwise (never 403).

    A signed-in user asking for an incident that exists but is hidden from them is recorded as a denied-access
    security event (the response is the same 404 as for a number that does not exist).
    """
    incident = (
        Incident.objects.select_related("commander", "communications_lead", "scribe", "declared_by")
        .prefetch_related("services")
        .filter(number=number)
        .first()
    )
    if incident is None:
        raise Http404("No such incident.")
    if not can_view_incident(user, incident):
        if getattr(user, "is_authenticated", False):
            from accounts.models import SecurityEvent
            from accounts.security import security_event_record

            security_event_record(
                kind=SecurityEvent.Kind.ACCESS_DENIED, actor=user, target=incident.reference
            )
        raise Http404("No such incident.")
    return incident


def timeline_for(incident: Incident, *, include_removed: bool = False) -> QuerySet[TimelineEntry]:
    """The incident's timeline ordered by (occurred_at, id), authors joined."""
    qs = TimelineEntry.objects.filter(incident=incident).select_related("author")
    if not include_removed:
        qs = qs.filter(removed_at__isnull=True)
    return qs.order_by("occurred_at", "id")


def incident_for_timeline(user: Any, number: int) -> Incident:
    """The incident `INC-number` without its joins (one query), for the timeline's partials and live poll,
    which every open page calls every two seconds. Raises Http404 when `user` may not see it."""
    incident = Incident.objects.filter(number=number).first()
    if incident is None or not can_view_incident(user, incident):
        raise Http404("No such incident.")
    return incident


# --- Timeline: the incident page's window, older pages, the live cursor, duplicates -----------------------

TIMELINE_WINDOW = 50  # entries on the incident page (a screenful or two); older ones load on demand
LIVE_BATCH = 200  # most changes one live poll returns
# A live poll re-sends what changed in the last LIVE_SETTLE so that a transaction that committed after a
# later one (both stamped before commit) is never skipped by the cursor.
LIVE_SETTLE = timedelta(seconds=10)


@dataclass(frozen=True)
class TimelineCursor:
    """Position in the change feed: entries whose (`updated_at`, id) sort after it changed since."""

    updated_at: datetime
    entry_id: int

    def encode(self) -> str:
        """`<microseconds since the epoch>.<id>`, safe in a URL."""
        micros = int(self.updated_at.timestamp() * 1_000_000)
        return f"{micros}.{self.entry_id}"

    @classmethod
    def decode(cls, text: str) -> TimelineCursor:
        """Parse `encode()`'s output; raises ValueError for anything else."""
        micros, _, entry_id = (text or "").partition(".")
        if not micros.isdigit() or not entry_id.isdigit():
            raise ValueError(f"not a timeline cursor: {text!r}")
        when = datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC)
        return cls(when, int(entry_id))

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
    "removed_by__display_name", "removed_by__email",
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

    @property
    def sort_micros(self) -> int:
        return int(self.occurred_at.timestamp() * 1_000_000)

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


def timeline_changes_since(
    incident: Incident, cursor: TimelineCursor, *, now: datetime | None = None, limit: int = LIVE_BATCH
) -> tuple[list[TimelineRow], TimelineCursor]:
    """Entries of `incident` added, edited, removed or restored after `cursor`, and the next cursor.

    Ordered by (updated_at, id); at most `limit`. Removed entries are included (callers decide whether
    to show or drop them). The next cursor never moves past `now - LIVE_SETTLE`, so changes stamped just
    before a slower concurrent commit are sent again rather than missed; callers replace entries by id.
    """
    qs = (
        TimelineEntry.objects.filter(incident=incident)
        .filter(Q(updated_at__gt=cursor.updated_at) | Q(updated_at=cursor.updated_at, id__gt=cursor.entry_id))
        .order_by("updated_at", "id")
    )
    rows = _rows(qs[:limit])
    if not rows:
        return rows, cursor
    last = TimelineCursor.of(rows[-1])
    if len(rows) == limit:
        return rows, last
    settle = TimelineCursor.start(now)
    nxt = min((last, settle), key=lambda c: (c.updated_at, c.entry_id))
    if (nxt.updated_at, nxt.entry_id) < (cursor.updated_at, cursor.entry_id):
        nxt = cursor
    return rows, nxt


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


# --- Reminders and digests (read by incidents/services/reminders.py and digest.py) ----------------------


def reminder_action_item_queryset(*, due_on_or_before: date, after_id: int = 0) -> QuerySet:
    """The query behind `reminder_action_item_rows` (exposed so the benchmark can EXPLAIN it)."""
    from incidents.models import OPEN_ITEM_STATUSES, ActionItem

    return (
        ActionItem.objects.filter(
            status__in=OPEN_ITEM_STATUSES,
            due_date__lte=due_on_or_before,
            owner__isnull=False,
            owner__is_active=True,
            id__gt=after_id,
        )
        .filter(Q(incident__isnull=True) | Q(incident__deleted_at__isnull=True))
        .order_by("id")
        .values(
            "id",
            "due_date",
            "owner_id",
            "owner__email",
            "owner__time_zone",
            "team_id",
            "incident__commander_id",
            "incident__commander__email",
            "incident__commander__is_active",
        )
    )


def reminder_action_item_rows(*, due_on_or_before: date, after_id: int = 0, limit: int = 2000) -> list[dict]:
    """Open action items with an active owner and a due date on or before `due_on_or_before`, as dicts
    (id, due_date, owner_id, owner__email, owner__time_zone, team_id, incident__commander_id,
    incident__commander__email), ordered by id, `limit` rows after `after_id` (keyset pages).
    Uses the (status, due_date) index."""
    return list(reminder_action_item_queryset(due_on_or_before=due_on_or_before, after_id=after_id)[:limit])


def recheck_action_item_rows(*, recheck_on_or_before: date) -> list[dict]:
    """Done action items (not of a deleted incident) whose re-check date is on or before the date, unconfirmed."""
    from incidents.models import ActionItem, ActionItemStatus

    return list(
        ActionItem.objects.filter(
            status=ActionItemStatus.DONE,
            recheck_date__lte=recheck_on_or_before,
            recheck_confirmed_at__isnull=True,
            owner__isnull=False,
            owner__is_active=True,
        )
        # Reminders stop for items of a soft-deleted incident.
        .filter(Q(incident__isnull=True) | Q(incident__deleted_at__isnull=True))
        .values("id", "recheck_date", "owner_id", "owner__email", "owner__time_zone")
    )


def reminder_finding_rows(*, due_on_or_before: date) -> list[dict]:
    """Open or remediating policy findings with an active owner and a due date on or before the date."""
    from incidents.models import FindingStatus, PolicyFinding

    return list(
        PolicyFinding.objects.filter(
            status__in=[FindingStatus.OPEN, FindingStatus.REMEDIATING],
            due_date__lte=due_on_or_before,
            owner__isnull=False,
            owner__is_active=True,
        ).values("id", "due_date", "owner_id", "owner__email", "owner__time_zone")
    )


def expiring_acceptance_rows(*, until_on_or_before: date) -> list[dict]:
    """Risk-accepted policy findings whose acceptance ends on or before the date."""
    from incidents.models import FindingStatus, PolicyFinding

    return list(
        PolicyFinding.objects.filter(
            status=FindingStatus.RISK_ACCEPTED,
            risk_accepted_until__lte=until_on_or_before,
            owner__isnull=False,
            owner__is_active=True,
        ).values("id", "risk_accepted_until", "owner_id", "owner__email", "owner__time_zone")
    )


def unpublished_postmortem_rows(*, resolved_before: datetime, resolved_after: datetime) -> list[dict]:
    """Resolved (not closed, not deleted) incidents with a commander whose postmortem is not published,
    resolved in [resolved_after, resolved_before)."""
    from incidents.models import Incident, IncidentStatus, PostmortemStatus

    return list(
        Incident.objects.filter(
            resolved_at__lt=resolved_before,
            resolved_at__gte=resolved_after,
            deleted_at__isnull=True,
            commander__isnull=False,
            commander__is_active=True,
        )
        .exclude(status=IncidentStatus.CLOSED)
        .exclude(postmortem__status=PostmortemStatus.PUBLISHED)
        .values("id", "resolved_at", "commander_id", "commander__email", "commander__time_zone")
    )


def team_leads_by_team(team_ids: set[int] | None = None) -> dict[int, list[tuple[int, str]]]:
    """{team id: [(user id, email), ...]} of active team leads, in one query."""
    from accounts.models import Membership

    qs = Membership.objects.filter(role=Membership.Role.LEAD, user__is_active=True)
    if team_ids is not None:
        qs = qs.filter(team_id__in=team_ids)
    leads: dict[int, list[tuple[int, str]]] = {}
    for team_id, user_id, email in qs.values_list("team_id", "user_id", "user__email").order_by("user_id"):
        leads.setdefault(team_id, []).append((user_id, email))
    return leads


def digest_due_user_rows(*, time_zone: str, weekday: int, hour: int) -> list[dict]:
    """Active users with the digest on, in `time_zone`, whose digest weekday is `weekday` and whose
    digest hour is at or before `hour` (so a skipped daylight-saving hour still sends)."""
    from accounts.models import User

    return list(
        User.objects.filter(
            is_active=True,
            digest_enabled=True,
            time_zone=time_zone,
            digest_weekday=weekday,
            digest_hour__lte=hour,
        ).values("id", "email")
    )


def digest_time_zones() -> list[str]:
    """The distinct time zones of users who receive a digest."""
    from accounts.models import User

    return list(
        User.objects.filter(is_active=True, digest_enabled=True)
        .values_list("time_zone", flat=True)
        .distinct()
        .order_by("time_zone")
    )


def digest_content_for(user: Any, *, today: date, window_start: datetime, window_end: datetime) -> dict:
    """What the weekly digest shows `user`, every list scoped by accounts/permissions.py at call time.

    `today` is the user's local date; the week runs to the Sunday after it. `[window_start, window_end)`
    is the previous local week in UTC-aware datetimes. Returns lists: overdue, due_this_week, findings,
    to_verify_items, to_verify_findings, reviews, incidents. A constant number of queries per user.
    """
    from accounts.permissions import action_items_visible_to, findings_visible_to
    from incidents.models import (
        OPEN_FINDING_STATUSES,
        OPEN_ITEM_STATUSES,
        ActionItemStatus,
        FindingStatus,
        PostmortemReview,
        PostmortemStatus,
        ReviewDecision,
    )

    week_end = today + timedelta(days=6 - today.weekday())
    items = list(
        action_items_visible_to(user)
        .filter(owner=user)
        .filter(
            Q(status__in=OPEN_ITEM_STATUSES, due_date__lte=week_end)
            | Q(status=ActionItemStatus.DONE, recheck_date__lte=today, recheck_confirmed_at__isnull=True)
        )
        .select_related("incident")
        .order_by("due_date", "id")
    )
    overdue = [i for i in items if i.status in OPEN_ITEM_STATUSES and i.due_date < today]
    due_this_week = [i for i in items if i.status in OPEN_ITEM_STATUSES and i.due_date >= today]
    to_verify_items = [i for i in items if i.status == ActionItemStatus.DONE]
    findings = list(
        findings_visible_to(user)
        .filter(owner=user, status__in=[*OPEN_FINDING_STATUSES, FindingStatus.RISK_ACCEPTED])
        .order_by("due_date", "id")
    )
    memberships = list(user.memberships.all())
    team_ids = [m.team_id for m in memberships]
    lead_team_ids = [m.team_id for m in memberships if m.role == "lead"]
    to_verify_findings: list = []
    if lead_team_ids:
        to_verify_findings = list(
            findings_visible_to(user)
            .filter(status=FindingStatus.REMEDIATED, team_id__in=lead_team_ids)
            .exclude(owner=user)
            .order_by("id")
        )
    reviews = list(
        PostmortemReview.objects.filter(
            reviewer=user,
            decision=ReviewDecision.PENDING,
            postmortem__status=PostmortemStatus.IN_REVIEW,
            postmortem__incident__in=incidents_visible_to(user),
        )
        .select_related("postmortem__incident")
        .order_by("requested_at")
    )
    incidents = []
    if team_ids:
        incidents = list(
            incidents_visible_to(user)
            .filter(started_at__gte=window_start, started_at__lt=window_end)
            .filter(Q(teams__in=team_ids) | Q(services__team__in=team_ids))
            .distinct()
            .order_by("started_at", "id")
        )
    return {
        "overdue": overdue,
        "due_this_week": due_this_week,
        "findings": findings,
        "to_verify_items": to_verify_items,
        "to_verify_findings": to_verify_findings,
        "reviews": reviews,
        "incidents": incidents,
    }


def team_breach_items(team_id: int, viewer: Any) -> list:
    """Open action items of the team that breach their priority's due-date target, visible to `viewer`."""
    from accounts.permissions import action_items_visible_to
    from incidents.models import OPEN_ITEM_STATUSES

    items = (
        action_items_visible_to(viewer)
        .filter(team_id=team_id, status__in=OPEN_ITEM_STATUSES)
        .select_related("owner")
        .order_by("due_date", "id")
    )
    return [i for i in items if i.breaches_target]


def postmortem_for(incident: Incident) -> Any:
    """The incident's postmortem with its template and author joined, or None when not started."""
    from incidents.models import Postmortem

    return (
        Postmortem.objects.select_related("template", "author", "access_finding")
        .filter(incident=incident)
        .first()
    )


def postmortem_reviews_for(postmortem: Any) -> list[Any]:
    """Requested reviews with reviewers joined, oldest request first."""
    return list(postmortem.reviews.select_related("reviewer").order_by("requested_at", "id"))
