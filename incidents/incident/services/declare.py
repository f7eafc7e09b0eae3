"""Declaring an incident: the gapless number, the first timeline rows, once per dedup key.

Takes `actor=` and checks it (`require_declare`: a responder) before it reads a row for writing; notifies
on commit. Errors: `AccessDenied`; `django.core.exceptions.ValidationError` keyed by field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from incidents.incident.models import implausible_time
from incidents.incident.services.checklist import add_runbook_tasks
from incidents.incident.services.common import check_aware, check_declared_after_start
from incidents.incident.services.custom_values import clean_custom_values, store_custom_values
from incidents.markdown import markdown_text
from incidents.models import Incident, IncidentCounter, IncidentType, Service, Severity, Visibility
from incidents.notify import services as notify
from incidents.permissions.checks import actor_user, require_declare
from incidents.timeline.services import system_entry


def _allocate_number() -> int:
    """Take the next incident number; the counter row stays locked until the caller's transaction ends.

    The UPDATE comes first so that it is the statement that queues (a row lock on PostgreSQL, the write
    lock on SQLite). Numbers given outside this allocator (imports, fixtures) are stepped over.
    """
    for _ in range(2):
        if IncidentCounter.objects.filter(name="incident").update(value=F("value") + 1):
            break
        # The row is seeded by a migration; a flushed test database has lost it.
        IncidentCounter.objects.bulk_create([IncidentCounter(name="incident")], ignore_conflicts=True)
    counter = IncidentCounter.objects.get(name="incident")
    highest = Incident.objects.aggregate(n=Max("number"))["n"] or 0
    if counter.value <= highest:
        counter.value = highest + 1
        counter.save(update_fields=["value"])
    return counter.value


class _Duplicate(Exception):  # noqa: N818 - control flow: rolls back the number taken for a duplicate
    def __init__(self, incident: Incident) -> None:
        self.incident = incident


def incident_declare(
    *,
    actor: Any,
    title: str,
    severity: str,
    started_at: datetime | None = None,
    summary: str = "",
    services: Iterable[Service] = (),
    visibility: str = "",
    incident_type: IncidentType | None = None,
    custom_fields: Mapping[str, Any] | None = None,
    commander: Any = None,
    dedup_key: str | None = None,
    detected_at: datetime | None = None,
    detection_method: str = "",
    declared_at: datetime | None = None,
) -> Incident:
    """Declare an incident, write its first timeline entry and notify on commit; `incident_declare_once`
    without the `created` flag. With `dedup_key`, declaring the same key again returns the existing incident.
    """
    return incident_declare_once(
        actor=actor, title=title, severity=severity, started_at=started_at, summary=summary,
        services=services, visibility=visibility, incident_type=incident_type, custom_fields=custom_fields, commander=commander, dedup_key=dedup_key,
        detected_at=detected_at, detection_method=detection_method, declared_at=declared_at,
    )[0]  # fmt: skip


def incident_declare_once(
    *,
    actor: Any,
    title: str,
    severity: str,
    started_at: datetime | None = None,
    summary: str = "",
    services: Iterable[Service] = (),
    visibility: str = "",
    incident_type: IncidentType | None = None,
    custom_fields: Mapping[str, Any] | None = None,
    commander: Any = None,
    dedup_key: str | None = None,
    detected_at: datetime | None = None,
    detection_method: str = "",
    declared_at: datetime | None = None,
) -> tuple[Incident, bool]:
    """Declare an incident and return `(incident, created)`.

    Timeline rows: "Impact started" at `started_at`, "Detected" at `detected_at` when given, and
    "Incident declared" at `declared_at` (aware; default now, or the start when the start is a few
    minutes ahead of this server's clock), so a backfilled incident reads as it happened. A declaration
    before the start is refused (`check_declared_after_start`, keyed `declared_at`).

    `started_at` defaults to `declared_at` when that is given (or to `detected_at` when that is earlier),
    else to now (UTC-aware). With `dedup_key`, a declaration whose key was declared
    before, or is being declared by a concurrent request, returns `(existing incident, False)` unchanged:
    declarations queue on the number counter, and the key is looked up again once at the front.
    With `incident_type`, an empty `severity` is the type's default severity and an empty `visibility` is
    restricted when the type is restricted by default (without a type: internal); an archived type is
    refused (keyed `incident_type`). `custom_fields` (key -> value) are the type's custom field values,
    validated as `clean_custom_values` does (a required field left out is an error, keyed `cf_<key>`).

    Numbers are unique and gapless. Raises AccessDenied unless the actor may declare (`can_declare`),
    ValidationError for a missing title, an unknown severity, a naive or implausible time.
    """
    require_declare(actor)
    if dedup_key:
        existing = Incident.objects.filter(dedup_key=dedup_key).first()
        if existing:
            return existing, False
    title = (title or "").strip()
    errors: dict[str, str] = {}
    if incident_type is not None:
        if incident_type.archived:
            errors["incident_type"] = "This type is archived; choose another."
        severity = severity or incident_type.default_severity
        if not visibility:
            visibility = Visibility.RESTRICTED if incident_type.restricted_by_default else Visibility.INTERNAL
    visibility = visibility or Visibility.INTERNAL
    if not title:
        errors["title"] = "Give the incident a title."
    if severity not in Severity.values:
        errors["severity"] = "Choose a severity from SEV1 to SEV4."
    try:
        cleaned = clean_custom_values(actor=actor, incident_type=incident_type, values=custom_fields or {})
    except ValidationError as exc:
        errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    check_aware({"started_at": started_at, "detected_at": detected_at, "declared_at": declared_at})
    if declared_at is not None and (late := implausible_time(declared_at)):
        raise ValidationError({"declared_at": late})
    now = timezone.now()
    user = actor_user(actor)
    if started_at is None and declared_at is not None:
        # Declared ahead of (or without a known) start of impact: it starts at its declaration, or at
        # its detection when that came first.
        started_at = min(declared_at, detected_at) if detected_at is not None else declared_at
    declared = declared_at or max(now, started_at or now)
    check_declared_after_start(
        started_at or now,
        declared,
        key="declared_at" if declared_at is not None else "started_at",
        actor=actor,
    )
    try:
        with transaction.atomic():
            number = _allocate_number()
            if dedup_key:
                existing = Incident.objects.filter(dedup_key=dedup_key).first()
                if existing:
                    raise _Duplicate(existing)
            incident = Incident(
                number=number,
                title=title,
                severity=severity,
                started_at=started_at or now,
                detected_at=detected_at,
                detection_method=detection_method,
                summary=summary,
                visibility=visibility,
                incident_type=incident_type,
                commander=commander or user,
                declared_by=user,
                dedup_key=dedup_key or None,
            )
            # Uniqueness is the database's to decide (a duplicate key is answered with the incident).
            incident.full_clean(exclude=["number", "dedup_key"])
            incident.save()
            if services:
                incident.services.set(services)
            store_custom_values(incident, cleaned)
            if user:
                incident.participants.add(user)
            system_entry(
                incident=incident, actor=user, body="Impact started", occurred_at=incident.started_at
            )
            kind = f" ({markdown_text(incident_type.name)})" if incident_type is not None else ""
            if detected_at is not None:
                system_entry(incident=incident, actor=user, body="Detected", occurred_at=detected_at)
            system_entry(
                incident=incident,
                actor=user,
                body=f"Incident declared as {severity}{kind}: {markdown_text(title)}",
                occurred_at=declared,
            )
            add_runbook_tasks(incident, user, at=declared)
            notify.incident_declared(incident, actor=user, at=declared)
    except _Duplicate as duplicate:
        return duplicate.incident, False
    except IntegrityError:
        # A key stored by a writer that does not take the counter (an import) committed first.
        existing = Incident.objects.filter(dedup_key=dedup_key).first() if dedup_key else None
        if existing is None:
            raise
        return existing, False
    return incident, True
