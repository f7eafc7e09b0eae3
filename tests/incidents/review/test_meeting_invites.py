"""The review meeting's invitations: the facilitator schedules it in their zone; each attendee is emailed an
.ics invitation (METHOD:REQUEST, a stable UID, DTSTART in UTC) naming the start in their own zone; moving it
sends SEQUENCE+1 with the same UID, cancelling sends METHOD:CANCEL; a restricted incident's invitation goes
to nobody outside it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from incidents.errors import AccessDenied
from incidents.models import Notification, ReviewMeeting, TimelineEntry, Visibility
from incidents.review.services import meetings
from incidents.review.services.postmortems import postmortem_start
from tests.factories import IncidentFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
START = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)  # 15:00 in Amsterdam (CET), 06:00 in Los Angeles (PST)


@pytest.fixture
def people(team, commander, incident):
    amsterdam = UserFactory(
        email="ams@example.com", display_name="Anke Amsterdam", time_zone="Europe/Amsterdam"
    )
    los_angeles = UserFactory(
        email="la@example.com", display_name="Luis Angeles", time_zone="America/Los_Angeles"
    )
    for person in (amsterdam, los_angeles):
        MembershipFactory(user=person, team=team)
        incident.participants.add(person)
    commander.time_zone = "Europe/London"
    commander.save()
    return amsterdam, los_angeles


@pytest.fixture
def postmortem(incident, commander):
    return postmortem_start(incident=incident, actor=commander)


def _sent(django_capture_on_commit_callbacks, call):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = call()
    return result, {m.to[0]: m for m in mail.outbox}


def _invite(message) -> Calendar:
    parts = [p for p in message.message().walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return Calendar.from_ical(parts[0].get_payload(decode=True))


def _event(calendar: Calendar):
    (event,) = calendar.walk("VEVENT")
    return event


@time_machine.travel(NOW, tick=False)
def test_the_invitation_parses_and_names_the_right_local_time_for_attendees_in_two_zones(
    commander, people, postmortem, eager_celery, django_capture_on_commit_callbacks
):
    amsterdam, los_angeles = people
    meeting, sent = _sent(
        django_capture_on_commit_callbacks,
        lambda: meetings.review_meeting_schedule(
            postmortem=postmortem,
            actor=commander,
            starts_at=START,
            duration_minutes=45,
            attendees=[amsterdam, los_angeles],
        ),
    )
    assert set(sent) == {"ams@example.com", "la@example.com"}
    for address, local in (
        ("ams@example.com", "2026-12-08 15:00 CET"),
        ("la@example.com", "2026-12-08 06:00 PST"),
    ):
        message = sent[address]
        calendar = _invite(message)
        assert calendar["METHOD"] == "REQUEST"
        event = _event(calendar)
        assert str(event["UID"]) == meeting.uid
        assert int(event["SEQUENCE"]) == 0
        assert event.decoded("DTSTART") == START
        assert event.decoded("DTSTART").utcoffset() == timedelta(0)
        assert event["DTSTART"].to_ical() == b"20261208T140000Z"
        assert event.decoded("DTEND") == datetime(2026, 12, 8, 14, 45, tzinfo=UTC)
        assert {str(a) for a in event.get("ATTENDEE")} == {"mailto:ams@example.com", "mailto:la@example.com"}
        assert str(event["ORGANIZER"]) == "mailto:commander@example.com"
        assert local in str(event["DESCRIPTION"])
        html = message.alternatives[0][0]
        assert local in message.body
        assert local in html
        assert local in message.subject
        assert "45 minutes" in message.body
    assert "15:00 CET" not in sent["la@example.com"].body
    assert TimelineEntry.objects.filter(body="Review meeting scheduled (2 attendees, 45 min)").exists()


@time_machine.travel(NOW, tick=False)
def test_moving_the_meeting_keeps_the_uid_and_raises_the_sequence_and_cancelling_sends_cancel(
    commander, people, postmortem, eager_celery, django_capture_on_commit_callbacks
):
    amsterdam, los_angeles = people
    meeting = meetings.review_meeting_schedule(
        postmortem=postmortem,
        actor=commander,
        starts_at=START,
        duration_minutes=60,
        attendees=[amsterdam, los_angeles],
    )
    later = datetime(2026, 12, 9, 9, 30, tzinfo=UTC)
    moved, sent = _sent(
        django_capture_on_commit_callbacks,
        lambda: meetings.review_meeting_schedule(
            postmortem=postmortem,
            actor=commander,
            starts_at=later,
            duration_minutes=60,
            attendees=[amsterdam],
        ),
    )
    assert moved.pk == meeting.pk
    assert set(sent) == {"ams@example.com", "la@example.com"}
    update = _event(_invite(sent["ams@example.com"]))
    assert (str(update["UID"]), int(update["SEQUENCE"])) == (meeting.uid, 1)
    assert update.decoded("DTSTART") == later
    assert sent["ams@example.com"].subject.startswith("Updated: ")
    assert "2026-12-09 10:30 CET" in sent["ams@example.com"].body
    dropped = _invite(sent["la@example.com"])  # taken off the meeting: a cancellation for them
    assert dropped["METHOD"] == "CANCEL"
    assert int(_event(dropped)["SEQUENCE"]) == 1
    assert "you are no longer invited" in sent["la@example.com"].body

    _, again = _sent(
        django_capture_on_commit_callbacks,
        lambda: meetings.review_meeting_schedule(
            postmortem=postmortem,
            actor=commander,
            starts_at=later,
            duration_minutes=60,
            attendees=[amsterdam],
        ),
    )
    assert again == {}  # the same again changes nothing and emails no one

    cancelled, sent = _sent(
        django_capture_on_commit_callbacks,
        lambda: meetings.review_meeting_cancel(postmortem=postmortem, actor=commander),
    )
    assert set(sent) == {"ams@example.com"}
    calendar = _invite(sent["ams@example.com"])
    assert calendar["METHOD"] == "CANCEL"
    event = _event(calendar)
    assert (str(event["UID"]), int(event["SEQUENCE"]), str(event["STATUS"])) == (meeting.uid, 2, "CANCELLED")
    assert sent["ams@example.com"].subject.startswith("Cancelled: ")
    assert cancelled.cancelled_at is not None
    assert meetings.review_meeting_cancel(postmortem=postmortem, actor=commander) is None
    rescheduled = meetings.review_meeting_schedule(
        postmortem=postmortem, actor=commander, starts_at=later, duration_minutes=30, attendees=[amsterdam]
    )
    assert rescheduled.uid != meeting.uid  # a new meeting, a new UID
    assert [
        b
        for b in TimelineEntry.objects.values_list("body", flat=True).order_by("id")
        if b.startswith("Review")
    ] == [
        "Review meeting scheduled (2 attendees, 60 min)",
        "Review meeting moved (1 attendee, 60 min)",
        "Review meeting cancelled",
        "Review meeting scheduled (1 attendee, 30 min)",
    ]


@time_machine.travel(NOW, tick=False)
def test_a_rerun_of_the_notify_step_sends_nothing_twice(
    commander, people, postmortem, eager_celery, django_capture_on_commit_callbacks
):
    from incidents.notify.meetings import review_meeting_notify

    amsterdam, _ = people
    _, sent = _sent(
        django_capture_on_commit_callbacks,
        lambda: meetings.review_meeting_schedule(
            postmortem=postmortem,
            actor=commander,
            starts_at=START,
            duration_minutes=60,
            attendees=[amsterdam],
        ),
    )
    assert len(sent) == 1
    meeting = ReviewMeeting.objects.get()
    assert review_meeting_notify(meeting_id=meeting.pk, invited=[amsterdam.pk], cancelled=[]) == []
    assert Notification.objects.filter(kind="review.meeting").count() == 1


@time_machine.travel(NOW, tick=False)
def test_only_people_of_the_incident_may_be_invited_and_a_start_in_the_past_is_refused(
    commander, people, postmortem, outsider
):
    from django.core.exceptions import ValidationError

    amsterdam, _ = people
    with pytest.raises(ValidationError) as refused:
        meetings.review_meeting_schedule(
            postmortem=postmortem, actor=commander, starts_at=START, duration_minutes=60, attendees=[outsider]
        )
    assert "attendees" in refused.value.message_dict
    with pytest.raises(ValidationError) as past:
        meetings.review_meeting_schedule(
            postmortem=postmortem,
            actor=commander,
            starts_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
            duration_minutes=600,
            attendees=[amsterdam],
        )
    assert set(past.value.message_dict) == {"starts_at", "duration_minutes"}
    assert not ReviewMeeting.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_viewer_may_not_schedule_and_an_outsider_of_a_restricted_incident_gets_404(
    client_for, viewer, outsider, commander, team, people, postmortem
):
    amsterdam, _ = people
    url = reverse("incidents:meeting_invite", args=[postmortem.incident.number])
    body = {"starts_at": "2026-12-08T15:00", "duration_minutes": "60", "attendees": [amsterdam.pk]}
    assert client_for(viewer).post(url, body).status_code == 403
    with pytest.raises(AccessDenied):
        meetings.review_meeting_schedule(
            postmortem=postmortem, actor=viewer, starts_at=START, duration_minutes=60, attendees=[amsterdam]
        )
    restricted = IncidentFactory(commander=commander, visibility=Visibility.RESTRICTED)
    restricted.participants.add(commander)
    postmortem_start(incident=restricted, actor=commander)
    hidden = reverse("incidents:meeting_invite", args=[restricted.number])
    assert client_for(outsider).post(hidden, body).status_code == 404
    assert not ReviewMeeting.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_facilitator_schedules_from_meeting_mode_in_their_own_zone(
    client_for, commander, people, postmortem, eager_celery, django_capture_on_commit_callbacks
):
    amsterdam, los_angeles = people
    client = client_for(commander)  # in Europe/London: 14:00 there is 14:00 UTC in December
    page = client.get(reverse("incidents:meeting", args=[postmortem.incident.number])).content.decode()
    assert "Send invitations" in page
    assert "Anke Amsterdam" in page
    url = reverse("incidents:meeting_invite", args=[postmortem.incident.number])
    body = {
        "starts_at": "2026-12-08T14:00",
        "duration_minutes": "60",
        "attendees": [amsterdam.pk, los_angeles.pk],
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, body)
    assert response.status_code == 302
    meeting = ReviewMeeting.objects.get()
    assert meeting.starts_at == START
    assert len(mail.outbox) == 2
    page = client.get(reverse("incidents:meeting", args=[postmortem.incident.number])).content.decode()
    assert "Send updated invitations" in page
    assert "Invitations sent to 2 attendees." in page
    cancel = reverse("incidents:meeting_invite_cancel", args=[postmortem.incident.number])
    assert client.post(cancel).status_code == 302
    assert ReviewMeeting.objects.get().cancelled_at is not None
