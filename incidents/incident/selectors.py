"""Reads shared by pages, the API and exports, with their joins and the permission scope."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from accounts.models import Team, User
from accounts.security import access_denied_record
from incidents.graphs import cyclic_components
from incidents.incident.custom_values import custom_filter_q
from incidents.models import (
    ACTIVE_STATUSES,
    MILESTONES,
    Attachment,
    CustomFieldValue,
    EntrySource,
    Incident,
    Service,
    ServiceDependency,
    StakeholderUpdate,
    Subscription,
    TimelineEntry,
)
from incidents.permissions.incident import can_view_incident, incidents_visible_to
from incidents.permissions.people import users_visible_to

# An incident's type's fields and its stored values, for `custom_values.field_values` (no query per row).
CUSTOM_PREFETCH = (
    "incident_type__fields",
    Prefetch("custom_values", queryset=CustomFieldValue.objects.select_related("user")),
)


def incident_list_for(
    user: Any,
    *,
    status: str | list[str] | None = None,
    severity: str | None = None,
    service: str | None = None,
    incident_type: str | None = None,
    started_from: date | None = None,
    started_to: date | None = None,
    custom: Mapping[str, str] | None = None,
) -> QuerySet[Incident]:
    """Incidents `user` may see, newest first, with what the list shows joined in (flat query count: the
    custom field values of every row come in two queries) and each one's `declared_at` (`declared_at`).

    `incident_type` is a type's slug; `custom` maps a custom field key to the value it must hold
    (`custom_filter_q`; ValidationError keyed `cf_<key>`). Date bounds are the viewer's local dates, half-open: `[started_from 00:00, started_to + 1 day 00:00)`.
    """
    qs = (
        incidents_visible_to(user)
        .annotate(declared_at=_declared_at())
        .select_related("commander", "incident_type")
        .prefetch_related(
            Prefetch("services", queryset=Service.objects.only("id", "name", "slug")), *CUSTOM_PREFETCH
        )
    )
    if status:
        qs = qs.filter(status__in=[status] if isinstance(status, str) else status)
    if severity:
        qs = qs.filter(severity=severity)
    if service:
        qs = qs.filter(services__slug=service)
    if incident_type:
        qs = qs.filter(incident_type__slug=incident_type)
    for key, raw in (custom or {}).items():
        if raw:
            qs = qs.filter(custom_filter_q(key, raw, incident_type=incident_type))
    zone = timezone.get_current_timezone()
    if started_from:
        qs = qs.filter(started_at__gte=datetime.combine(started_from, time.min, tzinfo=zone))
    if started_to:
        qs = qs.filter(started_at__lt=datetime.combine(started_to + timedelta(days=1), time.min, tzinfo=zone))
    return qs.order_by("-started_at", "-id")


def incident_owning_team(incident: Incident) -> Team | None:
    """The team an incident belongs to: the first of its teams (by id), else the team owning the first of
    its services (by id) that has one; None when neither has a team."""
    team = incident.teams.order_by("id").first()
    if team is not None:
        return team
    service = incident.services.filter(team__isnull=False).select_related("team").order_by("id").first()
    return service.team if service is not None else None


def active_incidents_for(user: Any) -> QuerySet[Incident]:
    return incident_list_for(user, status=list(ACTIVE_STATUSES))


def incident_get_for(user: Any, number: int) -> Incident:
    """The incident `INC-number` if `user` may see it; raises Http404 otherwise (never 403).

    A signed-in user asking for an incident that exists but is hidden from them is recorded as a denied-access
    security event (the response is the same 404 as for a number that does not exist). Its
    `followed_by_viewer` is True when `user` follows it (a subscription to it), in the same query.
    """
    followed = Subscription.objects.filter(incident=OuterRef("pk"), user_id=getattr(user, "pk", None) or 0)
    incident = (
        Incident.objects.annotate(followed_by_viewer=Exists(followed))
        .select_related(
            "commander",
            "communications_lead",
            "scribe",
            "declared_by",
            "incident_type",
            "postmortem_waived_by",
        )
        .prefetch_related(Prefetch("services", queryset=Service.objects.select_related("team")))
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
DECLARED_PREFIX = "Incident declared"
# The rows that change each state of an incident. Every state change is dated at or after the latest of
# them (`state_change_floor`); the declaration is not among them (it names the state the incident started
# with, and a backfilled incident records its changes at their real times, before its declaration row).
STATE_ROWS: dict[str, tuple[str, ...]] = {
    "status": LIFECYCLE_PREFIXES,
    "severity": ("Severity changed",),
}


def last_state_row(incident: Incident, state: str) -> TimelineEntry | None:
    """The latest row (system, not removed) that changed `state` ("status" or "severity") of `incident`,
    by (occurred_at, id); None when there is none (KeyError for another `state`)."""
    rows = incident.timeline_entries.filter(source=EntrySource.SYSTEM, removed_at__isnull=True)
    match = Q()
    for prefix in STATE_ROWS[state]:
        match |= Q(body__startswith=prefix)
    return rows.filter(match).order_by("-occurred_at", "-id").first()


def declaration_row(incident: Incident) -> TimelineEntry | None:
    """The incident's "Incident declared" row (system, not removed), or None (incidents stored directly)."""
    rows = incident.timeline_entries.filter(source=EntrySource.SYSTEM, removed_at__isnull=True)
    return rows.filter(body__startswith=DECLARED_PREFIX).order_by("occurred_at", "id").first()


