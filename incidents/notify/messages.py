"""What each notification kind says, and who hears about incident events.

Message builders (registered with `register_kind`) load the current state at send time and return
None when there is nothing left to say (item closed, owner changed, recipient can no longer see it);
incident events are told as the event left the incident, from the snapshot each row keeps
(`event_state.py`).
The `*_notify` functions run after the write commits (`incidents.notify.services` schedules them): they
claim one delivery row per recipient and publish the sends.
"""

from __future__ import annotations

import logging
from datetime import UTC
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.utils import timezone

from accounts.models import Membership, Team, User
from incidents.emails import render_email, url_for
from incidents.incident import process
from incidents.models import (
    OPEN_ITEM_STATUSES,
    ActionItem,
    ActionItemStatus,
    FindingStatus,
    Incident,
    Notification,
    PolicyFinding,
    PostmortemStatus,
    SeverityMailingList,
    Subscription,
    Visibility,
)
from incidents.notify import selectors
from incidents.notify.claims import Wanted, notifications_claim_many
from incidents.notify.delivery import (
    ChatMessage,
    Outbound,
    notifications_publish,
    register_kind,
)
from incidents.notify.digests import digest_context, digest_window
from incidents.notify.event_state import EVENT_TIME_LABEL, EventState, chat_when, event_what
from incidents.notify.reminders import business_days_between, local_date
from incidents.notify.wording import kind_now, postmortem_due_wording, reminder_headline, reworded_claim
from incidents.permissions.followup import can_view_action_item, can_view_finding
from incidents.permissions.incident import can_view_incident

logger = logging.getLogger(__name__)


def _object_id(row: Notification) -> int:
    return int(row.object_key.split(":", 1)[1])


def _user_for(row: Notification) -> User | None:
    if row.user_id and row.user and row.user.is_active:
        return row.user
    return None


def incident_url(incident: Incident) -> str:
    """Absolute link to the incident's page."""
    return url_for("incidents:detail", incident.number)


def action_item_url(item: ActionItem) -> str:
    """Absolute link to the action item's page."""
    return url_for("incidents:action_item_detail", item.pk)


def finding_url(finding: PolicyFinding) -> str:
    """Absolute link to the policy finding's page."""
    return url_for("incidents:finding_detail", finding.pk)


def _on_deleted_incident(row: ActionItem | Incident | None) -> bool:
    """True for an action item of a soft-deleted incident, or a soft-deleted incident: checked again when
    the message is built, so whatever was queued before the deletion sends nothing."""
    incident = row if isinstance(row, Incident) else getattr(row, "incident", None)
    return incident is not None and incident.deleted_at is not None


@register_kind("reminder.due_soon", "reminder.due_today", "reminder.overdue", "reminder.escalation")
def build_action_item_reminder(row: Notification) -> Outbound | None:
    """Due soon / due today / overdue to the owner; escalation to the commander or team lead."""
    item = ActionItem.objects.select_related("owner", "incident", "team").filter(pk=_object_id(row)).first()
    user = _user_for(row)
    if item is None or item.status not in OPEN_ITEM_STATUSES or item.owner is None or user is None:
        return None
    if _on_deleted_incident(item):
        return None
    escalation = row.kind == "reminder.escalation"
    if escalation:
        if not can_view_action_item(user, item):
            return None
    elif item.owner_id != user.pk:
        return None
    today = local_date(timezone.now(), item.owner.time_zone)
    kind = "overdue" if escalation else kind_now(row.kind.split(".", 1)[1], item.due_date, today)
    if not escalation and not reworded_claim(row, kind, item.due_date, today):
        return None
    context = {
        "recipient": user,
        "item": item,
        "escalation": escalation,
        "kind": kind,
        "headline": reminder_headline(kind, item.due_date, today),
        "days_overdue": (today - item.due_date).days if item.due_date else 0,
        "item_url": action_item_url(item),
        "incident": item.incident if item.incident and can_view_incident(user, item.incident) else None,
    }
    return render_email("reminder", context, [row.recipient])


@register_kind("reminder.recheck")
def build_recheck_reminder(row: Notification) -> Outbound | None:
    """The re-check date of a done item has come: did it work?"""
    item = ActionItem.objects.select_related("owner", "incident").filter(pk=_object_id(row)).first()
    user = _user_for(row)
    if (
        item is None
        or user is None
        or item.owner_id != user.pk
        or item.status != ActionItemStatus.DONE
        or item.recheck_confirmed_at
        or _on_deleted_incident(item)
    ):
        return None
    return render_email(
        "recheck", {"recipient": user, "item": item, "item_url": action_item_url(item)}, [row.recipient]
    )


