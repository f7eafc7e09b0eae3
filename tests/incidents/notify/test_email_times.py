"""Incident emails carry the recipient's zone label with its UTC offset in both parts, and an email built
after the incident moved on tells the event as it was and says what changed since."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from incidents.incident.services.declare import incident_declare
from incidents.incident.services.lifecycle import incident_resolve
from incidents.models import Subscription
from tests.factories import ServiceFactory
from tests.mail import html_part

pytestmark = pytest.mark.django_db

STARTED = dt.datetime(2026, 1, 12, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def subscribed(team, viewer):
    viewer.time_zone = "Europe/Copenhagen"
    viewer.save()
    service = ServiceFactory(name="Database", slug="database", team=team)
    Subscription.objects.create(user=viewer, service=service)
    return service


def test_an_incident_email_gives_the_zone_label_with_its_offset_in_both_parts(
    subscribed, responder, viewer, eager_celery, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(STARTED + dt.timedelta(minutes=20), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        incident_declare(
            actor=responder, title="Disk full", severity="SEV2", services=[subscribed], started_at=STARTED
        )
    message = next(m for m in mail.outbox if m.to == [viewer.email])
    assert "Started: 2026-01-12 10:00 CET, UTC+01:00\n" in message.body
    assert "2026-01-12 10:00 CET, UTC+01:00" in html_part(message)


def test_a_declared_email_sent_after_the_resolution_tells_the_declaration_and_says_it_is_now_resolved(
    subscribed, responder, viewer, eager_celery, django_capture_on_commit_callbacks
):
    with time_machine.travel(STARTED + dt.timedelta(minutes=20), tick=False):
        with django_capture_on_commit_callbacks() as declared:
            incident = incident_declare(
                actor=responder, title="Disk full", severity="SEV2", services=[subscribed], started_at=STARTED
            )
        incident_resolve(incident=incident, actor=responder)  # before the declaration's email went out
        with django_capture_on_commit_callbacks(execute=True):
            for callback in declared:
                callback()
    message = next(m for m in mail.outbox if m.to == [viewer.email])
    assert message.subject == f"[SEV2] {incident.reference} declared: Disk full"
    assert "Status: Investigating\n" in message.body
    assert "Declared: 2026-01-12 10:20 CET, UTC+01:00\n" in message.body
    assert "Resolved:" not in message.body
    assert "Now: Resolved (changed after this event)\n" in message.body
