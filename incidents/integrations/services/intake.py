"""The intake of alert notifications (`alert_notification_receive`).

It acts for the integration (a service identity, authenticated by its own token; its writes go through the
incident and timeline services as `SYSTEM`): incidents and entries it writes have no human author
(`author_name` says which integration wrote them), so the incident's commander is unset and any responder
may take command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.errors import TransitionError
from incidents.incident.selectors import state_change_floor
from incidents.incident.services.declare import incident_declare
from incidents.incident.services.lifecycle import incident_change_status, incident_resolve
from incidents.integrations.models import Alert, AlertGroup, AlertIntegration, AlertState
from incidents.integrations.senders.base import Notification, ParsedAlert
from incidents.models import (
    ACTIVE_STATUSES,
    DetectionMethod,
    EntryKind,
    EntrySource,
    Incident,
    IncidentStatus,
)
from incidents.permissions.checks import SYSTEM
from incidents.timefmt import DATE_SECOND, format_time
from incidents.timeline.services import MAX_BODY_CHARS, timeline_entry_add

SEEN_EVENTS_KEPT = 200
MAX_ALERT_ENTRIES = 100
"""Alert entries written for one notification; the rest of a larger group is summed up in one entry."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class IntakeResult:
    """What one notification did: the incident (None when nothing was open and nothing fires), whether it
    was declared now, and how many timeline entries were written (0 for a repeat)."""

    incident: Incident | None
    created: bool = False
    entries: int = 0
    changes: list[str] = field(default_factory=list)


def _escape(text: str) -> str:
    return str(text).replace("`", "'").replace("\n", " ")


