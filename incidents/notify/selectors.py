from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Membership, User
from incidents.incident import process
from incidents.models import (
    ACTIVE_STATUSES,
    OPEN_FINDING_STATUSES,
    OPEN_ITEM_STATUSES,
    ActionItem,
    ActionItemStatus,
    EntrySource,
    FindingStatus,
    Incident,
    IncidentStatus,
    PolicyFinding,
    PostmortemStatus,
    StakeholderUpdate,
    TimelineEntry,
    status_now,
)
from incidents.permissions.followup import action_items_visible_to, findings_visible_to
from incidents.permissions.incident import incidents_visible_to
from incidents.review.selectors import reviews_waiting_for

# One row of a `.values(...)` query: column name -> value, read-only.
Row = Mapping[str, Any]

# --- Reminders and digests (read by incidents/notify/reminders.py and digests.py) ----------------------


def reminder_action_item_queryset(*, due_on_or_before: date, after_id: int = 0) -> QuerySet:
    """The query behind `reminder_action_item_rows` (exposed so the benchmark can EXPLAIN it)."""
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


def reminder_action_item_rows(*, due_on_or_before: date, after_id: int = 0, limit: int = 2000) -> list[Row]:
    """Open action items with an active owner and a due date on or before `due_on_or_before`, as dicts
    (id, due_date, owner_id, owner__email, owner__time_zone, team_id, incident__commander_id,
    incident__commander__email), ordered by id, `limit` rows after `after_id` (keyset pages).
    Uses the (status, due_date) index."""
    return list(reminder_action_item_queryset(due_on_or_before=due_on_or_before, after_id=after_id)[:limit])


def recheck_action_item_rows(*, recheck_on_or_before: date) -> list[Row]:
    """Done action items (not of a deleted incident) whose re-check date is on or before the date, unconfirmed."""
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


def reminder_finding_rows(*, due_on_or_before: date) -> list[Row]:
    """Open or remediating policy findings (an ended risk acceptance is open) with an active owner and a
    due date on or before the date."""
    return list(
        PolicyFinding.objects.annotate(status_now=status_now())
        .filter(
            status_now__in=[FindingStatus.OPEN, FindingStatus.REMEDIATING],
            due_date__lte=due_on_or_before,
            owner__isnull=False,
            owner__is_active=True,
        )
        .values("id", "due_date", "owner_id", "owner__email", "owner__time_zone")
    )


def expiring_acceptance_rows(*, until_on_or_before: date) -> list[Row]:
    """Risk-accepted policy findings whose acceptance ends on or before the date."""
    return list(
        PolicyFinding.objects.filter(
            status=FindingStatus.RISK_ACCEPTED,
            risk_accepted_until__lte=until_on_or_before,
            owner__isnull=False,
            owner__is_active=True,
        ).values("id", "risk_accepted_until", "owner_id", "owner__email", "owner__time_zone")
    )


def resolution_row_id(incident_ref: Any = None) -> Subquery:
    """The id of the incident's latest "Incident resolved" timeline row (system, not removed), or NULL: as a
    subquery on `OuterRef("pk")` of an incident queryset (`incident_ref` to point it elsewhere).

    One resolution keeps its row when its time is edited (the row moves), and a reopen and a new resolve
    write a new one, so the id names one resolution whatever its `resolved_at` becomes."""
    rows = TimelineEntry.objects.filter(
        incident=incident_ref if incident_ref is not None else OuterRef("pk"),
        source=EntrySource.SYSTEM,
        body__startswith="Incident resolved",
        removed_at__isnull=True,
    ).order_by("-occurred_at", "-id")
    return Subquery(rows.values("id")[:1])


def unpublished_postmortem_rows(*, resolved_before: datetime, resolved_after: datetime) -> list[Row]:
    """Resolved (not closed, not deleted) incidents with a commander whose postmortem is neither published
    nor waived, resolved in [resolved_after, resolved_before), each with `resolution`
    (`resolution_row_id`), its type and severity (for its process rule) and `postmortem_id` (None: not
    started)."""
    return list(
        Incident.objects.filter(
            resolved_at__lt=resolved_before,
            resolved_at__gte=resolved_after,
            deleted_at__isnull=True,
            commander__isnull=False,
            commander__is_active=True,
            postmortem_waived_at__isnull=True,
        )
        .exclude(status=IncidentStatus.CLOSED)
        .exclude(postmortem__status=PostmortemStatus.PUBLISHED)
        .annotate(resolution=resolution_row_id())
        .values(
            "id",
            "resolved_at",
            "resolution",
            "commander_id",
            "commander__email",
            "commander__time_zone",
            "incident_type_id",
            "severity",
            "postmortem__id",
        )  # fmt: skip
    )


