"""An incident event's email and chat post tell the incident as the event left it, at the event's own
time in each recipient's zone, however late the worker sends them (issue 16 outsider: a severity email
said "Status: Resolved" for a change made while the incident was open)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from accounts.models import Membership
from incidents.incident.services.declare import incident_declare
from incidents.incident.services.lifecycle import (
    incident_change_severity,
    incident_reopen,
    incident_resolve,
)
from incidents.models import Incident, Notification, Subscription
from incidents.notify import messages
from incidents.notify.delivery import notification_deliver
from tests.factories import MembershipFactory, ServiceFactory, UserFactory
from tests.mail import html_part

pytestmark = pytest.mark.django_db

STARTED = dt.datetime(2026, 7, 12, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def held(monkeypatch):
    """Claims are made but nothing is sent until the test delivers the rows itself (a slow worker)."""
    monkeypatch.setattr(messages, "notifications_publish", lambda ids: None)


@pytest.fixture
def readers(team, held):
    """Two subscribers of the incident's service, one in Copenhagen and one on Lord Howe Island."""
    service = ServiceFactory(name="Database", slug="database", team=team)
    people = {}
    for name, zone in (("copenhagen", "Europe/Copenhagen"), ("lordhowe", "Australia/Lord_Howe")):
        user = UserFactory(email=f"{name}@example.com", time_zone=zone)
        MembershipFactory(user=user, team=team, role=Membership.Role.VIEWER)
        Subscription.objects.create(user=user, service=service)
        people[name] = user
    return service, people


def _deliver(kind: str) -> dict[str, mail.EmailMessage]:
    """Send the held rows of `kind` now; the emails by recipient."""
    mail.outbox.clear()
    for row in Notification.objects.filter(kind=kind, status="pending"):
        notification_deliver(notification_id=row.pk)
    return {m.to[0]: m for m in mail.outbox}


