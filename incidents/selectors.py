"""Reads shared by pages, the API and exports, with their joins and the permission scope."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.db.models import Prefetch, QuerySet
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
