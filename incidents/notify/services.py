"""What other areas call when something happened that people or systems hear about.

One function per thing that has an effect (`incident_declared`, `incident_status_changed`, ...). Each is
called by the service that made the change, inside its transaction, and schedules its work with
`transaction.on_commit`: nothing is sent for a rolled-back write, and a failure while sending is logged and
never fails the write (`robust=True`). Emails and chat messages are claimed as delivery records and sent by
Celery (`delivery.py`, `messages.py`); outbound webhooks get one typed payload each (`payloads.py`), built
here from the change as it happened and recorded per endpoint (`webhooks.py`).

Inside `silenced()` (the demo loader, backfills) none of them queues anything: no delivery row, no
webhook, no chat post, no tracker push.

Also here: subscriptions and the severity mailing lists (settings).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from config.celery import app as celery_app
from incidents.models import (
    ActionItem,
    Incident,
    IncidentStatus,
    PolicyFinding,
    Postmortem,
    PostmortemReview,
    ReviewDecision,
    ReviewMeeting,
    Severity,
    SeverityMailingList,
    StakeholderUpdate,
    Subscription,
    TimelineEntry,
    TrackerIssue,
    TrackerPush,
)
from incidents.notify import delivery, meetings, messages, mirror, payloads, updates, webhooks
from incidents.notify import reviews as reviews_notify
from incidents.notify.event_state import EventState
from incidents.permissions.checks import authorize
from incidents.permissions.incident import can_subscribe_broadly, can_view_incident
from incidents.permissions.roles import can_manage_mailing_lists

_silenced: contextvars.ContextVar[bool] = contextvars.ContextVar("notify_silenced", default=False)


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Within this block no function here queues anything (emails, chat posts, webhooks, tracker pushes):
    the writes happen, nobody hears of them. For data that describes the past (`load_demo`, imports)."""
    token = _silenced.set(True)
    try:
        yield
    finally:
        _silenced.reset(token)


def is_silenced() -> bool:
    """True inside `silenced()`."""
    return _silenced.get()


def _after_commit(fn: Callable[[], Any]) -> None:
    if _silenced.get():
        return
    transaction.on_commit(fn, robust=True)


def _pk(actor: Any) -> int | None:
    return getattr(actor, "pk", None)


# --- Incidents -----------------------------------------------------------------------------------------


def incident_declared(incident: Incident, *, actor: Any, at: datetime | None = None) -> None:
    """`incident` was declared by `actor` (a User, or None for an alert) at `at` (aware; the declaration
    time, default now): email its subscribers (not the actor) and the severity's mailing list, post to its
    teams' chat, send the `incident.declared` webhook. The messages tell the incident as declared."""
    payload = payloads.IncidentDeclared.of(incident)
    actor_id = _pk(actor)
    state = EventState.of(incident, event="declared", at=at)
    _after_commit(
        lambda: messages.incident_notify(
            incident_id=incident.pk, event="declared", period="declared", state=state, actor_id=actor_id
        )
    )
    _after_commit(lambda: webhooks.webhook_dispatch(payload))


def incident_severity_raised(incident: Incident, *, old: str, at: datetime | None = None) -> None:
    """`incident`'s severity went up from `old` (a code) to `incident.severity` at `at` (aware; default
    now): email subscribers and the new severity's list, post to team chat, each telling the incident as
    that change left it. Lowering a severity tells no one."""
    period = f"severity:{incident.severity}:v{incident.version}"
    state = EventState.of(incident, event="severity_raised", at=at, old_severity=old)
    _after_commit(
        lambda: messages.incident_notify(
            incident_id=incident.pk, event="severity_raised", period=period, state=state
        )
    )


def incident_status_changed(incident: Incident, *, old: str, at: datetime | None = None) -> None:
    """`incident` moved from status `old` to `incident.status` (codes; resolving and reopening included)
    at `at` (aware; when it happened, which a backfill gives; default now).

    Resolving tells everyone a declaration told (subscribers, severity list, team chat); any other move
    tells only the incident's own subscribers, each message telling the incident as this move left it.
    Every move sends the `incident.status_changed` webhook.
    """
    payload = payloads.IncidentStatusChanged.of(incident, old=old)
    if incident.status == IncidentStatus.RESOLVED:
        stamp = incident.resolved_at.strftime("%Y%m%dT%H%M%S") if incident.resolved_at else "unknown"
        event, period = "resolved", f"resolved:{stamp}"
    else:
        event, period = "status_changed", f"status:{incident.status}:v{incident.version}"
    state = EventState.of(incident, event=event, at=at, old_status=old)
    _after_commit(
        lambda: messages.incident_notify(incident_id=incident.pk, event=event, period=period, state=state)
    )
    _after_commit(lambda: webhooks.webhook_dispatch(payload))
    _mirror(
        incident.pk,
        f"incident:{incident.pk}",
        f"status:{incident.status}:v{incident.version}:{mirror.period_stamp(at or timezone.now())}",
        title=incident.title,
    )


