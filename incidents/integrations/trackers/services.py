"""Tracker sync writes: "Create in tracker", webhooks and the reconcile sweep (a team's tracker settings:
configuration.py; the choice on a field changed on both sides: conflicts.py).

How the tracker's state (from a webhook or a read) moves an item: `inbound.py` (ordered by the tracker's
`updated_at`, compared field by field with what was last seen and agreed; a field changed on both sides
is a conflict the item page asks about, never resolved silently). Errors: ValidationError keyed by field, AccessDenied (incidents.permissions),
TrackerError (the tracker refused or is unreachable), SignatureInvalid for an unsigned webhook.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from incidents.errors import ConflictError
from incidents.followup.services.items import (
    action_item_update,
)
from incidents.integrations.trackers.base import (
    IssueDraft,
    SignatureInvalid,
    TrackerError,
)
from incidents.integrations.trackers.configuration import ADAPTERS, adapter_for
from incidents.integrations.trackers.credentials import CredentialUnreadable, decrypt
from incidents.integrations.trackers.inbound import (
    hindsight_values,
    sync_issue,
)
from incidents.integrations.trackers.models import (
    TrackerConnection,
    TrackerDelivery,
    TrackerIssue,
    TrackerIssueClaim,
)
from incidents.markdown import markdown_text
from incidents.models import OPEN_ITEM_STATUSES, ActionItem, Priority
from incidents.permissions.checks import (
    SYSTEM,
    actor_user,
    require_send_action_item_to_tracker,
)
from incidents.permissions.followup import (
    restricted_action_items_q,
)
from incidents.timeline.services import system_entry

log = logging.getLogger(__name__)


class TrackerNotFound(Exception):
    """No active tracker with that id (the webhook answers 404)."""


class TrackerIssueTaken(ConflictError):
    """ "Create in tracker" on an item that has its issue already, or that another request is opening
    right now: nothing was opened (409 in the API; the message says which, and who is opening it).
    `current` is the item's issue key, or None while it is being opened."""


class PayloadInvalid(ValueError):
    """A signed webhook whose body is not a JSON object."""


# --- Create in tracker ---------------------------------------------------------------------------------


def connection_for(item: ActionItem) -> TrackerConnection | None:
    """The active tracker of the item's team, else of the first of its incident's teams (by name), else
    of the first team (by name) owning one of the incident's services."""
    active = TrackerConnection.objects.filter(is_active=True)
    if item.team_id is not None and (found := active.filter(team_id=item.team_id).first()):
        return found
    if item.incident_id is None:
        return None
    found = active.filter(team__incidents=item.incident_id).order_by("team__name").first()
    return found or active.filter(team__services__incidents=item.incident_id).order_by("team__name").first()


def identity_for(connection: TrackerConnection, user: Any) -> str:
    """The tracker identity mapped to `user`'s email, or '' (the issue is then left unassigned)."""
    if user is None:
        return ""
    email = user.email.lower()
    return next((i for i, e in (connection.user_map or {}).items() if e.lower() == email), "")


def item_link(item: ActionItem) -> str:
    """The action item's page, absolute (`SITE_URL`)."""
    return settings.SITE_URL.rstrip("/") + reverse("incidents:action_item_detail", args=[item.pk])


ALREADY_SENT = "This action item is in the tracker already."
BEING_SENT = (
    "{who} is opening it in the tracker right now: nothing else was opened. The item's tracker panel "
    "shows the issue as soon as it is open."
)


def _key_of(item_id: int) -> dict[str, str | None]:
    key = TrackerIssue.objects.filter(action_item_id=item_id).values_list("key", flat=True).first()
    return {"key": key}


def claim_state(item_id: int) -> tuple[str | None, bool]:
    """The item's claim, before its issue exists, in one query: (who is opening the issue right now, or
    None; whether the last attempt got no answer, so its issue may be open: `uncertain`). Who: the name
    of the person holding a claim younger than `CLAIM_SECONDS`, "Hindsight" for the P1 sweep (or a
    since-deleted user)."""
    claim = (
        TrackerIssueClaim.objects.select_related("claimed_by")
        .filter(action_item_id=item_id, action_item__tracker_issue__isnull=True)
        .first()
    )
    if claim is None:
        return None, False
    if claim.uncertain:
        return None, True
    if claim.claimed_at < timezone.now() - timedelta(seconds=TrackerIssueClaim.CLAIM_SECONDS):
        return None, False
    return (str(claim.claimed_by) if claim.claimed_by is not None else "Hindsight"), False


