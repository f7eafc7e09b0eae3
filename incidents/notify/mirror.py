"""Mirroring an incident into its linked chat channels (Slack, Mattermost; `ChatChannel`).

What is posted: timeline entries written on the web or through the API (not those that came from chat,
so a channel never gets its own messages back, nor imports or Hindsight's own rows), every status change
and every severity change. Each post is a `Notification` of kind `chat.mirror` for the channel
(`recipient` `<provider>:<workspace>:<channel id>`), claimed once and sent by Celery with the one
back-off (`delivery.py`), like an email. Never for a restricted incident: nothing is claimed for one, and
the message is built again at send time from the database, so a post queued before the incident became
restricted (or before the channel was unlinked, or the entry removed) sends nothing.
"""

from __future__ import annotations

from datetime import UTC

from incidents.emails import url_for
from incidents.integrations.chat.clients import chat_escape
from incidents.models import (
    ChatChannel,
    EntryKind,
    EntrySource,
    Incident,
    IncidentStatus,
    Notification,
    TimelineEntry,
    Visibility,
)
from incidents.notify.delivery import Wanted, notifications_claim_many, notifications_publish, register_kind
from incidents.notify.transports import ChannelPost
from incidents.timefmt import format_time

KIND = "chat.mirror"
# Entries people wrote in Hindsight; chat's own (CHAT), imports and Hindsight's system rows are not posted.
MIRRORED_SOURCES = frozenset({EntrySource.WEB, EntrySource.API})
MAX_TEXT = 3000


def channel_address(channel: ChatChannel) -> str:
    """The `recipient` of a mirror post: `<provider>:<workspace>:<channel id>`."""
    return f"{channel.provider}:{channel.workspace}:{channel.channel_id}"


def entry_is_mirrored(entry: TimelineEntry) -> bool:
    """True for an entry a person wrote in Hindsight (web or API), not a status row."""
    return entry.source in MIRRORED_SOURCES and entry.kind != EntryKind.STATUS_CHANGE


def mirror_claim(*, incident_id: int, object_key: str, period: str) -> list[int]:
    """Claim one `chat.mirror` post per channel linked to the incident and publish them; none for a
    restricted or deleted incident. `object_key` is `timeline_entry:<id>` or `incident:<id>`; `period`
    names the event (`entry`, `status:<code>:v<version>`, `severity:<old>><new>:v<version>`), so claiming
    the same event again posts nothing. Returns the claimed row ids."""
    incident = Incident.objects.filter(pk=incident_id, deleted_at__isnull=True).first()
    if incident is None or incident.visibility != Visibility.INTERNAL:
        return []
    wanted = [
        Wanted(channel_address(c), KIND, object_key, period)
        for c in ChatChannel.objects.filter(incident=incident)
    ]
    ids = notifications_claim_many(wanted)
    notifications_publish(ids)
    return ids


def _linked(row: Notification, incident: Incident) -> tuple[str, str, str] | None:
    provider, _, rest = row.recipient.partition(":")
    workspace, _, channel_id = rest.partition(":")
    still = ChatChannel.objects.filter(
        provider=provider, workspace=workspace, channel_id=channel_id, incident=incident
    ).exists()
    return (provider, workspace, channel_id) if still else None


@register_kind(KIND)
def build_mirror_post(row: Notification) -> ChannelPost | None:
    """The post for one mirror row, from the database as it is now; None (skipped) when the incident is
    gone or restricted, the channel no longer linked to it, or the entry removed."""
    what, _, pk = row.object_key.partition(":")
    entry = None
    if what == "timeline_entry":
        entry = TimelineEntry.objects.select_related("incident", "author").filter(pk=int(pk)).first()
        if entry is None or entry.removed_at is not None:
            return None
        incident = entry.incident
    else:
        found = Incident.objects.filter(pk=int(pk)).first()
        if found is None:
            return None
        incident = found
    if incident.deleted_at is not None or incident.visibility != Visibility.INTERNAL:
        return None
    where = _linked(row, incident)
    if where is None:
        return None
    provider = where[0]
    head = f"{incident.reference} {incident.title}"
    if entry is not None:
        when = format_time(entry.occurred_at, UTC)
        text = f"{head} · {entry.display_author}, {when}: {entry.body}"
    elif row.period.startswith("status:"):
        status = row.period.split(":")[1]
        label = dict(IncidentStatus.choices).get(status, status).lower()
        text = f"{head}: status is now {label}."
    else:
        old, _, new = row.period.split(":")[1].partition(">")
        text = f"{head}: severity changed from {old} to {new}."
    text = chat_escape(provider, text[:MAX_TEXT]) + f"\n{url_for('incidents:detail', incident.number)}"
    return ChannelPost(provider=provider, workspace=where[1], channel=where[2], text=text)
