"""Stakeholder updates by email: each update sent once to the incident's stakeholders, and the reminder to
its communications lead (else its commander) when the promised next update is due and none was posted.

Delivery keys (`Notification`, unique on recipient, kind, object and period) make both at-most-once:
`incident.update` is keyed `stakeholder_update:<id>` / `posted`, so a re-run or a retried task sends
nothing twice; `update.due` is keyed `incident:<id>` / `update:<latest update id>`, one reminder per
promise. Builders re-read everything at send time and send nothing to someone who may no longer see the
incident, and nothing about a restricted incident to a list address (its readers are unknown).
"""

from __future__ import annotations

from accounts.models import User
from incidents.emails import render_email, url_for
from incidents.models import ACTIVE_STATUSES, Incident, Notification, StakeholderUpdate, Visibility
from incidents.notify.claims import Wanted, notifications_claim_many
from incidents.notify.delivery import Outbound, notifications_publish, register_kind
from incidents.notify.messages import incident_audience
from incidents.permissions.incident import can_view_incident

UPDATE_KIND = "incident.update"
DUE_KIND = "update.due"


def _object_id(row: Notification) -> int:
    return int(row.object_key.split(":", 1)[1])


def _active_user(row: Notification) -> User | None:
    user = row.user if row.user_id else None
    return user if user is not None and user.is_active else None


def stakeholder_update_notify(*, update_id: int, actor_id: int | None = None) -> list[int]:
    """Claim and publish the emails of stakeholder update `update_id`: the users subscribed to its incident,
    its services or its teams who may see it (not `actor_id`, who posted it) and, for an internal incident,
    the addresses of its severity's mailing list. Returns the claimed row ids (none on a second run)."""
    update = StakeholderUpdate.objects.select_related("incident").filter(pk=update_id).first()
    if update is None or update.incident.deleted_at is not None:
        return []
    users, addresses, _ = incident_audience(update.incident, include_lists=True)
    key = f"stakeholder_update:{update.pk}"
    # Addresses first: a list address that is also a subscriber's is claimed once, as the person.
    wanted = [Wanted(address, UPDATE_KIND, key, "posted") for address in addresses]
    wanted += [Wanted(email, UPDATE_KIND, key, "posted", uid) for uid, email in users if uid != actor_id]
    ids = notifications_claim_many(wanted)
    notifications_publish(ids)
    return ids


@register_kind(UPDATE_KIND)
def build_update_email(row: Notification) -> Outbound | None:
    """One stakeholder update for one recipient, times in their zone (a list address: UTC)."""
    update = (
        StakeholderUpdate.objects.select_related("incident", "incident__commander", "posted_by")
        .filter(pk=_object_id(row))
        .first()
    )
    if update is None or update.incident.deleted_at is not None:
        return None
    incident = update.incident
    user = None
    if row.user_id:
        user = _active_user(row)
        if user is None or not can_view_incident(user, incident):
            return None
    elif incident.visibility != Visibility.INTERNAL:
        return None
    context = {
        "update": update,
        "incident": incident,
        "incident_url": url_for("incidents:detail", incident.number),
    }
    zone = user.time_zone if user is not None else "UTC"
    return render_email("stakeholder_update", context, [row.recipient], time_zone=zone)


def _due_target(incident: Incident) -> int | None:
    """Who the due reminder goes to: the active communications lead, else the active commander."""
    for person in (incident.communications_lead, incident.commander):
        if person is not None and person.is_active:
            return person.pk
    return None


@register_kind(DUE_KIND)
def build_update_due(row: Notification) -> Outbound | None:
    """The promised next update is due: to the incident's communications lead (else commander), while it is
    still the incident's latest update, the incident is open and the recipient still holds the role."""
    incident = (
        Incident.objects.filter(pk=_object_id(row), deleted_at__isnull=True, status__in=ACTIVE_STATUSES)
        .select_related("communications_lead", "commander")
        .first()
    )
    user = _active_user(row)
    if incident is None or user is None or _due_target(incident) != user.pk:
        return None
    if not can_view_incident(user, incident):
        return None
    latest = incident.stakeholder_updates.order_by("-posted_at", "-id").first()
    if latest is None or f"update:{latest.pk}" != row.period or latest.next_update_at is None:
        return None
    context = {
        "recipient": user,
        "incident": incident,
        "update": latest,
        "incident_url": url_for("incidents:detail", incident.number) + "#updates",
        "role": "communications lead" if incident.communications_lead_id == user.pk else "commander",
    }
    return render_email("update_due", context, [row.recipient], time_zone=user.time_zone)