def _link(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _fmt(when: datetime | None) -> str:
    """An alert's time as its stored entry states it, `2026-11-30 14:02:05 UTC` (stored text, read in
    every zone: UTC, with the alert's seconds)."""
    return format_time(when, UTC, fmt=DATE_SECOND, empty="")


def alert_entry_body(alert: ParsedAlert) -> str:
    """The Markdown of an alert's timeline entry: state, title, labels, annotations, times and source link."""
    state = "Firing" if alert.status == AlertState.FIRING else "Resolved"
    lines = [f"**{state}**: {alert.title}"]
    if alert.labels:
        lines.append(
            "Labels: " + " ".join(f"`{_escape(k)}={_escape(v)}`" for k, v in sorted(alert.labels.items()))
        )
    for key, value in sorted(alert.annotations.items()):
        lines.append(f"- {_escape(key)}: {value.strip()}")
    times = f"Started {_fmt(alert.starts_at)}"
    if alert.status == AlertState.RESOLVED and alert.ends_at:
        times += f", ended {_fmt(alert.ends_at)}"
    if alert.url:
        times += f" · [source]({_link(alert.url)})"
    body = "\n\n".join([*lines, times])
    if len(body) <= MAX_BODY_CHARS:
        return body
    # Too long for one entry: cut the labels and annotations and say so, keeping the times and the link.
    notice = f"_Shortened to fit one entry (the alert's text has {len(body):,} characters); see its source._"
    keep = MAX_BODY_CHARS - len(times) - len(notice) - 8
    return "\n\n".join(["\n\n".join(lines)[:keep].rstrip() + " …", notice, times])


def _clamp(when: datetime | None, now: datetime) -> datetime:
    return min(when, now) if when else now


def _open_group(integration: AlertIntegration, key: str) -> AlertGroup | None:
    group = (
        # Lock the group row only: PostgreSQL refuses FOR UPDATE on the nullable side of the incident join.
        AlertGroup.objects.select_for_update(of=("self",))
        .select_related("incident")
        .filter(integration=integration, group_key=key, is_open=True)
        .first()
    )
    if group is None:
        return None
    incident = group.incident
    if incident is None or incident.deleted_at is not None or incident.status not in ACTIVE_STATUSES:
        # Someone resolved (or deleted) the incident: the next firing starts a new one.
        group.is_open = False
        group.save(update_fields=["is_open", "updated_at"])
        return None
    return group


def _declare(
    integration: AlertIntegration, note: Notification, firing: list[ParsedAlert], now: datetime
) -> AlertGroup:
    try:
        with transaction.atomic():
            group = AlertGroup.objects.create(integration=integration, group_key=note.group_key)
    except IntegrityError:
        # Another request opened the group first (it waited for that one to commit): attach to it.
        found = _open_group(integration, note.group_key)
        if found is not None:
            return found
        raise
    severities = [integration.severity_for(a.severity_value) for a in firing]
    started = min(_clamp(a.starts_at, now) for a in firing)
    incident = incident_declare(
        actor=SYSTEM,
        title=(note.title or firing[0].title)[:200],
        severity=min(severities) if severities else integration.default_severity,
        started_at=started,
        detected_at=started,
        detection_method=DetectionMethod.ALERT,
        services=list(integration.services.all()),
    )
    if integration.team_id:
        incident.teams.add(integration.team_id)
    group.incident = incident
    group.save(update_fields=["incident", "updated_at"])
    return group


def _is_news(status: str, starts_at: datetime, alert: ParsedAlert) -> bool:
    """Whether `alert` changes an alert recorded as (`status`, `starts_at`).

    A repeat changes nothing, nor does a late report of an older occurrence: one that started before the
    recorded start, or the firing of an occurrence already recorded as resolved (same start). Only a firing
    with a later start is a re-firing (Alertmanager gives an alert that fires again a new `startsAt`).
    """
    if alert.starts_at != starts_at:
        return alert.starts_at > starts_at
    return status != alert.status and alert.status == AlertState.RESOLVED


def _resolved_before(
    integration: AlertIntegration, key: str, alerts: list[ParsedAlert]
) -> dict[str, datetime]:
    """The latest start of each alert (by fingerprint) already recorded as resolved in a closed group of `key`."""
    rows = Alert.objects.filter(
        group__integration=integration,
        group__group_key=key,
        group__is_open=False,
        status=AlertState.RESOLVED,
        fingerprint__in=[a.fingerprint for a in alerts],
    ).values_list("fingerprint", "starts_at")
    latest: dict[str, datetime] = {}
    for fingerprint, starts_at in rows:
        latest[fingerprint] = max(starts_at, latest.get(fingerprint, starts_at))
    return latest


def _remember_resolved(integration: AlertIntegration, key: str, alerts: list[ParsedAlert]) -> None:
    """Keep resolved alerts that arrive with no open group (in a closed group without incident), so their
    delayed firing does not declare an incident for an alert that is over."""
    resolved = [a for a in alerts if a.status == AlertState.RESOLVED]
    if not resolved:
        return
    group = AlertGroup.objects.filter(
        integration=integration, group_key=key, is_open=False, incident__isnull=True
    ).first() or AlertGroup.objects.create(integration=integration, group_key=key, is_open=False)
    known = {a.fingerprint: a for a in group.alerts.all()}
    for alert in resolved:
        row = known.get(alert.fingerprint)
        if row is not None and not _is_news(row.status, row.starts_at, alert):
            continue
        values: dict[str, Any] = {"status": alert.status, "title": alert.title[:500], "starts_at": alert.starts_at,
                  "ends_at": alert.ends_at, "url": alert.url[:2000]}  # fmt: skip
        Alert.objects.update_or_create(group=group, fingerprint=alert.fingerprint, defaults=values)


def _record_alerts(group: AlertGroup, integration: AlertIntegration, alerts: list[ParsedAlert],
                   now: datetime, first: bool) -> int:  # fmt: skip
    incident = group.incident
    assert incident is not None
    known = {a.fingerprint: a for a in group.alerts.all()}
    written = unwritten = 0
    for alert in alerts:
        row = known.get(alert.fingerprint)
        if row is not None and not _is_news(row.status, row.starts_at, alert):
            continue
        values: dict[str, Any] = {
            "status": alert.status,
            "title": alert.title[:500],
            "labels": alert.labels,
            "annotations": alert.annotations,
            "starts_at": alert.starts_at,
            "ends_at": alert.ends_at if alert.status == AlertState.RESOLVED else None,
            "url": alert.url[:2000],
        }
        if row is None:
            row = Alert.objects.create(group=group, fingerprint=alert.fingerprint, **values)
            known[alert.fingerprint] = row
        else:
            for key, value in values.items():
                setattr(row, key, value)
            row.save()
        if written == MAX_ALERT_ENTRIES:
            unwritten += 1
            continue
        occurred = alert.starts_at if alert.status == AlertState.FIRING else (alert.ends_at or now)
        timeline_entry_add(
            incident=incident,
            actor=SYSTEM,
            body=alert_entry_body(alert),
            kind=EntryKind.ALERT,
            occurred_at=_clamp(occurred, now),
            source=EntrySource.API,
            author_name=integration.name,
            evidence="detection" if first and written == 0 else "",
        )
        written += 1
    if unwritten:
        timeline_entry_add(
            incident=incident,
            actor=SYSTEM,
            body=f"{unwritten:,} more alerts of this notification changed state; entries are written for the "
            f"first {MAX_ALERT_ENTRIES} of a notification.",
            kind=EntryKind.ALERT,
            occurred_at=now,
            source=EntrySource.API,
            author_name=integration.name,
        )
        written += 1
    return written


def _record_events(
    group: AlertGroup, integration: AlertIntegration, note: Notification, now: datetime
) -> int:
    seen = list(group.seen_events or [])
    written = 0
    for event in note.events:
        if event.event_id in seen:
            continue
        assert group.incident is not None
        body = event.body
        if len(body) > MAX_BODY_CHARS:
            body = (
                body[: MAX_BODY_CHARS - 80].rstrip()
                + f" …\n\n_Shortened to fit one entry ({len(body):,} characters)._"
            )
        timeline_entry_add(
            incident=group.incident,
            actor=SYSTEM,
            body=body,
            kind=EntryKind.ALERT,
            occurred_at=_clamp(event.occurred_at, now),
            source=EntrySource.API,
            author_name=integration.name,
        )
        seen.append(event.event_id)
        written += 1
    if written:
        group.seen_events = seen[-SEEN_EVENTS_KEPT:]
        group.save(update_fields=["seen_events", "updated_at"])
    return written


def _moved(incident: Incident, status: str, service: Any, **kwargs: Any) -> bool:
    """Call the lifecycle `service` (incident_change_status or incident_resolve) as SYSTEM to reach `status`.

    Returns False, changing nothing, when a concurrent notification of the same group got the incident there
    first (the service, reading the locked row, refuses a move to the status it already has); any other
    refusal is raised (TransitionError).
    """
    try:
        if service is incident_resolve:
            service(incident=incident, actor=SYSTEM, **kwargs)
        else:
            service(incident=incident, actor=SYSTEM, status=status, **kwargs)
    except TransitionError:
        incident.refresh_from_db()
        if incident.status == status:
            return False
        raise
    return True


def _settle(group: AlertGroup, integration: AlertIntegration, now: datetime) -> list[str]:
    """Mitigate (or resolve) when every alert is resolved; back to investigating when one fires again."""
    incident = group.incident
    assert incident is not None
    states = list(group.alerts.values_list("status", "ends_at"))
    if not states:
        return []
    reason = f"every alert of {integration.name} resolved"
    if not incident.is_active:
        return []  # resolved by a person already: the alerts change nothing of its recorded lifecycle
    if all(s == AlertState.RESOLVED for s, _ in states):
        when = _clamp(max((e for _, e in states if e), default=now), now)
        # Never before the start or a status change already recorded (which the service would refuse).
        when = max(when, state_change_floor(incident))
        if integration.resolve_when_all_resolved:
            if not _moved(incident, IncidentStatus.RESOLVED, incident_resolve, at=when, note=reason):
                return []
            group.is_open = False
            group.save(update_fields=["is_open", "updated_at"])
            return ["resolved"]
        if incident.status != IncidentStatus.MONITORING and _moved(
            incident, IncidentStatus.MONITORING, incident_change_status, at=when
        ):
            return ["mitigated"]
        return []
    if incident.status == IncidentStatus.MONITORING and _moved(
        incident, IncidentStatus.INVESTIGATING, incident_change_status
    ):
        return ["firing again"]
    return []


@transaction.atomic
def alert_notification_receive(*, integration: AlertIntegration, notification: Notification) -> IntakeResult:
    """Apply one sender notification for `integration` (the acting identity; it must be active).

    A firing notification for a group with no open incident declares one (severity: the highest mapped
    severity of the firing alerts; started and detected at the earliest `startsAt`); otherwise it attaches
    to the group's open incident. Each alert whose state or start changed writes one `alert` timeline entry
    (labels, annotations, times, source link); a repeat writes nothing. When every alert of the group is
    resolved the incident moves to monitoring (mitigated), or is resolved if the integration says so.
    A late report of an older occurrence changes nothing (`_is_news`): only a firing with a later start
    moves a mitigated incident back to investigating. A resolved-only notification for a group without an
    open incident declares nothing, but is kept: the delayed firing of the same occurrence is then ignored.
    Raises PermissionDenied for an inactive integration.
    """
    if not integration.is_active:
        raise PermissionDenied("This integration is switched off.")
    now = timezone.now()
    if not notification.group_key or not (notification.alerts or notification.events):
        return IntakeResult(incident=None)
    alerts = notification.alerts
    firing = [a for a in alerts if a.status == AlertState.FIRING]
    group = _open_group(integration, notification.group_key)
    created = False
    if group is None:
        over = _resolved_before(integration, notification.group_key, firing)
        alerts = [
            a for a in alerts if a.status != AlertState.FIRING or a.starts_at > over.get(a.fingerprint, EPOCH)
        ]
        firing = [a for a in alerts if a.status == AlertState.FIRING]
        if not firing:
            _remember_resolved(integration, notification.group_key, alerts)
            return IntakeResult(incident=None)
        group = _declare(integration, notification, firing, now)
        created = group.incident is not None and not group.alerts.exists()
    entries = _record_alerts(group, integration, alerts, now, first=created)
    entries += _record_events(group, integration, notification, now)
    changes = _settle(group, integration, now)
    assert group.incident is not None
    return IntakeResult(incident=Incident.objects.get(pk=group.incident.pk), created=created, entries=entries,
                        changes=changes)  # fmt: skip
