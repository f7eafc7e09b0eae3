"""Deploys and other changes reported by CI: a change log per service, and entries on open incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.incident.models import implausible_time
from incidents.models import ACTIVE_STATUSES, ChangeEvent, EntryKind, EntrySource, Incident, Service
from incidents.permissions.checks import SYSTEM, require_report_change
from incidents.permissions.incident import can_record
from incidents.timeline.services import timeline_entry_add


def _describe(change: ChangeEvent) -> str:
    parts = [f"Change to **{change.service.name}**: {change.summary}"]
    if change.commit_range:
        parts.append(f"commits `{change.commit_range}`")
    if change.diff_url:
        parts.append(f"[diff]({change.diff_url})")
    if change.feature_flag:
        parts.append(f"feature flag `{change.feature_flag}`")
    if change.author:
        parts.append(f"by {change.author}")
    return " · ".join(parts)


@transaction.atomic
def change_event_record(
    *,
    actor: Any,
    service: Service,
    summary: str,
    commit_range: str = "",
    diff_url: str = "",
    feature_flag: str = "",
    author: str = "",
    occurred_at: datetime | None = None,
) -> tuple[ChangeEvent, list[Incident]]:
    """Log a deploy or change of `service` and add a `change` timeline entry to each of its active incidents
    that `actor` may record on (every one for SYSTEM); the others get nothing, and are not named.

    Returns `(change, incidents that received the entry)`. Raises AccessDenied (403) unless the actor is a
    responder, team lead or admin; ValidationError (keyed by field) for an empty summary, a naive, pre-1970
    or future `occurred_at` (with or without an active incident), or when none of `commit_range`, `diff_url`, `feature_flag` says what changed.
    """
    require_report_change(actor)
    summary = (summary or "").strip()
    errors: dict[str, str] = {}
    if not summary:
        errors["summary"] = "Say what changed (for example: deploy api 2026.11.3)."
    if not (commit_range or diff_url or feature_flag):
        errors["commit_range"] = "Give a commit range, a diff URL or a feature flag."
    if occurred_at is not None and timezone.is_naive(occurred_at):
        errors["occurred_at"] = "The time needs a time zone."
    elif reason := implausible_time(occurred_at):
        # Refused whether or not an incident is active now: a change logged in the future would reach the
        # timeline of any incident that later shows the service's changes.
        errors["occurred_at"] = reason
    if errors:
        raise ValidationError(errors)
    change = ChangeEvent.objects.create(
        service=service,
        summary=summary,
        commit_range=commit_range,
        diff_url=diff_url,
        feature_flag=feature_flag,
        author=author,
        occurred_at=occurred_at or timezone.now(),
    )
    active = Incident.objects.alive().filter(services=service, status__in=ACTIVE_STATUSES).order_by("number")
    incidents = [i for i in active if actor is SYSTEM or can_record(actor, i)]
    body = _describe(change)
    for incident in incidents:
        timeline_entry_add(
            incident=incident,
            actor=actor,
            body=body,
            kind=EntryKind.CHANGE,
            occurred_at=change.occurred_at,
            source=EntrySource.API,
            author_name=author,
        )
    return change, incidents