def _declared_at() -> Subquery:
    """For `.annotate(declared_at=...)`: the time of each incident's "Incident declared" row."""
    rows = TimelineEntry.objects.filter(
        incident=OuterRef("pk"),
        source=EntrySource.SYSTEM,
        removed_at__isnull=True,
        body__startswith=DECLARED_PREFIX,
    ).order_by("occurred_at", "id")
    return Subquery(rows.values("occurred_at")[:1])


def declared_at(incident: Incident) -> datetime | None:
    """When `incident` was declared in Hindsight (aware, UTC): the time of its "Incident declared" row, as
    the timeline shows it (for a backfilled incident, after the milestones it records). Read from the
    `declared_at` annotation of `incident_list_for` when there (no query), else from the row (one query);
    None for an incident stored without a declaration."""
    if "declared_at" in vars(incident):
        value: datetime | None = vars(incident)["declared_at"]
        return value
    row = declaration_row(incident)
    return row.occurred_at if row is not None else None


@dataclass(frozen=True)
class MilestoneRow:
    """One milestone as every surface lists it: `name` (the API and JSON export key, `started_at` …
    `declared_at`), `label` ("Declared"), `at` (aware, UTC; None when unknown) and `note` (why the value is
    what it is, "" mostly)."""

    name: str
    label: str
    at: datetime | None
    note: str = ""


#: The milestones in the order every surface lists them: (key, label).
MILESTONE_LABELS: tuple[tuple[str, str], ...] = (
    ("started_at", "Started"),
    ("detected_at", "Detected"),
    ("declared_at", "Declared"),
    ("acknowledged_at", "Acknowledged"),
    ("mitigated_at", "Mitigated"),
    ("resolved_at", "Resolved"),
)


def milestone_rows(incident: Incident) -> list[MilestoneRow]:
    """The milestones of `incident` as the incident page, the postmortem page, the print page and PDF and
    both exports list them (`MILESTONE_LABELS` order), the declaration (`declared_at`) among them. One query
    for the declaration unless `incident` carries it."""
    values = {name: getattr(incident, name) for name in MILESTONES}
    values["declared_at"] = declared_at(incident)
    notes = {"mitigated_at": "automatic: the resolution time" if incident.mitigated_at_auto else ""}
    return [MilestoneRow(name, label, values[name], notes.get(name, "")) for name, label in MILESTONE_LABELS]


def state_change_floor(incident: Incident, state: str = "status") -> datetime:
    """The earliest time a new change of `state` ("status" or "severity") may carry (aware, UTC): the start
    of impact, or the latest row that changed that state when that is later."""
    last = last_state_row(incident, state)
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


# --- Attachments ---------------------------------------------------------------------------------------------


def attachments_of(incident: Incident) -> QuerySet[Attachment]:
    """The attachments of `incident` (one the caller may see), oldest first, with who uploaded each and the
    timeline entry each is on (one query)."""
    return (
        Attachment.objects.filter(incident=incident)
        .select_related("uploaded_by", "entry")
        .order_by("uploaded_at", "id")
    )


def attachment_get_for(user: Any, number: int, attachment_id: int) -> Attachment:
    """Attachment `attachment_id` of INC-`number` if `user` may see the incident; Http404 otherwise (an
    incident hidden from them, an unknown id, or an attachment of another incident: never 403)."""
    incident = incident_get_for(user, number)
    found = Attachment.objects.filter(incident=incident, pk=attachment_id).first()
    if found is None:
        raise Http404("No such attachment.")
    found.incident = incident
    return found