@register_kind("finding.due_soon", "finding.due_today", "finding.overdue", "finding.acceptance_expiring")
def build_finding_reminder(row: Notification) -> Outbound | None:
    """Due-date reminders and risk-acceptance expiry for a policy finding's owner."""
    finding = PolicyFinding.objects.select_related("owner").filter(pk=_object_id(row)).first()
    user = _user_for(row)
    if finding is None or user is None or finding.owner_id != user.pk:
        return None
    kind = row.kind.split(".", 1)[1]
    today = local_date(timezone.now(), user.time_zone)
    if kind == "acceptance_expiring":
        if finding.status != FindingStatus.RISK_ACCEPTED or not finding.risk_accepted_until:
            return None
        if finding.risk_accepted_until < today:  # the acceptance has ended: nothing "ends on" a past date
            return None
        headline = f"risk acceptance ends on {finding.risk_accepted_until:%a %d %b %Y}"
    else:
        if finding.status not in (FindingStatus.OPEN, FindingStatus.REMEDIATING):
            return None
        if not reworded_claim(row, kind_now(kind, finding.due_date, today), finding.due_date, today):
            return None
        headline = reminder_headline(kind, finding.due_date, today)
    context = {
        "recipient": user,
        "finding": finding,
        "headline": headline,
        "finding_url": finding_url(finding),
    }
    return render_email("finding_reminder", context, [row.recipient])


@register_kind("postmortem.unpublished")
def build_postmortem_reminder(row: Notification) -> Outbound | None:
    """The postmortem is still unpublished on its due date (its process rule's; else 5 business days
    after the resolve), to the commander; nothing once it is published or waived."""
    incident = Incident.objects.filter(pk=_object_id(row)).select_related("postmortem", "commander").first()
    user = _user_for(row)
    if incident is None or user is None or incident.commander_id != user.pk or incident.resolved_at is None:
        return None
    if _on_deleted_incident(incident) or incident.postmortem_waived_at is not None:
        return None
    postmortem = getattr(incident, "postmortem", None)
    if postmortem is not None and postmortem.status == PostmortemStatus.PUBLISHED:
        return None
    rule = process.rule_for(incident)
    zone = process.owner_zone(incident)
    today = timezone.now().astimezone(zone).date()
    due = process.postmortem_due(incident, rule)
    context = {
        "recipient": user,
        "incident": incident,
        "postmortem": postmortem,
        "incident_url": incident_url(incident),
        "required": rule.postmortem_required,
        "days": business_days_between(incident.resolved_at.astimezone(zone).date(), today),
        "due_date": due,
        **postmortem_due_wording(due, today, zone.key),
    }
    return render_email("postmortem_unpublished", context, [row.recipient])


# --- Incident events --------------------------------------------------------------------------------


def event_email_context(state: EventState, incident: Incident) -> dict[str, Any]:
    """The context of the `incident_event` email for `state` (the event's snapshot) about `incident`
    (as it is now: only its reference and link are read from it, plus a "Now" line when its status or
    severity moved on since the event)."""
    now = [incident.severity] if incident.severity != state.severity else []
    if incident.status != state.status:
        now.append(incident.get_status_display())
    return {
        "incident": incident,
        "state": state,
        "event": state.event,
        "what": event_what(state),
        "event_time_label": EVENT_TIME_LABEL.get(state.event, ""),
        "now_label": ", ".join(now),
        "incident_url": incident_url(incident),
    }


def _state_of(row: Notification, incident: Incident, event: str) -> EventState:
    """The state `row` stored when it was claimed; for a row claimed before snapshots were kept, the
    incident as it is now at the row's claim time."""
    stored = EventState.from_row(row.snapshot, row.event_at)
    return stored or EventState.of(incident, event=event, at=row.created_at)


@register_kind(
    "incident.declared", "incident.severity_raised", "incident.resolved", "incident.status_changed"
)
def build_incident_email(row: Notification) -> Outbound | None:
    """Tell a subscriber or a severity list about an incident event, as the event left the incident
    (the row's snapshot: `event_state.py`), times in the recipient's zone. A restricted incident is only
    told to users who can see it now, never to list addresses."""
    incident = (
        Incident.objects.filter(pk=_object_id(row), deleted_at__isnull=True)
        .select_related("commander")
        .prefetch_related("services")
        .first()
    )
    if incident is None:
        return None
    user = None
    if row.user_id:
        user = _user_for(row)
        if user is None or not can_view_incident(user, incident):
            return None
    elif incident.visibility != Visibility.INTERNAL:
        return None
    state = _state_of(row, incident, row.kind.split(".", 1)[1])
    # A person reads times in their own zone; a list address (many readers) in UTC.
    zone = user.time_zone if row.user_id and user is not None else "UTC"
    return render_email(
        "incident_event", event_email_context(state, incident), [row.recipient], time_zone=zone
    )


