"""The review meeting's invitations by email, each with an iCalendar (`.ics`) part built with `icalendar`.

Delivery keys (`Notification`, unique on recipient, kind, object and period) make every message
at-most-once: kind `review.meeting`, object `review_meeting:<id>`, period `request:<sequence>` (invited,
or the invitation updated) or `cancel:<sequence>` (the meeting cancelled, or the recipient taken off it).
The builder re-reads the meeting at send time and sends nothing that is out of date (a later change has
its own message), nothing to someone no longer invited, and nothing to anyone who may not see the incident.

The invitation: `METHOD:REQUEST` (or `CANCEL`), one `VEVENT` whose `UID` is the meeting's (stable across
changes) and whose `SEQUENCE` is the meeting's, `DTSTART`/`DTEND` in UTC (`...Z`); the email and the
event's description name the start in the recipient's own zone.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC
from email.mime.text import MIMEText
from typing import Any

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from accounts.models import User
from incidents.emails import render_email, url_for
from incidents.models import Notification, ReviewMeeting
from incidents.notify.claims import Wanted, notifications_claim_many
from incidents.notify.delivery import Outbound, notifications_publish, register_kind
from incidents.permissions.incident import can_view_incident
from incidents.timefmt import format_time

MEETING_KIND = "review.meeting"
REQUEST, CANCEL = "REQUEST", "CANCEL"


def review_meeting_notify(*, meeting_id: int, invited: list[int], cancelled: list[int]) -> list[int]:
    """Claim and publish the invitations of meeting `meeting_id` at its current sequence: `invited` (user
    ids) get the invitation, `cancelled` the cancellation. Returns the claimed row ids (none on a rerun)."""
    meeting = ReviewMeeting.objects.filter(pk=meeting_id).first()
    if meeting is None:
        return []
    key, seq = f"review_meeting:{meeting.pk}", meeting.sequence
    emails = dict(
        User.objects.filter(pk__in=[*invited, *cancelled], is_active=True).values_list("pk", "email")
    )
    wanted = [Wanted(emails[u], MEETING_KIND, key, f"request:{seq}", u) for u in invited if u in emails]
    wanted += [Wanted(emails[u], MEETING_KIND, key, f"cancel:{seq}", u) for u in cancelled if u in emails]
    ids = notifications_claim_many(wanted)
    notifications_publish(ids)
    return ids


def _person(user: Any) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email}")
    address.params["cn"] = vText(user.display_name or user.email)
    return address


def meeting_ics(meeting: ReviewMeeting, *, method: str, recipient: Any, attendees: list[Any]) -> bytes:
    """The meeting as an iCalendar object (bytes) for `recipient`: `method` REQUEST or CANCEL, the
    meeting's UID and SEQUENCE, DTSTART and DTEND in UTC, the organizer (the facilitator, else Hindsight's
    sender address), `attendees` with RSVP, and a description naming the start in the recipient's zone."""
    incident = meeting.postmortem.incident
    calendar = Calendar()
    calendar.add("prodid", "-//Hindsight//Postmortem review meeting//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", meeting.starts_at.astimezone(UTC))
    event.add("dtend", meeting.ends_at.astimezone(UTC))
    event.add("summary", f"Postmortem review: {incident.reference} {incident.title}")
    link = url_for("incidents:meeting", incident.number)
    local = format_time(meeting.starts_at, _zone(recipient), offset=True)
    event.add("description", f"Starts {local} (your time zone). Meeting mode: {link}")
    event.add("url", link)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    facilitator = meeting.facilitator
    organizer = vCalAddress(f"mailto:{facilitator.email if facilitator else settings.DEFAULT_FROM_EMAIL}")
    organizer.params["cn"] = vText(
        facilitator.display_name or facilitator.email if facilitator else "Hindsight"
    )
    event.add("organizer", organizer)
    for person in attendees:
        address = _person(person)
        address.params["role"] = vText("REQ-PARTICIPANT")
        address.params["partstat"] = vText("NEEDS-ACTION")
        address.params["rsvp"] = vText("TRUE")
        event.add("attendee", address, encode=False)
    calendar.add_component(event)
    return calendar.to_ical()


def _zone(user: Any) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


@register_kind(MEETING_KIND)
def build_meeting_email(row: Notification) -> Outbound | None:
    """One invitation (or cancellation) for one attendee, the time in their zone and the .ics attached;
    None when the meeting changed again since (its own message follows), the recipient is no longer
    invited (request) or invited again (cancel), or may not see the incident."""
    meeting = (
        ReviewMeeting.objects.select_related("postmortem__incident", "facilitator")
        .filter(pk=int(row.object_key.split(":", 1)[1]))
        .first()
    )
    user = row.user if row.user_id else None
    if meeting is None or user is None or not user.is_active:
        return None
    incident = meeting.postmortem.incident
    if incident.deleted_at is not None or not can_view_incident(user, incident):
        return None
    action, _, seq = row.period.partition(":")
    if str(meeting.sequence) != seq:
        return None
    attendees = list(meeting.attendees.order_by("display_name", "email"))
    invited = any(a.pk == user.pk for a in attendees)
    if action == "request" and (meeting.cancelled_at is not None or not invited):
        return None
    if action == "cancel" and meeting.cancelled_at is None and invited:
        return None
    method = REQUEST if action == "request" else CANCEL
    context = {
        "recipient": user,
        "meeting": meeting,
        "incident": incident,
        "cancelled": method == CANCEL,
        "updated": meeting.sequence > 0,
        "attendees": attendees,
        "meeting_url": url_for("incidents:meeting", incident.number),
    }
    message = render_email("review_meeting", context, [row.recipient], time_zone=user.time_zone)
    ics = meeting_ics(meeting, method=method, recipient=user, attendees=attendees)
    part = MIMEText(ics.decode(), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    message.attach(part)
    return message