def test_a_severity_email_sent_after_the_resolve_tells_the_status_and_time_of_the_change(
    readers, responder, django_capture_on_commit_callbacks
):
    service, people = readers
    with (
        time_machine.travel(STARTED + dt.timedelta(minutes=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        incident = incident_declare(
            actor=responder, title="Replica lag", severity="SEV3", services=[service], started_at=STARTED
        )
    with (
        time_machine.travel(STARTED + dt.timedelta(minutes=40), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        # recorded ten minutes after it was decided, at its real time
        incident_change_severity(
            incident=incident, actor=responder, severity="SEV1", at=STARTED + dt.timedelta(minutes=30)
        )
    with (
        time_machine.travel(STARTED + dt.timedelta(minutes=75), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        incident_resolve(incident=incident, actor=responder)
    with time_machine.travel(STARTED + dt.timedelta(minutes=80), tick=False):
        sent = _deliver("incident.severity_raised")

    assert set(sent) == {"copenhagen@example.com", "lordhowe@example.com"}
    for address, raised in (
        ("copenhagen@example.com", "2026-07-12 11:30 CEST, UTC+02:00"),
        ("lordhowe@example.com", "2026-07-12 20:00 UTC+10:30"),
    ):
        message = sent[address]
        assert message.subject == f"[SEV1] {incident.reference} raised to SEV1: Replica lag"
        assert "Severity: SEV1 (was SEV3)\n" in message.body
        assert "Status: Investigating\n" in message.body
        assert f"Raised: {raised}\n" in message.body
        assert "Resolved:" not in message.body  # it was not resolved when the severity changed
        assert "Now: Resolved (changed after this event)\n" in message.body
        html = html_part(message)
        assert "<td>Investigating</td>" in html
        assert f"<td>{raised}</td>" in html
        assert "Status: Resolved" not in message.body


def test_a_resolve_email_sent_after_a_reopening_tells_the_resolution(
    readers, responder, django_capture_on_commit_callbacks
):
    service, people = readers
    with time_machine.travel(STARTED + dt.timedelta(minutes=5), tick=False):
        incident = incident_declare(
            actor=responder, title="Replica lag", severity="SEV2", services=[service], started_at=STARTED
        )
    with time_machine.travel(STARTED + dt.timedelta(hours=2), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            incident_resolve(incident=incident, actor=responder, at=STARTED + dt.timedelta(hours=1))
        incident_reopen(incident=incident, actor=responder, reason="Lag is back")
        sent = _deliver("incident.resolved")
    message = sent["copenhagen@example.com"]
    assert message.subject == f"[SEV2] {incident.reference} resolved: Replica lag"
    assert "Status: Resolved\n" in message.body
    assert "Resolved: 2026-07-12 12:00 CEST, UTC+02:00\n" in message.body
    assert "Now: Investigating (changed after this event)\n" in message.body
    assert "Resolved: 2026-07-12 20:30 UTC+10:30\n" in sent["lordhowe@example.com"].body


def test_a_reopen_email_carries_the_severity_of_the_reopening_not_a_later_one(
    readers, responder, django_capture_on_commit_callbacks
):
    service, people = readers
    with time_machine.travel(STARTED + dt.timedelta(minutes=5), tick=False):
        incident = incident_declare(
            actor=responder, title="Replica lag", severity="SEV3", services=[service], started_at=STARTED
        )
        incident_resolve(incident=incident, actor=responder)
    for user in people.values():
        Subscription.objects.create(user=user, incident=incident)  # status moves reach the incident's own
    with time_machine.travel(STARTED + dt.timedelta(hours=3), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            incident_reopen(incident=incident, actor=responder, reason="Lag is back")
        incident_change_severity(incident=incident, actor=responder, severity="SEV1")
        sent = _deliver("incident.status_changed")
    message = sent["lordhowe@example.com"]
    assert message.subject == f"[SEV3] {incident.reference} reopened: Replica lag"
    assert "Severity: SEV3\n" in message.body
    assert "Status: Investigating\n" in message.body
    assert "Reopened: 2026-07-12 22:30 UTC+10:30\n" in message.body
    assert "Now: SEV1 (changed after this event)\n" in message.body
    assert "Reopened: 2026-07-12 14:00 CEST, UTC+02:00\n" in sent["copenhagen@example.com"].body


def test_the_team_chat_post_tells_the_severity_change_as_it_was(
    readers, team, responder, django_capture_on_commit_callbacks, outbound_allowed
):
    service, _ = readers
    team.time_zone = "Australia/Lord_Howe"
    team.chat_webhook_url = outbound_allowed("http://127.0.0.1:9/hooks/abc")
    team.save()
    with time_machine.travel(STARTED + dt.timedelta(minutes=40), tick=False):
        incident = incident_declare(
            actor=responder, title="Replica lag", severity="SEV3", services=[service], started_at=STARTED
        )
        with django_capture_on_commit_callbacks(execute=True):
            incident_change_severity(
                incident=incident, actor=responder, severity="SEV2", at=STARTED + dt.timedelta(minutes=30)
            )
        incident.refresh_from_db()
        incident.title = "Replica lag on db-2"
        incident.save()
        incident_resolve(incident=incident, actor=responder)
        row = Notification.objects.get(kind="chat.incident")
        post = messages.build_chat_message(row)
    assert post is not None
    assert post.text.startswith(
        f"[SEV2] {incident.reference} Replica lag: raised to SEV2 at 20:00 UTC+10:30 (09:30 UTC)."
    )


def test_a_channel_post_of_a_status_change_names_the_incident_as_it_was_called_then(
    commander, incident, django_capture_on_commit_callbacks
):
    from incidents.incident.services.lifecycle import incident_change_status
    from incidents.models import ChatChannel
    from incidents.notify.mirror import KIND, build_mirror_post

    ChatChannel.objects.create(provider="slack", workspace="T0ACME", channel_id="C0INC", incident=incident)
    title = incident.title
    with django_capture_on_commit_callbacks(execute=True):
        incident_change_status(incident=incident, actor=commander, status="identified")
    Incident.objects.filter(pk=incident.pk).update(title="Renamed later")
    post = build_mirror_post(Notification.objects.get(kind=KIND))
    assert post is not None
    assert post.text.startswith(f"{incident.reference} {title}: status is now identified at ")
