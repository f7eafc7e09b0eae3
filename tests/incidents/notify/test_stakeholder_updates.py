"""Stakeholder updates by email: once to each subscriber who may see the incident and to its severity's list
(internal only), in each reader's zone; and the reminder to the communications lead (else the commander)
when the promised next update is due and none was posted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from incidents.incident.services.updates import stakeholder_update_post
from incidents.models import Notification, SeverityMailingList, Subscription, Visibility
from incidents.notify.delivery import send_notification
from incidents.notify.updates import stakeholder_update_notify
from tests.factories import ServiceFactory, UserFactory
from tests.mail import html_part

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)


@pytest.fixture
def stakeholders(team, viewer, outsider, incident):
    service = ServiceFactory(name="Checkout", slug="checkout", team=team)
    incident.services.add(service)
    incident.severity = "SEV1"
    incident.save()
    viewer.time_zone = "Asia/Kolkata"
    viewer.save()
    Subscription.objects.create(user=viewer, service=service)
    Subscription.objects.create(user=outsider, incident=incident)  # may not see it: gets nothing
    SeverityMailingList.objects.create(severity="SEV1", addresses="execs@example.com\n")
    return service


def _post(incident, actor, minutes=30, **extra):
    return stakeholder_update_post(
        incident=incident,
        actor=actor,
        status=extra.get("status", "identified"),
        customer_impact=extra.get("impact", "Checkout fails for **EU** customers."),
        doing="Rolling back deploy 2026.12.03-1.",
        next_update_at=NOW + timedelta(minutes=minutes),
    )


@time_machine.travel(NOW, tick=False)
def test_an_update_reaches_subscribers_and_the_list_once_each_in_their_zone(
    stakeholders, commander, viewer, incident, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        update = _post(incident, commander)
    assert sorted(m.to[0] for m in mail.outbox) == ["execs@example.com", viewer.email]
    personal = next(m for m in mail.outbox if m.to == [viewer.email])
    assert personal.subject == f"[SEV1] {incident.reference} update: Identified · {incident.title}"
    assert "Next update by: 2026-12-03 19:00 IST" in personal.body  # 13:30 UTC in Kolkata
    assert "Checkout fails for **EU** customers." in personal.body
    assert "<strong>EU</strong>" in html_part(personal)
    assert "19:00 IST" in html_part(personal)
    listed = next(m for m in mail.outbox if m.to == ["execs@example.com"])
    assert "Next update by: 2026-12-03 13:30 UTC" in listed.body
    # A retry (a second run of the same delivery) sends nothing again.
    with django_capture_on_commit_callbacks(execute=True):
        assert stakeholder_update_notify(update_id=update.pk) == []
    assert len(mail.outbox) == 2


@time_machine.travel(NOW, tick=False)
def test_a_restricted_incident_reaches_only_those_in_it(
    stakeholders, commander, viewer, responder, incident, eager_celery, django_capture_on_commit_callbacks
):
    incident.visibility = Visibility.RESTRICTED
    incident.save()
    incident.participants.add(responder)
    Subscription.objects.create(user=responder, incident=incident)
    with django_capture_on_commit_callbacks(execute=True):
        _post(incident, commander)
    assert [m.to for m in mail.outbox] == [[responder.email]]  # no list, no outsider, no viewer


@time_machine.travel(NOW, tick=False)
def test_an_incident_restricted_after_the_claim_sends_nothing_outside_it(
    stakeholders, commander, incident, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _post(incident, commander)  # claimed, not yet sent (no eager worker)
    assert Notification.objects.filter(kind="incident.update").count() == 2
    incident.visibility = Visibility.RESTRICTED
    incident.save()
    for row in Notification.objects.filter(kind="incident.update"):
        send_notification.apply(args=(row.pk,))
    assert mail.outbox == []


def test_the_comms_lead_is_reminded_once_when_the_promised_update_is_due(
    commander, responder, incident, sweep_at
):
    incident.communications_lead = responder
    incident.save()
    with time_machine.travel(NOW, tick=False):
        _post(incident, commander, minutes=30)
    sweep_at(NOW + timedelta(minutes=29))
    assert mail.outbox == []
    sweep_at(NOW + timedelta(minutes=31))
    sweep_at(NOW + timedelta(minutes=36))  # a second sweep sends nothing twice
    due = [m for m in mail.outbox if "next stakeholder update is due" in m.subject]
    assert [m.to for m in due] == [[responder.email]]
    assert "You are its communications lead." in due[0].body
    assert "13:30 UTC" in due[0].body
    assert "13:30 UTC" in html_part(due[0])


def test_a_new_update_stops_the_reminder_and_the_commander_is_reminded_without_a_comms_lead(
    commander, incident, sweep_at
):
    with time_machine.travel(NOW, tick=False):
        _post(incident, commander, minutes=30)
    with time_machine.travel(NOW + timedelta(minutes=20), tick=False):
        _post(incident, commander, minutes=60)  # posted in time: the next promise is 14:20
    sweep_at(NOW + timedelta(minutes=40))
    assert mail.outbox == []
    sweep_at(NOW + timedelta(minutes=81))
    assert [m.to for m in mail.outbox] == [[commander.email]]


def test_a_final_update_or_a_resolved_incident_is_never_reminded(commander, incident, sweep_at):
    with time_machine.travel(NOW, tick=False):
        _post(incident, commander, minutes=30)
    incident.status = "resolved"
    incident.resolved_at = NOW + timedelta(minutes=10)
    incident.save()
    sweep_at(NOW + timedelta(hours=1))
    assert not Notification.objects.filter(kind="update.due").exists()


def test_a_deactivated_comms_lead_hands_the_reminder_to_the_commander(commander, incident, sweep_at):
    lead = UserFactory(email="gone@example.com", is_active=False)
    incident.communications_lead = lead
    incident.save()
    with time_machine.travel(NOW, tick=False):
        _post(incident, commander, minutes=30)
    sweep_at(NOW + timedelta(minutes=31))
    assert [m.to for m in mail.outbox] == [[commander.email]]
    assert "You are its commander." in mail.outbox[0].body
