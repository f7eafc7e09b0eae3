"""What was queued before a change is checked again when it is sent: nothing about a soft-deleted incident
goes out, and no reminder says a risk acceptance "ends on" a date already past."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from incidents.incident.services.lifecycle import incident_soft_delete
from incidents.models import FindingStatus, Notification
from incidents.notify.claims import notification_claim
from incidents.notify.delivery import notification_deliver
from tests.factories import ActionItemFactory, PolicyFindingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "kind", ["reminder.due_soon", "reminder.overdue", "reminder.escalation", "assigned.action_item"]
)
def test_a_reminder_queued_before_the_incident_was_deleted_sends_nothing(
    kind, incident, admin_user, settings
):
    settings.EMAIL_ALLOWLIST = ["*@example.com"]
    owner = UserFactory(email="owner@example.com")
    item = ActionItemFactory(incident=incident, owner=owner, due_date=timezone.localdate())
    row = notification_claim(
        recipient="owner@example.com", kind=kind, object_key=f"action_item:{item.pk}", period="p", user=owner
    )
    assert row is not None
    incident_soft_delete(incident=incident, actor=admin_user, reason="Declared by mistake")

    assert notification_deliver(notification_id=row.pk) == "skipped"
    assert mail.outbox == []
    assert Notification.objects.get(pk=row.pk).status == "skipped"


def test_a_postmortem_reminder_queued_before_the_deletion_sends_nothing(
    incident, admin_user, commander, settings
):
    settings.EMAIL_ALLOWLIST = ["*@example.com"]
    incident.resolved_at = incident.started_at + dt.timedelta(hours=1)
    incident.status = "resolved"
    incident.save()
    row = notification_claim(
        recipient=commander.email, kind="postmortem.unpublished", object_key=f"incident:{incident.pk}",
        period="p", user=commander,
    )  # fmt: skip
    incident_soft_delete(incident=incident, actor=admin_user, reason="Duplicate of INC-1")
    assert notification_deliver(notification_id=row.pk) == "skipped"
    assert mail.outbox == []


def test_no_acceptance_ends_reminder_after_the_end_date(sweep_at, settings):
    settings.EMAIL_ALLOWLIST = ["*@example.com"]
    owner = UserFactory(email="owner@example.com")
    PolicyFindingFactory(
        owner=owner,
        status=FindingStatus.RISK_ACCEPTED,
        risk_accepted_until=dt.date(2026, 6, 17),
        title="Drop",
    )
    sweep_at(dt.datetime(2026, 6, 18, 12, tzinfo=dt.UTC))
    sweep_at(dt.datetime(2026, 6, 25, 12, tzinfo=dt.UTC))
    assert mail.outbox == []


def test_an_acceptance_reminder_queued_before_the_end_date_is_not_sent_after_it(settings):
    settings.EMAIL_ALLOWLIST = ["*@example.com"]
    owner = UserFactory(email="owner@example.com")
    finding = PolicyFindingFactory(
        owner=owner, status=FindingStatus.RISK_ACCEPTED, risk_accepted_until=dt.date(2026, 6, 17)
    )
    with time_machine.travel(dt.datetime(2026, 6, 16, 12, tzinfo=dt.UTC), tick=False):
        row = notification_claim(
            recipient=owner.email, kind="finding.acceptance_expiring", object_key=f"policy_finding:{finding.pk}",
            period="2026-06-17", user=owner,
        )  # fmt: skip
    with time_machine.travel(dt.datetime(2026, 6, 18, 12, tzinfo=dt.UTC), tick=False):
        assert notification_deliver(notification_id=row.pk) == "skipped"
    assert mail.outbox == []
