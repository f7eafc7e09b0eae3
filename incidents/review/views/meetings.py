"""The review meeting's invitations, from meeting mode: schedule or move it, or cancel it. Each attendee is
emailed an .ics invitation in their own zone. Views parse, call one service, and redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from incidents.permissions.checks import require_write_review
from incidents.plural import counted
from incidents.review.forms import MeetingInviteForm
from incidents.review.services import meetings as services_meetings
from incidents.review.views.postmortems import _get_to_change


def _back(number: int) -> str:
    return reverse("incidents:meeting", args=[number]) + "#invitation"


@login_required
@require_POST
def meeting_invite(request: HttpRequest, number: int) -> HttpResponse:
    """POST starts_at (the facilitator's zone), duration_minutes, attendees: schedule the review meeting,
    or move the one scheduled; back to meeting mode with what was sent, or why not."""
    incident, pm = _get_to_change(request, number, require_write_review)
    form = MeetingInviteForm(request.POST, incident=incident, user=request.user)
    if not form.is_valid():
        said = [f"{form.fields[k].label}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items()]
        messages.error(request, " ".join(said))
        return redirect(_back(number))
    data = form.cleaned_data
    try:
        meeting = services_meetings.review_meeting_schedule(
            postmortem=pm,
            actor=request.user,
            starts_at=data["starts_at"],
            duration_minutes=data["duration_minutes"],
            attendees=data["attendees"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        people = counted(meeting.attendees.count(), "attendee")
        sent = "Invitations sent" if meeting.sequence == 0 else "Updated invitations sent"
        messages.success(request, f"{sent} to {people}.")
    return redirect(_back(number))


@login_required
@require_POST
def meeting_invite_cancel(request: HttpRequest, number: int) -> HttpResponse:
    """POST: cancel the scheduled review meeting; every attendee is sent the cancellation."""
    _, pm = _get_to_change(request, number, require_write_review)
    meeting = services_meetings.review_meeting_cancel(postmortem=pm, actor=request.user)
    if meeting is None:
        messages.error(request, "No review meeting is scheduled.")
    else:
        messages.success(request, "Meeting cancelled; its attendees are sent the cancellation.")
    return redirect(_back(number))
