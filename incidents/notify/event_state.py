"""What an incident event changed and how it left the incident, kept with each of its notifications.

Emails and team chat posts about an incident event (declared, severity raised, resolved, reopened, any
other status change) are sent by a worker, maybe minutes after the event, when the incident may have moved
on (a severity change, then a resolve before its email went out). So the service that makes the change
builds an `EventState` from the incident as that change left it, inside its transaction; the claim stores
it on every `Notification` of the event (`snapshot` as JSON, `event_at` as the event's UTC instant) and the
message is rendered from it: subject, severity, status, title, started and resolved times and the event's
own time are the event's, never the incident's at send time. Only who may still read it (visibility,
deletion) is decided at send time, from the database.

JSON shape of `Notification.snapshot` (instants ISO 8601 in UTC with `Z`; codes, never labels):
`{"event", "title", "severity", "status", "old_severity", "old_status", "started_at", "resolved_at",
"commander", "services"}`; `{}` for a row claimed before snapshots were kept (its message falls back to
the incident as it is at send time, and says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from django.utils import timezone

from incidents.models import Incident, IncidentStatus
from incidents.timefmt import format_chat_time, format_utc

# The statuses an incident is reopened from: a move from one of them back to an active status.
ENDED = frozenset({IncidentStatus.RESOLVED, IncidentStatus.POSTMORTEM, IncidentStatus.CLOSED})


def _instant(value: Any) -> datetime | None:
    """An ISO 8601 string written by `format_utc` back as an aware UTC datetime; None for None or garbage."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None


@dataclass(frozen=True, kw_only=True)
class EventState:
    """One incident event and the incident as it left it.

    `event`: `declared`, `severity_raised`, `resolved`, `reopened` or `status_changed`; `at`: when it
    happened (aware UTC; a backfilled change's own time, the declaration time for `declared`);
    `severity`, `status`: codes after the event, `old_severity`, `old_status` before it (None when the
    event did not change them); `started_at`, `resolved_at`: the incident's milestones after the event
    (aware UTC; `resolved_at` None while unresolved); `commander`: their name or ""; `services`: names.
    """

    event: str
    at: datetime
    title: str
    severity: str
    status: str
    started_at: datetime
    resolved_at: datetime | None
    commander: str = ""
    services: tuple[str, ...] = ()
    old_severity: str | None = None
    old_status: str | None = None

    @classmethod
    def of(
        cls,
        incident: Incident,
        *,
        event: str,
        at: datetime | None = None,
        old_severity: str | None = None,
        old_status: str | None = None,
    ) -> EventState:
        """The state `incident` (as the event's service holds it, saved) is in after `event` at `at`
        (aware; default now). A status change from resolved, postmortem or closed back to an active
        status is the event `reopened`. One query for the services and one for the commander."""
        if event == "status_changed" and old_status in ENDED and incident.status not in ENDED:
            event = "reopened"
        commander = incident.commander.name if incident.commander_id and incident.commander else ""
        return cls(
            event=event,
            at=(at or timezone.now()).astimezone(UTC),
            title=incident.title,
            severity=incident.severity,
            status=incident.status,
            started_at=incident.started_at.astimezone(UTC),
            resolved_at=incident.resolved_at.astimezone(UTC) if incident.resolved_at else None,
            commander=commander,
            services=tuple(sorted(incident.services.values_list("name", flat=True))),
            old_severity=old_severity,
            old_status=old_status,
        )

    @property
    def status_label(self) -> str:
        """The status's label (`Resolved`)."""
        return str(IncidentStatus(self.status).label) if self.status in IncidentStatus.values else self.status

    @property
    def service_names(self) -> str:
        """The services as one line, `Database, Web`; "" for none."""
        return ", ".join(self.services)

    def to_json(self) -> dict[str, Any]:
        """The `Notification.snapshot` (without `at`, which is the row's `event_at` column)."""
        return {
            "event": self.event,
            "title": self.title,
            "severity": self.severity,
            "status": self.status,
            "old_severity": self.old_severity,
            "old_status": self.old_status,
            "started_at": format_utc(self.started_at),
            "resolved_at": format_utc(self.resolved_at),
            "commander": self.commander,
            "services": list(self.services),
        }

    @classmethod
    def from_row(cls, snapshot: dict[str, Any] | None, event_at: datetime | None) -> EventState | None:
        """The state a `Notification` stored (`snapshot`, `event_at`); None for a row without one."""
        if not snapshot or event_at is None:
            return None
        started = _instant(snapshot.get("started_at"))
        if started is None:
            return None
        return cls(
            event=str(snapshot.get("event", "")),
            at=event_at.astimezone(UTC),
            title=str(snapshot.get("title", "")),
            severity=str(snapshot.get("severity", "")),
            status=str(snapshot.get("status", "")),
            started_at=started,
            resolved_at=_instant(snapshot.get("resolved_at")),
            commander=str(snapshot.get("commander") or ""),
            services=tuple(str(s) for s in snapshot.get("services") or ()),
            old_severity=snapshot.get("old_severity"),
            old_status=snapshot.get("old_status"),
        )


EVENT_TEXT = {
    "declared": "declared",
    "severity_raised": "raised to {severity}",
    "resolved": "resolved",
    "reopened": "reopened",
    "status_changed": "now {status}",
}
# What the email calls the event's own time (a resolution's is its "Resolved" row).
EVENT_TIME_LABEL = {
    "declared": "Declared",
    "severity_raised": "Raised",
    "reopened": "Reopened",
    "status_changed": "Changed",
}


def event_what(state: EventState) -> str:
    """`raised to SEV1`, `now monitoring`, `reopened`: what `state`'s event did, in a few words."""
    return EVENT_TEXT.get(state.event, "updated").format(
        severity=state.severity, status=state.status_label.lower()
    )


def chat_when(state: EventState, zone: tzinfo) -> str:
    """` at 10:00 CET (09:00 UTC)`: the event's moment in the team's `zone` with UTC beside it (UTC alone
    for a UTC team). Declared gives the start (`, started ...`), every other event its own time
    (`state.at`; a resolution's is its resolution time), written by `timefmt.format_chat_time` (the date
    when it is not today in the zone, so a message read the next morning still says which day)."""
    if state.event == "declared":
        return f", started {format_chat_time(state.started_at, zone)}"
    return f" at {format_chat_time(state.at, zone)}"