@register_kind("chat.incident")
def build_chat_message(row: Notification) -> Outbound | None:
    """One line for a team's chat channel, as the event left the incident (the row's snapshot), its time
    in the team's zone; internal incidents only (a channel is not a permission)."""
    incident = Incident.objects.filter(pk=_object_id(row), deleted_at__isnull=True).first()
    if incident is None or incident.visibility != Visibility.INTERNAL:
        return None
    state = _state_of(row, incident, row.period.split(":", 1)[0])
    team = Team.objects.filter(chat_webhook_url=row.recipient).order_by("id").first()
    when = chat_when(state, team.tzinfo if team else UTC)
    text = f"[{state.severity}] {incident.reference} {state.title}: {event_what(state)}{when}. {incident_url(incident)}"
    return ChatMessage(url=row.recipient, text=text)


def incident_audience(
    incident: Incident, *, include_lists: bool
) -> tuple[list[tuple[int, str]], list[str], list[str]]:
    """Who hears about `incident`: (users (id, email) subscribed to it, its services or teams (or the
    teams owning its services) who can see it; severity-list addresses; team chat webhook URLs).
    Lists and chat only for internal incidents."""
    team_ids = set(incident.teams.values_list("id", flat=True)) | set(
        incident.services.exclude(team__isnull=True).values_list("team_id", flat=True)
    )
    service_ids = set(incident.services.values_list("id", flat=True))
    subs = (
        Subscription.objects.filter(user__is_active=True)
        .filter(Q(incident=incident) | Q(service_id__in=service_ids) | Q(team_id__in=team_ids))
        .select_related("user")
    )
    users: dict[int, str] = {}
    for sub in subs:
        if sub.user_id not in users and can_view_incident(sub.user, incident):
            users[sub.user_id] = sub.user.email
    addresses: list[str] = []
    hooks: list[str] = []
    if include_lists and incident.visibility == Visibility.INTERNAL:
        mailing = SeverityMailingList.objects.filter(severity=incident.severity).first()
        if mailing:
            addresses = mailing.address_list
        hooks = sorted(
            set(
                Team.objects.filter(id__in=team_ids)
                .exclude(chat_webhook_url="")
                .values_list("chat_webhook_url", flat=True)
            )
        )
    return sorted(users.items()), addresses, hooks


def incident_notify(
    *, incident_id: int, event: str, period: str, state: EventState, actor_id: int | None = None
) -> list[int]:
    """Claim and publish the notifications for one incident event, each row keeping `state` (the
    incident as the event left it, which the message is rendered from). Returns the claimed row ids.

    `period` names the event (e.g. `declared`, `severity:SEV1:v4`), so re-running it for the same event
    sends nothing new. Declared, severity raised and resolved reach subscribers, the severity list and
    team chat; other status changes reach only the incident's own subscribers.
    """
    incident = Incident.objects.filter(pk=incident_id, deleted_at__isnull=True).first()
    if incident is None:
        return []
    broad = event in {"declared", "severity_raised", "resolved"}
    users, addresses, hooks = incident_audience(incident, include_lists=broad)
    if not broad:
        subscribed = set(Subscription.objects.filter(incident=incident).values_list("user_id", flat=True))
        users = [u for u in users if u[0] in subscribed]
    key = f"incident:{incident.pk}"
    kind = f"incident.{event}"
    snap, at = state.to_json(), state.at
    wanted = [
        Wanted(email, kind, key, period, user_id, snapshot=snap, event_at=at)
        for user_id, email in users
        if user_id != actor_id
    ]
    wanted += [Wanted(address, kind, key, period, snapshot=snap, event_at=at) for address in addresses]
    chat_period = f"{event}:{period}"[:40]
    wanted += [Wanted(url, "chat.incident", key, chat_period, snapshot=snap, event_at=at) for url in hooks]
    ids = notifications_claim_many(wanted)
    notifications_publish(ids)
    return ids


# --- Assignment -------------------------------------------------------------------------------------