# --- Stakeholder updates -------------------------------------------------------------------------------------


def stakeholder_updates_of(incident: Incident) -> QuerySet[StakeholderUpdate]:
    """The stakeholder updates of `incident` (one the caller may see), newest first, with who posted each
    (one query)."""
    return incident.stakeholder_updates.select_related("posted_by").order_by("-posted_at", "-id")


def _latest_update_id() -> Subquery:
    latest = StakeholderUpdate.objects.filter(incident=OuterRef("pk")).order_by("-posted_at", "-id")
    return Subquery(latest.values("pk")[:1])


def status_page_incidents(user: Any) -> list[Incident]:
    """The open (investigating, identified, monitoring) incidents `user` may see, SEV1 first and then the
    latest started, each with `latest_update` (its newest `StakeholderUpdate`, or None) and `update_late`
    (True when the update promised a next one by a time that has passed). Three queries however many
    (the incidents with their latest update's id, their services, those updates)."""
    incidents: list[Incident] = list(
        incidents_visible_to(user)
        .filter(status__in=ACTIVE_STATUSES)
        .select_related("commander", "communications_lead")
        .prefetch_related(Prefetch("services", queryset=Service.objects.only("id", "name", "slug")))
        .annotate(latest_update_id=_latest_update_id())
        .order_by("severity", "-started_at", "-id")
    )
    wanted = [getattr(i, "latest_update_id", None) for i in incidents]
    ids = [pk for pk in wanted if pk]
    updates = StakeholderUpdate.objects.select_related("posted_by").in_bulk(ids) if ids else {}
    now = timezone.now()
    for incident, pk in zip(incidents, wanted, strict=True):
        latest = updates.get(pk) if pk else None
        incident.latest_update = latest  # type: ignore[attr-defined]
        promised = latest.next_update_at if latest is not None else None
        incident.update_late = promised is not None and promised < now  # type: ignore[attr-defined]
    return incidents


@dataclass(frozen=True)
class AffectedService:
    """A service an incident affects, as its page links it: the service (with its team), the services it
    depends on and those depending on it (one level each, by name), and the ids among them that it both
    depends on and is depended on by (a two-service cycle, marked on the page)."""

    service: Service
    depends_on: list[Service]
    depended_on_by: list[Service]
    mutual: frozenset[int]


def affected_services(incident: Incident) -> list[AffectedService]:
    """The incident's services (from its prefetched `services`, by name) with their dependencies one
    level each way: one query however many services and dependencies, none when it affects none."""
    services = sorted(incident.services.all(), key=lambda s: s.name.lower())
    if not services:
        return []
    ids = [s.pk for s in services]
    needs: dict[int, list[Service]] = {}
    needed_by: dict[int, list[Service]] = {}
    edges = ServiceDependency.objects.filter(Q(service_id__in=ids) | Q(depends_on_id__in=ids)).select_related(
        "service", "depends_on"
    )
    for edge in edges:
        needs.setdefault(edge.service_id, []).append(edge.depends_on)
        needed_by.setdefault(edge.depends_on_id, []).append(edge.service)
    rows = []
    for service in services:
        up = sorted(needs.get(service.pk, []), key=lambda s: s.name.lower())
        down = sorted(needed_by.get(service.pk, []), key=lambda s: s.name.lower())
        mutual = frozenset({s.pk for s in up} & {s.pk for s in down})
        rows.append(AffectedService(service=service, depends_on=up, depended_on_by=down, mutual=mutual))
    return rows


def service_catalog() -> QuerySet[Service]:
    """Every service with its owner team and both directions of its dependencies (three queries however
    many services), by name."""
    return (
        Service.objects.select_related("team").prefetch_related("depends_on", "dependents").order_by("name")
    )


def services_in_cycles() -> set[int]:
    """Ids of the services on a dependency cycle (A needs B, B needs A, or longer), from one query over
    every dependency. Cycles are allowed (two services may need each other); the catalog shows them."""
    graph: dict[int, list[int]] = {}
    for service_id, needed_id in ServiceDependency.objects.values_list("service_id", "depends_on_id"):
        graph.setdefault(service_id, []).append(needed_id)
    return {service for component in cyclic_components(graph) for service in component}
