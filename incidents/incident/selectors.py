"""Reads shared by pages, the API and exports, with their joins and the permission scope."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from accounts.security import access_denied_record
from incidents.models import ACTIVE_STATUSES, EntrySource, Incident, Service, TimelineEntry
from incidents.permissions.incident import can_view_incident, incidents_visible_to
from incidents.permissions.people import users_visible_to


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
        access_denied_record(actor=user, obj=incident)
        raise Http404("No such incident.")
    return incident


def incident_values_at(incident: Incident, version: int, fields: Iterable[str]) -> dict[str, Any]:
    """`fields` of `incident` as they were at `version` (from its history); empty when not kept."""
    record = incident.history.filter(version=version).order_by("-history_id").first()
    return {name: getattr(record, name) for name in fields} if record is not None else {}


# The timeline rows that record a move along the lifecycle (their times must stay in order).
LIFECYCLE_PREFIXES = ("Status changed", "Incident resolved", "Incident reopened")


def last_lifecycle_row(incident: Incident) -> TimelineEntry | None:
    """The latest status, resolve or reopen row of `incident` (not removed), or None."""
    rows = incident.timeline_entries.filter(source=EntrySource.SYSTEM, removed_at__isnull=True)
    match = Q()
    for prefix in LIFECYCLE_PREFIXES:
        match |= Q(body__startswith=prefix)
    return rows.filter(match).order_by("-occurred_at", "-id").first()


# The timeline rows that set the severity: the declaration ("Incident declared as SEV2: ...") and each change.
SEVERITY_PREFIXES = ("Incident declared", "Severity changed")


def last_severity_row(incident: Incident) -> TimelineEntry | None:
    """The latest declaration or severity change row of `incident` (system, not removed), or None: the row
    whose severity is the incident's current one."""
    rows = incident.timeline_entries.filter(source=EntrySource.SYSTEM, removed_at__isnull=True)
    match = Q()
    for prefix in SEVERITY_PREFIXES:
        match |= Q(body__startswith=prefix)
    return rows.filter(match).order_by("-occurred_at", "-id").first()


def lifecycle_floor(incident: Incident) -> datetime:
    """The earliest time a new status change of `incident` may carry: its start, or its latest recorded
    status, resolve or reopen row when that is later (aware, UTC)."""
    last = last_lifecycle_row(incident)
    return max(incident.started_at, last.occurred_at) if last is not None else incident.started_at


def incident_participants(incident: Incident) -> list[User]:
    """Everyone taking part in `incident` (its participants, and its commander, communications lead and
    scribe if not among them), by name then email; deactivated people included (they took part). One query."""
    role_ids = [i for i in (incident.commander_id, incident.communications_lead_id, incident.scribe_id) if i]
    return list(
        User.objects.filter(Q(participated_incidents=incident) | Q(pk__in=role_ids))
        .distinct()
        .order_by("display_name", "email")
    )


def people_to_pick(user: Any, incident_number: int | None = None) -> QuerySet[User]:
    """The people `user` may pick (`users_visible_to`), with those taking part in incident
    `incident_number` when `user` may see it (a hidden or unknown number adds nobody)."""
    incident = None
    if incident_number is not None:
        incident = incidents_visible_to(user).filter(number=incident_number).first()
    return users_visible_to(user, incident)