def claim_holder(item_id: int) -> str | None:
    """Who is opening the item's issue right now (`claim_state`), or None when nobody is."""
    return claim_state(item_id)[0]


def _claim(item: ActionItem, connection: TrackerConnection, actor: Any) -> tuple[datetime, datetime | None]:
    """Take the item's claim to open its issue, committed before the tracker is called (so a second
    "Create in tracker" at once sees it). Returns (the claim's time, since): `since` is when an earlier
    attempt began that may have opened the issue (its claim was left `uncertain`, or is older than
    `CLAIM_SECONDS`: its process died while calling the tracker), else None. TrackerIssueTaken when the
    item has its issue, or another request holds a claim younger than `CLAIM_SECONDS` (naming who:
    "Cora Commander is opening it in the tracker right now ...")."""
    now = timezone.now()
    try:
        with transaction.atomic():
            TrackerIssueClaim.objects.create(
                action_item_id=item.pk, connection=connection, claimed_by=actor_user(actor), claimed_at=now
            )
        return now, None
    except IntegrityError:
        if TrackerIssue.objects.filter(action_item_id=item.pk).exists():
            raise TrackerIssueTaken(_key_of(item.pk), ALREADY_SENT) from None
    held = TrackerIssueClaim.objects.filter(action_item_id=item.pk).first()
    stale = now - timedelta(seconds=TrackerIssueClaim.CLAIM_SECONDS)
    if held is not None and (held.uncertain or held.claimed_at < stale):
        # A conditional update: of two takeovers at once, one matches (the other sees the new time).
        taken = TrackerIssueClaim.objects.filter(
            pk=held.pk, claimed_at=held.claimed_at, uncertain=held.uncertain
        ).update(claimed_at=now, claimed_by=actor_user(actor), connection=connection, uncertain=False)
        if taken:
            return now, held.claimed_at
    who = claim_holder(item.pk) or "Someone"
    raise TrackerIssueTaken(None, BEING_SENT.format(who=who))


UNANSWERED = (
    "{tracker} did not answer in time, so it may have opened the issue. Try again: Hindsight first "
    "looks for an issue with this item's link and takes it, and opens one only when there is none."
)


NOT_LOOKED = (
    "An earlier attempt got no answer from {tracker}, so it may have opened the issue, and Hindsight "
    "could not look for it ({error}). Nothing was opened: try again."
)


class NothingToAdopt(Exception):
    """The sweep looked for the issue an unanswered create may have opened, and there is none (yet)."""


def _create(
    item: ActionItem, connection: TrackerConnection, actor: Any, *, adopt_only: bool = False
) -> TrackerIssue:
    """Open the item's issue, or adopt the one an earlier unanswered attempt opened; with `adopt_only`
    (the sweep, on an uncertain claim) never open one: NothingToAdopt when none is found."""
    adapter = adapter_for(connection)
    assignee = identity_for(connection, item.owner)
    draft = IssueDraft(
        title=item.title,
        description=item.description,
        link=item_link(item),
        assignee=assignee,
        due_date=item.due_date,
    )
    claimed_at, since = _claim(item, connection, actor)
    mine = TrackerIssueClaim.objects.filter(action_item_id=item.pk, claimed_at=claimed_at)
    looked = since is None
    try:
        # Outside the transaction: a slow tracker holds no lock. An earlier attempt may have opened it.
        new = None if since is None else adapter.find_issue(draft.link, since)
        looked = True
        if new is None and adopt_only:
            raise NothingToAdopt  # the claim stays uncertain (below): a click or the next sweep looks again
        new = new or adapter.create_issue(draft)
    except TrackerError as exc:
        if exc.uncertain or not looked:  # it may be open: the next attempt looks for it first
            mine.update(uncertain=True)
            said = UNANSWERED if exc.uncertain else NOT_LOOKED
            raise TrackerError(said.format(tracker=adapter.label, error=exc), status=exc.status) from exc
        mine.delete()  # not opened: drop this claim (never one another request took over), so it can be tried again
        raise
    except CredentialUnreadable:
        mine.delete()
        raise
    except BaseException:
        mine.update(uncertain=True)  # stopped while the tracker was asked: it may have opened it
        raise
    if not new.url.startswith(("https://", "http://")):
        new = replace(new, url="")  # only a web address is ever linked (never javascript: and the like)
    with transaction.atomic():
        current = ActionItem.objects.select_for_update().get(pk=item.pk)
        if TrackerIssue.objects.filter(action_item=current).exists():
            raise TrackerIssueTaken(_key_of(item.pk), ALREADY_SENT)
        values = {**hindsight_values(current), "title": current.title}
        seen = {
            "title": current.title,
            "status": "open",
            "owner": current.owner_id if assignee else None,
            "due_date": values["due_date"] if adapter.has_due_date else None,
        }
        issue = TrackerIssue.objects.create(
            action_item=current, connection=connection, key=new.key, external_id=new.external_id,
            url=new.url, remote_status="open", remote_assignee=assignee,
            remote_due_date=current.due_date if adapter.has_due_date else None,
            seen=seen, agreed=values,
        )  # fmt: skip
        if not current.tracker_url and new.url:
            action_item_update(item=current, actor=actor, tracker_url=new.url)
        if current.incident is not None:
            system_entry(
                incident=current.incident,
                actor=actor,
                body=f"Action item {markdown_text(current.title)} opened in "
                f"{adapter.label} as {markdown_text(new.key)}.",
            )
    return issue


