"""Overdue process steps reach the commander: a required postmortem is reminded on its due date (its rule's
business days after the resolve), a waived one never, and the weekly digest lists those overdue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from incidents.incident.services.process import process_rule_save
from incidents.models import Severity
from incidents.notify.messages import digest_email
from incidents.notify.selectors import overdue_postmortems_for
from tests.factories import IncidentFactory, IncidentTypeFactory
from tests.mail import html_part

pytestmark = pytest.mark.django_db


def at(y, m, d, h=12):
    return dt.datetime(y, m, d, h, 0, tzinfo=dt.UTC)


RESOLVED = at(2026, 6, 5, 15)  # a Friday


def _resolved(commander, **extra):
    return IncidentFactory(
        commander=commander,
        status="resolved",
        started_at=RESOLVED - dt.timedelta(hours=3),
        resolved_at=RESOLVED,
        **extra,
    )


@pytest.fixture
def security(admin_user):
    kind = IncidentTypeFactory(name="Security", slug="security")
    process_rule_save(
        actor=admin_user, incident_type=kind, severity=Severity.SEV3, postmortem_required=True,
        postmortem_due_days=2,
    )  # fmt: skip
    return kind


def test_a_required_postmortem_is_reminded_on_its_due_date(sweep_at, commander, security):
    incident = _resolved(commander, severity=Severity.SEV3, incident_type=security, title="Keys leaked")
    sweep_at(at(2026, 6, 8))  # Monday: 1 business day
    assert mail.outbox == []
    sweep_at(at(2026, 6, 9))  # Tuesday: due
    sweep_at(at(2026, 6, 9, 13))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert (
        message.subject
        == f"{incident.reference}: postmortem still unpublished 2 business days after resolve, due today"
    )
    assert "requires a postmortem, due by Tue 9 Jun 2026 (UTC)" in message.body
    assert "due by Tue 9 Jun 2026" in html_part(message)


def test_a_waived_postmortem_is_never_reminded(sweep_at, commander, admin_user, security):
    incident = _resolved(commander, severity=Severity.SEV3, incident_type=security)
    incident.postmortem_waived_at = RESOLVED
    incident.postmortem_waiver_reason = "Reviewed with INC-1."
    incident.save()
    sweep_at(at(2026, 6, 15))
    assert mail.outbox == []


def test_a_postmortem_nobody_requires_or_started_is_not_reminded(sweep_at, commander):
    _resolved(commander, severity=Severity.SEV4)
    sweep_at(at(2026, 6, 15))
    assert mail.outbox == []


def test_the_digest_lists_overdue_postmortems_of_the_incidents_one_commands(commander, responder, security):
    late = _resolved(commander, severity=Severity.SEV3, incident_type=security, title="Keys leaked")
    _resolved(commander, severity=Severity.SEV4, title="Nobody requires this one")
    now = at(2026, 6, 10)  # due Tuesday 9 June, overdue on Wednesday
    assert [i.pk for i in overdue_postmortems_for(commander, now=now)] == [late.pk]
    assert overdue_postmortems_for(responder, now=now) == []
    assert overdue_postmortems_for(commander, now=at(2026, 6, 9)) == []
    message = digest_email(commander, now=now)
    assert message is not None
    assert "Overdue postmortems of incidents you command (1):" in message.body
    assert f"- {late.reference} Keys leaked (due 9 Jun)" in message.body
    assert "Overdue postmortems of incidents you command (1)" in html_part(message)


def test_a_postmortem_reminder_delivered_late_says_overdue_in_subject_and_body(
    eager_celery, commander, security
):
    import time_machine

    from incidents.models import Notification
    from incidents.notify.delivery import notification_deliver
    from incidents.notify.reminders import reminders_sweep

    commander.time_zone = "Australia/Lord_Howe"
    commander.save()
    incident = _resolved(commander, severity=Severity.SEV3, incident_type=security, title="Keys leaked")
    # Resolved Sat 6 Jun in Lord Howe: due 2 business days later, Tue 9 Jun; claimed that day.
    with time_machine.travel(at(2026, 6, 9, 6), tick=False):
        reminders_sweep()
    (row,) = Notification.objects.all()
    with time_machine.travel(at(2026, 6, 11, 6), tick=False):  # Thu 11 Jun in Lord Howe: the worker is back
        assert notification_deliver(notification_id=row.pk) == "sent"
    (message,) = mail.outbox
    assert message.subject == (
        f"{incident.reference}: postmortem still unpublished 4 business days after resolve, "
        "overdue by 2 days (due by Tue 9 Jun 2026)"
    )
    assert "due today" not in message.body
    assert "due today" not in html_part(message)
    assert "requires a postmortem, overdue by 2 days (due by Tue 9 Jun 2026, Australia/Lord_Howe)" in (
        message.body
    )
    assert "overdue by 2 days (due by Tue 9 Jun 2026, Australia/Lord_Howe)" in html_part(message)