def overdue_postmortems_for(user: Any, *, now: datetime) -> list[Incident]:
    """Incidents `user` commands (and may see) whose postmortem their process rule requires and whose
    due date (`process.postmortem_due`, the commander's local date) has passed, neither published nor
    waived nor closed; oldest resolution first, each with `postmortem_due_date`. Two queries."""
    incidents = list(
        incidents_visible_to(user)
        .filter(commander=user, resolved_at__isnull=False, postmortem_waived_at__isnull=True)
        .exclude(status=IncidentStatus.CLOSED)
        .exclude(postmortem__status=PostmortemStatus.PUBLISHED)
        .select_related("commander")
        .order_by("resolved_at", "id")
    )
    rules = process.rules_for((i.incident_type_id, i.severity) for i in incidents)
    overdue = []
    for incident in incidents:
        due = process.postmortem_due(incident, rules[(incident.incident_type_id, incident.severity)])
        if process.is_overdue(incident, due, now):
            incident.postmortem_due_date = due  # type: ignore[attr-defined]
            overdue.append(incident)
    return overdue


#: How long after a promised stakeholder update its reminder is still sent (the sweep runs every few minutes).
UPDATE_DUE_LOOKBACK = timedelta(days=30)


def update_due_rows(*, now: datetime) -> list[Row]:
    """Open (active, not deleted) incidents whose latest stakeholder update promised the next one by `now`
    or earlier, and at most `UPDATE_DUE_LOOKBACK` ago (so a pruned delivery record, kept at least 120 days,
    is never wanted again): `id`, `latest_update_id`, and the communications lead's and commander's id,
    email and whether they are active. One query (the latest update per incident is a correlated subquery)."""
    latest = StakeholderUpdate.objects.filter(incident=OuterRef("pk")).order_by("-posted_at", "-id")
    return list(
        Incident.objects.filter(deleted_at__isnull=True, status__in=ACTIVE_STATUSES)
        .annotate(
            latest_update_id=Subquery(latest.values("pk")[:1]),
            latest_next_at=Subquery(latest.values("next_update_at")[:1]),
        )
        .filter(latest_next_at__lte=now, latest_next_at__gt=now - UPDATE_DUE_LOOKBACK)
        .order_by("id")
        .values(
            "id",
            "latest_update_id",
            "communications_lead_id",
            "communications_lead__email",
            "communications_lead__is_active",
            "commander_id",
            "commander__email",
            "commander__is_active",
        )
    )


def team_leads_by_team(team_ids: set[int] | None = None) -> dict[int, list[tuple[int, str]]]:
    """{team id: [(user id, email), ...]} of active team leads, in one query."""
    qs = Membership.objects.filter(role=Membership.Role.LEAD, user__is_active=True)
    if team_ids is not None:
        qs = qs.filter(team_id__in=team_ids)
    leads: dict[int, list[tuple[int, str]]] = {}
    for team_id, user_id, email in qs.values_list("team_id", "user_id", "user__email").order_by("user_id"):
        leads.setdefault(team_id, []).append((user_id, email))
    return leads


def digest_due_user_rows(*, time_zone: str, weekday: int, hour: int) -> list[Row]:
    """Active users with the digest on, in `time_zone`, whose digest weekday is `weekday` and whose
    digest hour is at or before `hour` (so a skipped daylight-saving hour still sends)."""
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
    return list(
        User.objects.filter(is_active=True, digest_enabled=True)
        .values_list("time_zone", flat=True)
        .distinct()
        .order_by("time_zone")
    )


def digest_content_for(
    user: Any,
    *,
    today: date,
    window_start: datetime,
    window_end: datetime,
    ahead_until: date | None = None,
    now: datetime | None = None,
) -> dict:
    """What the weekly digest shows `user`, every list scoped by incidents/permissions/ at call time.

    `today` is the user's local date; the look ahead lists items overdue and due `today`..`ahead_until`
    (default today + 6 days: the next seven days). `[window_start, window_end)` is the recap range
    (last local week, or the week in progress) in UTC-aware datetimes. Returns lists: overdue, due_this_week, findings,
    to_verify_items, to_verify_findings, reviews, postmortems_overdue (the incidents the user commands
    whose required postmortem is overdue at `now`), incidents. A constant number of queries per user.
    """
    week_end = ahead_until or today + timedelta(days=6)
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
    # Open items all have a due date here: the query asked for `due_date <= week_end`.
    open_items = [(i, i.due_date) for i in items if i.status in OPEN_ITEM_STATUSES and i.due_date is not None]
    overdue = [i for i, due in open_items if due < today]
    due_this_week = [i for i, due in open_items if due >= today]
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
    reviews = reviews_waiting_for(user)
    postmortems_overdue = overdue_postmortems_for(user, now=now or timezone.now())
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
        "postmortems_overdue": postmortems_overdue,
        "incidents": incidents,
    }


def team_breach_items(team_id: int, viewer: Any) -> list:
    """Open action items of the team that are overdue (due before the viewer's local today) or breach
    their priority's due-date target, visible to `viewer`."""
    items = (
        action_items_visible_to(viewer)
        .filter(team_id=team_id, status__in=OPEN_ITEM_STATUSES)
        .select_related("owner")
        .order_by("due_date", "id")
    )
    today = timezone.localdate(timezone=viewer.tzinfo) if hasattr(viewer, "tzinfo") else timezone.localdate()
    return [i for i in items if i.breaches_target or (i.due_date is not None and i.due_date < today)]
