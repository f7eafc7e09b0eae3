"""Reads shared by pages, the API and exports, with their joins and the permission scope."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
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
    """The incident `INC-number` if `user` may see it; raises Http404 otherwise (never 403)."""
    incident = (
        Incident.objects.select_related("commander", "communications_lead", "scribe", "declared_by")
        .prefetch_related("services", "tags", "teams")
        .filter(number=number)
        .first()
    )
    if incident is None or not can_view_incident(user, incident):
        raise Http404("No such incident.")
    return incident


def timeline_for(incident: Incident, *, include_removed: bool = False) -> QuerySet[TimelineEntry]:
    """The incident's timeline ordered by (occurred_at, id), authors joined."""
    qs = TimelineEntry.objects.filter(incident=incident).select_related("author")
    if not include_removed:
        qs = qs.filter(removed_at__isnull=True)
    return qs.order_by("occurred_at", "id")


# --- Reminders and digests (read by incidents/services/reminders.py and digest.py) ----------------------


def reminder_action_item_rows(*, due_on_or_before: date, after_id: int = 0, limit: int = 2000) -> list[dict]:
    """Open action items with an active owner and a due date on or before `due_on_or_before`, as dicts
    (id, due_date, owner_id, owner__email, owner__time_zone, team_id, incident__commander_id,
    incident__commander__email), ordered by id, `limit` rows after `after_id` (keyset pages).
    Uses the (status, due_date) index."""
    from incidents.models import OPEN_ITEM_STATUSES, ActionItem

    return list(
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
        )[:limit]
    )


def recheck_action_item_rows(*, recheck_on_or_before: date) -> list[dict]:
    """Done action items whose re-check date is on or before the given date and not yet confirmed."""
    from incidents.models import ActionItem, ActionItemStatus

    return list(
        ActionItem.objects.filter(
            status=ActionItemStatus.DONE,
            recheck_date__lte=recheck_on_or_before,
            recheck_confirmed_at__isnull=True,
            owner__isnull=False,
            owner__is_active=True,
        ).values("id", "recheck_date", "owner_id", "owner__email", "owner__time_zone")
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