def incident_severity_changed(incident: Incident, *, old: str, at: datetime | None = None) -> None:
    """`incident`'s severity changed from `old` to `incident.severity` (up or down) at `at` (aware; default
    now): post it, with its time, to the incident's linked chat channels."""
    stamp = mirror.period_stamp(at or timezone.now())
    _mirror(
        incident.pk,
        f"incident:{incident.pk}",
        f"severity:{old}>{incident.severity}:v{incident.version}:{stamp}",
        title=incident.title,
    )


def stakeholder_update_posted(update: StakeholderUpdate, *, actor: Any) -> None:
    """`update` was posted on its incident by `actor`: after commit, email it once to the incident's
    subscribers (incident, services, teams) who may see it, not the actor, and for an internal incident
    to its severity's mailing list (`updates.stakeholder_update_notify`), and send the
    `incident.update_posted` webhook."""
    update_id, actor_id = update.pk, _pk(actor)
    payload = payloads.UpdatePosted.of(update)
    _after_commit(lambda: updates.stakeholder_update_notify(update_id=update_id, actor_id=actor_id))
    _after_commit(lambda: webhooks.webhook_dispatch(payload))


def timeline_entry_added(entry: TimelineEntry) -> None:
    """A timeline entry was written: one a person wrote in Hindsight (web or API, not from chat, not an
    import) is posted to the incident's linked chat channels."""
    if mirror.entry_is_mirrored(entry):
        _mirror(entry.incident_id, f"timeline_entry:{entry.pk}", "entry")


def _mirror(incident_id: int, object_key: str, period: str, *, title: str = "") -> None:
    """After commit, claim the posts into the incident's linked chat channels (`mirror.mirror_claim`:
    never for a restricted incident) and hand them to Celery; `title` is the incident's at the change."""
    _after_commit(
        lambda: mirror.mirror_claim(
            incident_id=incident_id, object_key=object_key, period=period, title=title
        )
    )


# --- Reviews -------------------------------------------------------------------------------------------


def postmortem_review_requested(postmortem: Postmortem, *, reviews: list[PostmortemReview]) -> None:
    """`reviews` were just requested on `postmortem`: email each reviewer (once per request)."""
    review_ids = [r.pk for r in reviews]
    _after_commit(lambda: reviews_notify.review_requested_notify(review_ids=review_ids))


def postmortem_review_requested_again(postmortem: Postmortem, *, review_ids: list[int]) -> None:
    """`postmortem`, reopened after publication, is in review again: email each reviewer of `review_ids`
    (their decision was reset by the reopening) that it waits for them (once per request)."""
    ids = list(review_ids)
    _after_commit(lambda: reviews_notify.review_requested_again_notify(review_ids=ids))


def postmortem_review_decided(review: PostmortemReview) -> None:
    """A reviewer decided: when they requested changes, email the postmortem's author."""
    if review.decision == ReviewDecision.CHANGES_REQUESTED:
        review_id = review.pk
        _after_commit(lambda: reviews_notify.review_decided_notify(review_id=review_id))


def postmortem_review_ready_again(postmortem: Postmortem, *, review_ids: list[int]) -> None:
    """`postmortem` got a new version after the reviews `review_ids` requested changes: email each of
    those reviewers that it waits for them again (once per changes request)."""
    ids = list(review_ids)
    _after_commit(lambda: reviews_notify.review_ready_again_notify(review_ids=ids))


def postmortem_approval_reset(postmortem: Postmortem, *, review_ids: list[int], actor: Any) -> None:
    """`postmortem` got a new version after the reviews `review_ids` approved an earlier one: email each
    of those reviewers (not `actor`, who saved it) that their approval was reset and the new version waits
    for them (once per version they approved)."""
    ids, actor_id = list(review_ids), _pk(actor)
    _after_commit(lambda: reviews_notify.review_approval_reset_notify(review_ids=ids, actor_id=actor_id))


def review_meeting_changed(meeting: ReviewMeeting, *, invited: list[int], cancelled: list[int]) -> None:
    """`meeting` was scheduled, changed or cancelled: after commit, email the invitation at its current
    sequence to `invited` (user ids) and the cancellation to `cancelled`, once each
    (`meetings.review_meeting_notify`)."""
    meeting_id, to_invite, to_cancel = meeting.pk, list(invited), list(cancelled)
    _after_commit(
        lambda: meetings.review_meeting_notify(meeting_id=meeting_id, invited=to_invite, cancelled=to_cancel)
    )


def postmortem_approved(postmortem: Postmortem) -> None:
    """Every reviewer approved `postmortem`'s current version: email its author (once per version)."""
    postmortem_id = postmortem.pk
    _after_commit(lambda: reviews_notify.postmortem_approved_notify(postmortem_id=postmortem_id))


def postmortem_published(postmortem: Postmortem, *, actor: Any) -> None:
    """`postmortem` was published by `actor`: announce it (summary, impact, lessons) to the incident's
    responders and subscribers who can see it, and send the `postmortem.published` webhook."""
    payload = payloads.PostmortemPublished.of(postmortem)
    postmortem_id, actor_id = postmortem.pk, _pk(actor)
    _after_commit(
        lambda: reviews_notify.postmortem_published_notify(postmortem_id=postmortem_id, actor_id=actor_id)
    )
    _after_commit(lambda: webhooks.webhook_dispatch(payload))


