"""The body of every outbound webhook event: one frozen dataclass per event, built here and nowhere else.

A delivery is the JSON object `{"id", "event", "version", "created_at", "data"}` where `event` is the
payload class's `EVENT`, `version` its `VERSION` and `data` the dataclass as JSON (`webhook_body`). Codes,
never labels: `severity` is `SEV1`..`SEV4`, `status` an incident, item or finding status code
(`investigating`, `resolved`, `open`, ...), dates ISO 8601 (`2026-06-10`), instants ISO 8601 in UTC.

`VERSION` changes only when a field is removed or changes meaning; a new field may be added within a
version, so receivers ignore fields they do not know. The README's "Outbound webhooks" lists the schemas.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from django.urls import reverse

from incidents.emails import absolute_url
from incidents.models import ActionItem, Incident, PolicyFinding, Postmortem, StakeholderUpdate
from incidents.timefmt import format_utc


def _url(name: str, *args: Any) -> str:
    """Absolute URL of the route `name`; NoReverseMatch (a bug a test catches) when it does not exist."""
    return absolute_url(reverse(name, args=args))


def _email(user: Any) -> str | None:
    return getattr(user, "email", None) or None


@dataclass(frozen=True, kw_only=True)
class IncidentRef:
    """What every incident event says about the incident, as it is when the event happens."""

    number: int
    reference: str  # INC-42
    title: str
    severity: str  # SEV1..SEV4
    status: str  # status code
    url: str  # the incident page
    api_url: str

    @classmethod
    def of(cls, incident: Incident) -> IncidentRef:
        return cls(
            number=incident.number,
            reference=incident.reference,
            title=incident.title,
            severity=incident.severity,
            status=incident.status,
            url=_url("incidents:detail", incident.number),
            api_url=_url("api:incident-detail", incident.number),
        )


@dataclass(frozen=True, kw_only=True)
class IncidentDeclared:
    """`incident.declared`: a new incident (declared by a person, an alert or the API)."""

    EVENT: ClassVar[str] = "incident.declared"
    TITLE: ClassVar[str] = "Incident declared"
    VERSION: ClassVar[int] = 1
    incident: IncidentRef
    declared_by: str | None  # the declarer's email; None for an alert or a system

    @classmethod
    def of(cls, incident: Incident) -> IncidentDeclared:
        return cls(incident=IncidentRef.of(incident), declared_by=_email(incident.declared_by))

    def event_id(self) -> str:
        return f"{self.EVENT}:{self.incident.number}"


@dataclass(frozen=True, kw_only=True)
class IncidentStatusChanged:
    """`incident.status_changed`: every status move, resolving and reopening included; `old` and `new`
    are status codes (`incident.status` equals `new`)."""

    EVENT: ClassVar[str] = "incident.status_changed"
    TITLE: ClassVar[str] = "Incident status changed"
    VERSION: ClassVar[int] = 1
    incident: IncidentRef
    old: str
    new: str
    resolved_at: str | None  # ISO 8601 UTC when resolved, else None

    @classmethod
    def of(cls, incident: Incident, *, old: str) -> IncidentStatusChanged:
        return cls(
            incident=IncidentRef.of(incident),
            old=old,
            new=incident.status,
            resolved_at=_instant(incident.resolved_at),
        )

    def event_id(self) -> str:
        return uuid.uuid4().hex


@dataclass(frozen=True, kw_only=True)
class UpdateRef:
    """A stakeholder update as posted: `status` an update status code (`investigating`, `identified`,
    `monitoring`, `resolved`), `customer_impact` and `doing` as their Markdown source, instants in UTC."""

    id: int
    status: str
    customer_impact: str
    doing: str
    next_update_at: str | None  # ISO 8601 UTC; None for a final update
    posted_at: str  # ISO 8601 UTC
    posted_by: str | None  # the poster's email

    @classmethod
    def of(cls, update: StakeholderUpdate) -> UpdateRef:
        return cls(
            id=update.pk,
            status=update.status,
            customer_impact=update.customer_impact,
            doing=update.doing,
            next_update_at=_instant(update.next_update_at),
            posted_at=format_utc(update.posted_at) or "",
            posted_by=_email(update.posted_by),
        )


@dataclass(frozen=True, kw_only=True)
class UpdatePosted:
    """`incident.update_posted`: a stakeholder update posted on an incident (once per update)."""

    EVENT: ClassVar[str] = "incident.update_posted"
    TITLE: ClassVar[str] = "Stakeholder update posted"
    VERSION: ClassVar[int] = 1
    incident: IncidentRef
    update: UpdateRef

    @classmethod
    def of(cls, update: StakeholderUpdate) -> UpdatePosted:
        return cls(incident=IncidentRef.of(update.incident), update=UpdateRef.of(update))

    def event_id(self) -> str:
        return f"{self.EVENT}:{self.update.id}"


@dataclass(frozen=True, kw_only=True)
class PostmortemRef:
    id: int
    version: int  # the postmortem version that was published
    published_at: str | None  # ISO 8601 UTC
    url: str


@dataclass(frozen=True, kw_only=True)
class PostmortemPublished:
    """`postmortem.published`: an incident's postmortem published (again, after a reopen)."""

    EVENT: ClassVar[str] = "postmortem.published"
    TITLE: ClassVar[str] = "Postmortem published"
    VERSION: ClassVar[int] = 1
    incident: IncidentRef
    postmortem: PostmortemRef

    @classmethod
    def of(cls, postmortem: Postmortem) -> PostmortemPublished:
        incident = postmortem.incident
        return cls(
            incident=IncidentRef.of(incident),
            postmortem=PostmortemRef(
                id=postmortem.pk,
                version=postmortem.version,
                published_at=_instant(postmortem.published_at),
                url=_url("incidents:postmortem", incident.number),
            ),
        )

    def event_id(self) -> str:
        return f"{self.EVENT}:{self.postmortem.id}:v{self.postmortem.version}"