def tracker_issue_create(*, actor: Any, item: ActionItem) -> TrackerIssue:
    """Open an issue for `item` in its team's tracker (title, description, link back, owner, due date).

    Whoever may edit the item, never for an item on a restricted incident (AccessDenied). TrackerIssueTaken
    (a ConflictError: 409) when it has an issue already or another request is opening it right now (the
    item is claimed first: `TrackerIssueClaim`, so two clicks at once open one issue). ValidationError
    keyed `tracker` when no team of the item has a tracker, or when the tracker refuses (its own
    message) or cannot be reached; nothing is stored then. A create that was sent but got no answer (a timeout, a connection reset) may have opened
    the issue: its claim is kept, `uncertain`, and the next attempt looks for the issue carrying the
    item's link back (`Tracker.find_issue`) and adopts it, opening one only when there is none.
    """
    require_send_action_item_to_tracker(actor, item)
    connection = connection_for(item)
    if connection is None:
        raise ValidationError({"tracker": "No team of this action item has an issue tracker set up."})
    if TrackerIssue.objects.filter(action_item=item).exists():
        raise TrackerIssueTaken(_key_of(item.pk), ALREADY_SENT)
    try:
        return _create(item, connection, actor)
    except (TrackerError, CredentialUnreadable) as exc:
        raise ValidationError({"tracker": str(exc)}) from exc


# --- Inbound: webhooks and the sweep --------------------------------------------------------------------


@dataclass
class WebhookResult:
    """What one webhook did: `duplicate` (a delivery id already applied: nothing changed), the fields
    applied per issue key, and the keys Hindsight has no item for (ignored)."""

    duplicate: bool = False
    applied: dict[str, list[str]] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    tracker: str = ""  # the tracker's label and project, for `detail`
    project: str = ""

    @property
    def detail(self) -> str:
        """What the delivery did, in a sentence or two for whoever reads the tracker's delivery log."""
        if self.duplicate:
            return "This delivery was applied before: nothing changed."
        said = []
        if not self.applied and not self.unknown:
            said.append(
                f"Nothing to apply: not an event about an issue of {self.project} that Hindsight reads "
                "(an issue closed, reopened, assigned or unassigned; its status, resolution, assignee or "
                "due date changed)."
            )
        for key, names in self.applied.items():
            said.append(f"{key}: {', '.join(names)} applied." if names else f"{key}: nothing new.")
        if self.unknown:
            said.append(f"No action item is linked to {', '.join(self.unknown)} in {self.tracker}: ignored.")
        return " ".join(said)


def tracker_webhook_receive(*, tracker_id: int, headers: Mapping[str, str], body: bytes) -> WebhookResult:
    """Verify and apply one webhook delivery of tracker `tracker_id` (the tracker's own authentication:
    its signature over the raw `body`, constant-time compared).

    Raises TrackerNotFound (no active tracker), SignatureInvalid (no secret set, no or a wrong signature;
    nothing is stored), PayloadInvalid (signed but not a JSON object). A delivery id seen before
    (`X-GitHub-Delivery`, `X-Atlassian-Webhook-Identifier`; else the body's SHA-256) changes nothing.
    """
    connection = TrackerConnection.objects.filter(pk=tracker_id, is_active=True).first()
    if connection is None:
        raise TrackerNotFound
    try:
        secret = decrypt(connection.webhook_secret_encrypted)
    except CredentialUnreadable as exc:
        raise SignatureInvalid(str(exc)) from exc
    if not secret:
        raise SignatureInvalid("This tracker has no webhook secret: set one in Settings → Issue trackers.")
    adapter = ADAPTERS[connection.kind](site_url=connection.site_url, project=connection.project, token="")
    adapter.verify(secret, headers, body)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nested thousands deep
        raise PayloadInvalid("The body is not JSON.") from exc
    if not isinstance(payload, dict):
        raise PayloadInvalid("Expected a JSON object.")
    updates = adapter.parse_webhook(headers, payload)
    delivery = adapter.delivery_id(headers) or "sha256:" + hashlib.sha256(body).hexdigest()
    result = WebhookResult(tracker=adapter.label, project=connection.project)
    with transaction.atomic():
        try:
            with transaction.atomic():
                TrackerDelivery.objects.create(connection=connection, delivery_id=delivery)
        except IntegrityError:
            return replace(result, duplicate=True)
        for update in updates:
            issue = (
                TrackerIssue.objects.select_for_update()
                .select_related("connection")
                .filter(connection=connection, key=update.state.key)
                .first()
            )
            if issue is None:
                result.unknown.append(update.state.key)
                continue
            result.applied[issue.key] = sync_issue(issue, update.state, update.changed)
    return result


