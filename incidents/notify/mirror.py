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

from datetime import UTC, datetime, tzinfo

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
from incidents.notify.claims import Wanted, notifications_claim_many
from incidents.notify.delivery import notifications_publish, register_kind
from incidents.notify.transports import ChannelPost
from incidents.timefmt import format_chat_time

KIND = "chat.mirror"
# Entries people wrote in Hindsight; chat's own (CHAT), imports and Hindsight's system rows are not posted.
MIRRORED_SOURCES = frozenset({EntrySource.WEB, EntrySource.API})
MAX_TEXT = 3000


def period_stamp(at: datetime) -> str:
    """`at` (aware) as the end of a status or severity post's `period`: whole seconds since the epoch
    (`1795957320`; short, as the period column is), so the post states when the change happened, also
    for a change backfilled at its real time."""
    return str(int(at.timestamp()))


def _period_time(period: str) -> datetime | None:
    """The instant `period_stamp` wrote at the end of `period`; None for a period written without one."""
    stamp = period.rsplit(":", 1)[-1]
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 11:
        return None
    return datetime.fromtimestamp(int(stamp), tz=UTC)


def chat_zone(incident: Incident) -> tzinfo:
    """The zone an incident's chat posts state times in: its first team's (by id), else the first team
    owning one of its services, else UTC."""
    team = incident.teams.order_by("id").first()
    if team is None:
        service = incident.services.filter(team__isnull=False).select_related("team").order_by("id").first()
        team = service.team if service is not None else None
    return team.tzinfo if team is not None else UTC


def channel_address(channel: ChatChannel) -> str:
    """The `recipient` of a mirror post: `<provider>:<workspace>:<channel id>`."""
    return f"{channel.provider}:{channel.workspace}:{channel.channel_id}"


def entry_is_mirrored(entry: TimelineEntry) -> bool:
    """True for an entry a person wrote in Hindsight (web or API), not a status row."""
    return entry.source in MIRRORED_SOURCES and entry.kind != EntryKind.STATUS_CHANGE


def mirror_claim(*, incident_id: int, object_key: str, period: str, title: str = "") -> list[int]:
    """Claim one `chat.mirror` post per channel linked to the incident and publish them; none for a
    restricted or deleted incident. `object_key` is `timeline_entry:<id>` or `incident:<id>`; `period`
    names the event (`entry`, `status:<code>:v<version>`, `severity:<old>><new>:v<version>`), so claiming
    the same event again posts nothing. `title` (the incident's when a status or severity changed) is kept
    on each row (`snapshot`), so the post names the incident as it was called then. Returns the claimed
    row ids."""
    incident = Incident.objects.filter(pk=incident_id, deleted_at__isnull=True).first()
    if incident is None or incident.visibility != Visibility.INTERNAL:
        return []
    snapshot = {"title": title} if title else None
    wanted = [
        Wanted(channel_address(c), KIND, object_key, period, snapshot=snapshot)
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
    gone or restricted, the channel no longer linked to it, or the entry removed. Times are in the
    incident's team zone with UTC beside them (`timefmt.format_chat_time`: `14:02 CET (13:02 UTC)`): an
    entry's own time, a status or severity change's time from its period (when the row was queued for
    one queued before periods carried it)."""
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
    head = f"{incident.reference} {(row.snapshot or {}).get('title') or incident.title}"
    zone = chat_zone(incident)
    if entry is not None:
        when = format_chat_time(entry.occurred_at, zone)
        text = f"{head} · {entry.display_author}, {when}: {entry.body}"
    else:
        when = format_chat_time(_period_time(row.period) or row.created_at, zone)
        if row.period.startswith("status:"):
            status = row.period.split(":")[1]
            label = dict(IncidentStatus.choices).get(status, status).lower()
            text = f"{head}: status is now {label} at {when}."
        else:
            old, _, new = row.period.split(":")[1].partition(">")
            text = f"{head}: severity changed from {old} to {new} at {when}."
    text = chat_escape(provider, text[:MAX_TEXT]) + f"\n{url_for('incidents:detail', incident.number)}"
    return ChannelPost(provider=provider, workspace=where[1], channel=where[2], text=text)