@dataclass(frozen=True, kw_only=True)
class ActionItemRef:
    id: int
    title: str
    status: str  # open, in_progress, blocked, done, wont_do
    due_date: str | None  # ISO date
    owner: str | None  # the owner's email
    api_url: str

    @classmethod
    def of(cls, item: ActionItem) -> ActionItemRef:
        return cls(
            id=item.pk,
            title=item.title,
            status=item.status,
            due_date=item.due_date.isoformat() if item.due_date else None,
            owner=_email(item.owner),
            api_url=_url("api:action-item-detail", item.pk),
        )


@dataclass(frozen=True, kw_only=True)
class ActionItemOverdue:
    """`action_item.overdue`: an open item passed its due date on its owner's local date (once per due
    date). `incident` is None for an item raised outside an incident (from a policy finding)."""

    EVENT: ClassVar[str] = "action_item.overdue"
    TITLE: ClassVar[str] = "Action item overdue"
    VERSION: ClassVar[int] = 1
    action_item: ActionItemRef
    incident: IncidentRef | None

    @classmethod
    def of(cls, item: ActionItem) -> ActionItemOverdue:
        return cls(
            action_item=ActionItemRef.of(item),
            incident=IncidentRef.of(item.incident) if item.incident_id and item.incident else None,
        )

    def event_id(self) -> str:
        return f"{self.EVENT}:{self.action_item.id}:{self.action_item.due_date}"


@dataclass(frozen=True, kw_only=True)
class FindingRef:
    id: int
    title: str
    area: str  # access_control, change_management, ...
    status: str  # open, remediating, ...
    api_url: str

    @classmethod
    def of(cls, finding: PolicyFinding) -> FindingRef:
        return cls(
            id=finding.pk,
            title=finding.title,
            area=finding.area,
            status=finding.status,
            api_url=_url("api:policy-finding-detail", finding.pk),
        )