# --- Follow-up -----------------------------------------------------------------------------------------


def action_item_assigned(item: ActionItem, *, actor: Any) -> None:
    """`item` has a new owner: email them, unless they assigned it to themselves."""
    item_id, actor_id = item.pk, _pk(actor)
    _after_commit(lambda: messages.action_item_assigned_notify(item_id=item_id, actor_id=actor_id))


TRACKER_FIELDS = frozenset({"title", "status", "owner", "due_date"})  # what a tracker issue carries
PUSH_TASK = "incidents.integrations.trackers.tasks.push_to_tracker"


def action_item_changed(item: ActionItem, *, fields: Iterable[str]) -> None:
    """`item` was saved (at its current version) with `fields` changed: when it has a tracker issue and
    one of them is its title, status, owner or due date, record one `TrackerPush` (unique on the issue
    and the version) and queue `push_to_tracker` (by name: the tracker sync sits above notify) after
    commit (`delivery.records_publish`: never raises, never holds the save long). A broker that is down
    is logged; the tracker sweep sends pending pushes."""
    changed = sorted(TRACKER_FIELDS & set(fields))
    if not changed or _silenced.get():
        return
    issue_id = TrackerIssue.objects.filter(action_item_id=item.pk).values_list("pk", flat=True).first()
    if issue_id is None:
        return
    push, _ = TrackerPush.objects.get_or_create(
        issue_id=issue_id, item_version=item.version, defaults={"fields": changed}
    )
    delivery.records_publish(celery_app.signature(PUSH_TASK), [push.pk])


def tracker_pushes_queue(push_ids: Iterable[int]) -> None:
    """Queue `push_to_tracker` for each of `push_ids` (pushes waiting for another push of their issue to
    finish) after commit; never raises (a broker that is down is logged; the tracker sweep sends them)."""
    delivery.records_publish(celery_app.signature(PUSH_TASK), list(push_ids))


def policy_finding_assigned(finding: PolicyFinding, *, actor: Any) -> None:
    """`finding` has a new owner: email them, unless they assigned it to themselves."""
    finding_id, actor_id = finding.pk, _pk(actor)
    _after_commit(lambda: messages.policy_finding_assigned_notify(finding_id=finding_id, actor_id=actor_id))


def policy_finding_reopened(finding: PolicyFinding, *, reason: str) -> None:
    """`finding` is open again (reopened, seen again, or its risk acceptance ended): send the
    `finding.reopened` webhook with `reason`."""
    payload = payloads.FindingReopened.of(finding, reason=reason)
    _after_commit(lambda: webhooks.webhook_dispatch(payload))


# --- Subscriptions -----------------------------------------------------------------------------------


def subscription_set(
    *, actor: Any, subscribed: bool, service: Any = None, team: Any = None, incident: Any = None
) -> bool:
    """Subscribe `actor` to exactly one of a service, a team or an incident (or unsubscribe with
    `subscribed=False`). Idempotent. Returns whether the actor is subscribed afterwards. Raises
    ValueError unless exactly one target is given; AccessDenied for an incident the actor cannot see
    (as not found) and for a service or team unless they are a member (`can_subscribe_broadly`)."""
    targets = {
        k: v for k, v in {"service": service, "team": team, "incident": incident}.items() if v is not None
    }
    if len(targets) != 1:
        raise ValueError("Give exactly one of service, team or incident.")
    if incident is not None:
        authorize(
            actor,
            lambda u: can_view_incident(u, incident),
            visible=False,
            message="You cannot follow this incident.",
        )
    else:
        authorize(actor, can_subscribe_broadly, message="Only team members follow services and teams.")
    with transaction.atomic():
        if subscribed:
            Subscription.objects.get_or_create(user=actor, **targets)
        else:
            Subscription.objects.filter(user=actor, **targets).delete()
    return subscribed


# --- Settings: severity mailing lists ---------------------------------------------------------------------


@transaction.atomic
def severity_mailing_list_set(*, actor: Any, severity: str, addresses: str) -> list[str]:
    """Set the addresses told about every new incident of `severity` (one per line; empty clears the list).

    Admins only, as the lists cover every team (AccessDenied). Returns the stored addresses. Raises
    ValidationError keyed `addresses` naming any address that is not an email address.
    """
    authorize(actor, can_manage_mailing_lists, visible=False, message="Only admins manage mailing lists.")
    if severity not in Severity.values:
        raise ValidationError({"severity": "Choose a severity from SEV1 to SEV4."})
    wanted = [a.strip() for a in (addresses or "").replace(",", "\n").splitlines() if a.strip()]
    bad = []
    for address in wanted:
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        raise ValidationError({"addresses": f"Not an email address: {', '.join(bad)}."})
    SeverityMailingList.objects.update_or_create(severity=severity, defaults={"addresses": "\n".join(wanted)})
    return wanted