def action_item_assigned_notify(*, item_id: int, actor_id: int | None) -> list[int]:
    """Claim and publish the email telling an action item's owner it is theirs (not when they assigned it
    to themselves; once per owner and item version). Returns the claimed row ids."""
    item = ActionItem.objects.select_related("owner").filter(pk=item_id).first()
    if item is None or item.owner is None or not item.owner.is_active or item.owner_id == actor_id:
        return []
    period = f"owner:{item.owner_id}:v{item.version}"
    wanted = Wanted(item.owner.email, "assigned.action_item", f"action_item:{item.pk}", period, item.owner_id)
    ids = notifications_claim_many([wanted])
    notifications_publish(ids)
    return ids


def policy_finding_assigned_notify(*, finding_id: int, actor_id: int | None) -> list[int]:
    """Claim and publish the email telling a policy finding's owner it is theirs (as for action items)."""
    finding = PolicyFinding.objects.select_related("owner").filter(pk=finding_id).first()
    if (
        finding is None
        or finding.owner is None
        or not finding.owner.is_active
        or finding.owner_id == actor_id
    ):
        return []
    period = f"owner:{finding.owner_id}:v{finding.version}"
    wanted = Wanted(
        finding.owner.email,
        "assigned.policy_finding",
        f"policy_finding:{finding.pk}",
        period,
        finding.owner_id,
    )
    ids = notifications_claim_many([wanted])
    notifications_publish(ids)
    return ids


@register_kind("assigned.action_item")
def build_item_assigned(row: Notification) -> Outbound | None:
    item = ActionItem.objects.select_related("owner", "incident").filter(pk=_object_id(row)).first()
    user = _user_for(row)
    if item is None or user is None or item.owner_id != user.pk or item.status not in OPEN_ITEM_STATUSES:
        return None
    if _on_deleted_incident(item):
        return None
    context = {
        "recipient": user,
        "thing": "action item",
        "title": item.title,
        "due_date": item.due_date,
        "url": action_item_url(item),
    }
    return render_email("assigned", context, [row.recipient])


@register_kind("assigned.policy_finding")
def build_finding_assigned(row: Notification) -> Outbound | None:
    finding = PolicyFinding.objects.select_related("owner").filter(pk=_object_id(row)).first()
    user = _user_for(row)
    if finding is None or user is None or finding.owner_id != user.pk or not can_view_finding(user, finding):
        return None
    context = {
        "recipient": user,
        "thing": "policy finding",
        "title": finding.title,
        "due_date": finding.due_date,
        "url": finding_url(finding),
    }
    return render_email("assigned", context, [row.recipient])


# --- Digests ----------------------------------------------------------------------------------------


@register_kind("digest.weekly")
def build_weekly_digest(row: Notification) -> Outbound | None:
    """The user's weekly digest, built now through the permission scopes; nothing when empty."""
    user = User.objects.filter(pk=_object_id(row), is_active=True, digest_enabled=True).first()
    if user is None:
        return None
    return digest_email(user, now=timezone.now())


def digest_email(user: User, *, now: Any, in_progress: bool = False) -> EmailMultiAlternatives | None:
    """The weekly digest email for `user` at `now`, or None when there is nothing to report
    (`in_progress`: an on-demand digest, whose recap is the week in progress)."""
    context = digest_context(user, now=now, in_progress=in_progress)
    if context["is_empty"]:
        return None
    for i in context["overdue"] + context["due_this_week"] + context["to_verify_items"]:
        i.link = action_item_url(i)
    for f in context["findings"] + context["to_verify_findings"]:
        f.link = finding_url(f)
    for i in context["incidents"]:
        i.link = incident_url(i)
    for r in context["reviews"]:
        r.link = incident_url(r.postmortem.incident)
    for i in context["postmortems_overdue"]:
        i.link = incident_url(i)
    return render_email("digest", context, [user.email], time_zone=user.time_zone)


@register_kind("digest.team")
def build_team_digest(row: Notification) -> Outbound | None:
    """A team lead's weekly list of the team's due-date target breaches; nothing when there are none."""
    user = _user_for(row)
    team = Team.objects.filter(pk=_object_id(row)).first()
    if user is None or team is None:
        return None
    if not Membership.objects.filter(user=user, team=team, role=Membership.Role.LEAD).exists():
        return None
    breaches = selectors.team_breach_items(team.pk, user)
    if not breaches:
        return None
    window = digest_window(timezone.now(), user.time_zone)
    context = {
        "recipient": user,
        "team": team,
        "breaches": [(i, action_item_url(i)) for i in breaches],
        "window": window,
    }
    return render_email("team_digest", context, [row.recipient])