@dataclass(frozen=True, kw_only=True)
class FindingReopened:
    """`finding.reopened`: a verified, closed or risk-accepted policy finding is open again (reopened
    by a person, seen again in an incident, or its risk acceptance ended); `reason` says why."""

    EVENT: ClassVar[str] = "finding.reopened"
    TITLE: ClassVar[str] = "Policy finding reopened"
    VERSION: ClassVar[int] = 1
    finding: FindingRef
    reason: str

    @classmethod
    def of(cls, finding: PolicyFinding, *, reason: str) -> FindingReopened:
        return cls(finding=FindingRef.of(finding), reason=reason)

    def event_id(self) -> str:
        return uuid.uuid4().hex


Payload = (
    IncidentDeclared
    | IncidentStatusChanged
    | UpdatePosted
    | PostmortemPublished
    | ActionItemOverdue
    | FindingReopened
)
PAYLOADS: tuple[type[Payload], ...] = (
    IncidentDeclared,
    IncidentStatusChanged,
    UpdatePosted,
    PostmortemPublished,
    ActionItemOverdue,
    FindingReopened,
)
# The event names an endpoint may subscribe to, in the README's order.
EVENTS: tuple[str, ...] = tuple(p.EVENT for p in PAYLOADS)


@dataclass(frozen=True)
class Subjects:
    """What a payload is about: incidents by number, action items and policy findings by id."""

    incident_numbers: frozenset[int] = frozenset()
    action_item_ids: frozenset[int] = frozenset()
    finding_ids: frozenset[int] = frozenset()


def subjects_of(payload: Payload) -> Subjects:
    """Every incident, action item and policy finding `payload` names, read from its fields.

    A postmortem or a stakeholder update is about its incident, which its event names too. Raises TypeError for a field holding
    an object of a kind this function does not know, so a new event kind cannot name something without
    saying what it is about (`webhook_dispatch` filters restricted incidents by these subjects).
    """
    numbers: set[int] = set()
    items: set[int] = set()
    findings: set[int] = set()
    for f in dataclasses.fields(payload):
        value = getattr(payload, f.name)
        if isinstance(value, IncidentRef):
            numbers.add(value.number)
        elif isinstance(value, ActionItemRef):
            items.add(value.id)
        elif isinstance(value, FindingRef):
            findings.add(value.id)
        elif value is None or isinstance(value, str | int | bool | PostmortemRef | UpdateRef):
            continue
        else:
            raise TypeError(f"{payload.EVENT}: say what field {f.name!r} ({type(value).__name__}) is about.")
    return Subjects(frozenset(numbers), frozenset(items), frozenset(findings))


# The objects a body's `data` may name, by key, and the field that identifies each (`postmortem` is about
# the incident its event names too, and so is `update`).
_BODY_REFS = {"incident": "number", "action_item": "id", "finding": "id", "postmortem": None, "update": None}


def subjects_of_body(data: Any) -> Subjects | None:
    """`subjects_of` for a stored body's `data` (a recorded delivery, read again when it is sent); None
    when `data` names an object of a kind not in `_BODY_REFS` or is not an object (treated as restricted:
    such a delivery goes only to endpoints that include restricted incidents)."""
    if data is None:
        return Subjects()  # a body without data names nothing
    if not isinstance(data, dict):
        return None
    found: dict[str, set[int]] = {"incident": set(), "action_item": set(), "finding": set()}
    for key, value in data.items():
        if not isinstance(value, dict):
            continue
        if key not in _BODY_REFS:
            return None
        id_field = _BODY_REFS[key]
        if id_field is not None:
            ref = value.get(id_field)
            if not isinstance(ref, int):
                return None
            found[key].add(ref)
    return Subjects(
        frozenset(found["incident"]), frozenset(found["action_item"]), frozenset(found["finding"])
    )


def webhook_body(payload: Payload, *, created_at: datetime) -> dict[str, Any]:
    """The JSON object POSTed for `payload`: `{"id", "event", "version", "created_at", "data"}`."""
    return {
        "id": payload.event_id(),
        "event": payload.EVENT,
        "version": payload.VERSION,
        "created_at": format_utc(created_at),
        "data": dataclasses.asdict(payload),
    }


def _instant(value: datetime | None) -> str | None:
    return format_utc(value) if value else None