@dataclass
class ReconcileResult:
    """One sweep: issues read, fields applied, issues created for P1 items, issues adopted (opened by a
    create that got no answer), trackers that failed."""

    checked: int = 0
    applied: int = 0
    created: int = 0
    adopted: int = 0
    errors: list[str] = field(default_factory=list)


def tracker_reconcile(*, limit: int = 500) -> ReconcileResult:
    """The periodic sweep (Hindsight acting on its own): read the state of up to `limit` linked issues,
    oldest sync first, and apply it as a webhook would (so a missed webhook is caught; a sweep that finds
    nothing new changes nothing); open issues for open P1 items of trackers with `auto_create_p1`
    (never for items on restricted incidents); adopt the issue a "Create in tracker" that got no answer
    opened (its claim `uncertain`), never opening one itself. A tracker that fails is logged and skipped."""
    result = ReconcileResult()
    for connection in TrackerConnection.objects.filter(is_active=True, auto_create_p1=True):
        items = (
            ActionItem.objects.filter(
                team=connection.team, priority=Priority.P1, status__in=OPEN_ITEM_STATUSES,
                tracker_issue__isnull=True,
            )
            .exclude(restricted_action_items_q())
            .exclude(incident__deleted_at__isnull=False)
            .order_by("id")[:50]
        )  # fmt: skip
        for item in items:
            try:
                _create(item, connection, SYSTEM)
                result.created += 1
            except (TrackerError, CredentialUnreadable, ValidationError, TrackerIssueTaken) as exc:
                log.warning(
                    "tracker %s: creating an issue for item %s failed: %s", connection.pk, item.pk, exc
                )
                result.errors.append(f"{connection}: {exc}")
                break
    uncertain = (
        ActionItem.objects.filter(
            tracker_claim__uncertain=True,
            tracker_claim__connection__is_active=True,
            tracker_issue__isnull=True,
        )
        .exclude(restricted_action_items_q())
        .exclude(incident__deleted_at__isnull=False)
        .select_related("owner", "tracker_claim__connection")
        .order_by("id")[:50]
    )
    for item in uncertain:
        try:
            _create(item, item.tracker_claim.connection, SYSTEM, adopt_only=True)
            result.adopted += 1
        except NothingToAdopt:
            continue
        except (TrackerError, CredentialUnreadable, ValidationError, TrackerIssueTaken) as exc:
            log.warning("tracker: looking for item %s's unanswered issue failed: %s", item.pk, exc)
            result.errors.append(f"{item.tracker_claim.connection}: {exc}")
    ids = list(
        TrackerIssue.objects.filter(connection__is_active=True)
        .order_by("synced_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    failed: set[int] = set()
    for issue_id in ids:
        issue = TrackerIssue.objects.select_related("connection").get(pk=issue_id)
        if issue.connection_id in failed:
            continue
        try:
            state = adapter_for(issue.connection).fetch_state(issue.key, issue.external_id)
        except (TrackerError, CredentialUnreadable) as exc:
            log.warning("tracker %s: reading %s failed: %s", issue.connection_id, issue.key, exc)
            result.errors.append(f"{issue.connection} ({issue.key}): {exc}")
            if getattr(exc, "status", None) not in (404, 410):  # one missing issue stops nothing else
                failed.add(issue.connection_id)
            else:
                TrackerIssue.objects.filter(pk=issue_id).update(synced_at=timezone.now())  # to the back
            continue
        with transaction.atomic():
            locked = TrackerIssue.objects.select_for_update().select_related("connection").get(pk=issue_id)
            result.applied += len(sync_issue(locked, state, None))
        result.checked += 1
    return result
