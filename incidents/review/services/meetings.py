"""The postmortem review meeting: its facilitator schedules it (a start, a duration, attendees among the
incident's people), moves it or cancels it; every attendee is emailed an iCalendar invitation
(`incidents.notify.meetings`) in their own zone, again when it changes, and a cancellation when it is
cancelled or they are taken off it.

Every write checks its actor first (`require_write_review`: the postmortem's author and those who may
record on the incident; not found for those who cannot see it, else 403), is its own transaction, writes
one timeline row, and queues the emails after commit. Errors: `ValidationError` keyed `starts_at`,
`duration_minutes` or `attendees`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.models import Postmortem, ReviewMeeting
from incidents.notify import services as notify
from incidents.permissions.checks import actor_user, refuse_people, require_write_review
from incidents.permissions.people import users_who_may_attend
from incidents.plural import counted
from incidents.review.selectors import review_meeting_current
from incidents.review.services.postmortems import lock_postmortem
from incidents.timeline.services import system_entry

MIN_MINUTES, MAX_MINUTES = 15, 8 * 60
PAST_GRACE = timedelta(minutes=5)  # a form sent a moment after the minute it names is not "in the past"


def _clean(
    postmortem: Postmortem, starts_at: datetime, duration_minutes: int, attendees: Iterable[Any]
) -> list[Any]:
    errors: dict[str, str] = {}
    if starts_at is None or timezone.is_naive(starts_at):
        errors["starts_at"] = "Give the start with its time zone."
    elif starts_at < timezone.now() - PAST_GRACE:
        errors["starts_at"] = "The meeting cannot start in the past."
    if not isinstance(duration_minutes, int) or not MIN_MINUTES <= duration_minutes <= MAX_MINUTES:
        errors["duration_minutes"] = f"Between {MIN_MINUTES} minutes and {MAX_MINUTES // 60} hours."
    people = list({p.pk: p for p in attendees if p is not None}.values())
    allowed = set(
        users_who_may_attend(postmortem.incident)
        .filter(pk__in=[p.pk for p in people])
        .values_list("pk", flat=True)
    )
    if not people:
        errors["attendees"] = "Invite at least one person."
    elif outside := [p for p in people if p.pk not in allowed]:
        names = ", ".join(str(p) for p in outside)
        errors["attendees"] = (
            f"Invite people of this incident (taking part in it, or its reviewers): not {names}."
        )
    if errors:
        raise ValidationError(errors)
    return people


@transaction.atomic
def review_meeting_schedule(
    *,
    postmortem: Postmortem,
    actor: Any,
    starts_at: datetime,
    duration_minutes: int,
    attendees: Iterable[Any],
) -> ReviewMeeting:
    """Schedule the postmortem's review meeting, or change the one scheduled: `starts_at` (aware, not in the
    past), `duration_minutes` (15 to 480), `attendees` (people of the incident: `users_who_may_attend`).

    A new meeting (sequence 0) invites every attendee. A change (another time, duration or attendee list)
    raises the sequence by one, sends the updated invitation to every attendee and a cancellation to
    those taken off; sending the same again changes nothing and emails no one. The postmortem's meeting
    time and attendees (meeting mode) follow. One timeline row: "Review meeting scheduled" or "moved"."""
    require_write_review(actor, postmortem)
    attendees = list(attendees)
    # Someone the actor may not pick is refused as an unknown id is, before anyone is named.
    refuse_people(actor, {"attendees": attendees}, incidents=[postmortem.incident])
    people = _clean(postmortem, starts_at, duration_minutes, attendees)
    pm = lock_postmortem(postmortem)
    meeting = review_meeting_current(pm)
    wanted = {p.pk for p in people}
    removed: list[int] = []
    if meeting is None:
        meeting = ReviewMeeting.objects.create(
            postmortem=pm,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            facilitator=actor_user(actor),
        )
        body = f"Review meeting scheduled ({counted(len(people), 'attendee')}, {duration_minutes} min)"
    else:
        had = {p.pk for p in meeting.attendees.all()}
        moved = meeting.starts_at != starts_at or meeting.duration_minutes != duration_minutes
        if not moved and had == wanted:
            return meeting
        removed = sorted(had - wanted)
        meeting.starts_at, meeting.duration_minutes = starts_at, duration_minutes
        meeting.sequence += 1
        meeting.facilitator = actor_user(actor) or meeting.facilitator
        meeting.updated_at = timezone.now()
        meeting.save(update_fields=["starts_at", "duration_minutes", "sequence", "facilitator", "updated_at"])
        body = (
            f"Review meeting moved ({counted(len(people), 'attendee')}, {duration_minutes} min)"
            if moved
            else f"Review meeting attendees changed ({counted(len(people), 'attendee')})"
        )
    meeting.attendees.set(people)
    pm.meeting_at = starts_at
    pm.updated_at = timezone.now()
    pm.save(update_fields=["meeting_at", "updated_at"])
    pm.meeting_attendees.set(people)
    system_entry(incident=pm.incident, actor=actor, body=body)
    notify.review_meeting_changed(meeting, invited=sorted(wanted), cancelled=removed)
    return meeting


@transaction.atomic
def review_meeting_cancel(*, postmortem: Postmortem, actor: Any) -> ReviewMeeting | None:
    """Cancel the postmortem's scheduled review meeting: its sequence goes up by one and every attendee
    is sent the cancellation (METHOD:CANCEL). None, and nothing sent, when no meeting is scheduled. One
    "Review meeting cancelled" timeline row."""
    require_write_review(actor, postmortem)
    pm = lock_postmortem(postmortem)
    meeting = review_meeting_current(pm)
    if meeting is None:
        return None
    meeting.cancelled_at = meeting.updated_at = timezone.now()
    meeting.sequence += 1
    meeting.save(update_fields=["cancelled_at", "updated_at", "sequence"])
    attendees = sorted(p.pk for p in meeting.attendees.all())
    system_entry(incident=pm.incident, actor=actor, body="Review meeting cancelled")
    notify.review_meeting_changed(meeting, invited=[], cancelled=attendees)
    return meeting
