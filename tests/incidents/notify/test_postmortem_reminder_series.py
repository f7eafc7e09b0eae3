"""One resolution, one "postmortem not published" reminder (issue 16, outside tester): moving the resolution
time, by a minute or by days, sends nothing again; reopening and resolving again starts a new one."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps
from django.core import mail

from incidents.incident.services.declare import incident_declare
from incidents.incident.services.edits import incident_update
from incidents.incident.services.lifecycle import incident_reopen, incident_resolve
from incidents.models import Incident, Notification, Postmortem, PostmortemStatus

pytestmark = pytest.mark.django_db

UTC = dt.UTC
RESOLVED = dt.datetime(2026, 6, 5, 15, 0, tzinfo=UTC)  # a Friday


def _reminders() -> list[str]:
    return [str(m.subject) for m in mail.outbox if "postmortem still unpublished" in m.subject]


def _resolved_incident(commander) -> Incident:
    with time_machine.travel(RESOLVED + dt.timedelta(minutes=5), tick=False):
        incident = incident_declare(
            actor=commander,
            title="Queue stalled",
            severity="SEV2",
            started_at=RESOLVED - dt.timedelta(hours=3),
        )
        incident = incident_resolve(incident=incident, actor=commander, at=RESOLVED)
    Postmortem.objects.create(incident=incident, status=PostmortemStatus.DRAFT)
    return incident


def test_moving_the_resolution_time_sends_no_second_reminder(sweep_at, commander):
    incident = _resolved_incident(commander)
    sweep_at(dt.datetime(2026, 6, 12, 12, tzinfo=UTC))  # 5 business days later
    mail.outbox.clear()  # the resolution emails of the declaration are not the point here
    sweep_at(dt.datetime(2026, 6, 12, 13, tzinfo=UTC))
    assert Notification.objects.filter(kind="postmortem.unpublished").count() == 1

    for moved in (RESOLVED + dt.timedelta(minutes=1), RESOLVED - dt.timedelta(hours=2)):
        with time_machine.travel(dt.datetime(2026, 6, 12, 14, tzinfo=UTC), tick=False):
            incident = incident_update(incident=incident, actor=commander, resolved_at=moved)
        sweep_at(dt.datetime(2026, 6, 12, 15, tzinfo=UTC))
        sweep_at(dt.datetime(2026, 6, 15, 12, tzinfo=UTC))

    assert _reminders() == []
    assert Notification.objects.filter(kind="postmortem.unpublished").count() == 1


def test_a_new_resolution_after_a_reopen_gets_its_own_reminder(sweep_at, commander):
    incident = _resolved_incident(commander)
    sweep_at(dt.datetime(2026, 6, 12, 12, tzinfo=UTC))
    assert len(_reminders()) == 1
    again = dt.datetime(2026, 6, 15, 9, tzinfo=UTC)  # a Monday
    with time_machine.travel(again, tick=False):
        incident_reopen(incident=incident, actor=commander, reason="errors are back")
        incident_resolve(incident=incident, actor=commander, at=again)
    sweep_at(dt.datetime(2026, 6, 19, 12, tzinfo=UTC))  # 4 business days: not yet
    assert len(_reminders()) == 1
    sweep_at(dt.datetime(2026, 6, 22, 12, tzinfo=UTC))
    sweep_at(dt.datetime(2026, 6, 22, 13, tzinfo=UTC))
    assert len(_reminders()) == 2


def test_a_reminder_claimed_under_the_old_key_is_not_sent_again(sweep_at, commander):
    """Migration 0020 re-keys claims made on the exact resolution time to their resolution."""
    incident = _resolved_incident(commander)
    old = Notification.objects.create(
        recipient=commander.email,
        user=commander,
        kind="postmortem.unpublished",
        object_key=f"incident:{incident.pk}",
        period="20260605T150000",
        status="sent",
        created_at=dt.datetime(2026, 6, 12, 12, tzinfo=UTC),
    )
    importlib.import_module("incidents.migrations.0020_postmortem_reminder_per_resolution").rekey(apps, None)
    old.refresh_from_db()
    row = incident.timeline_entries.get(body__startswith="Incident resolved")
    assert old.period == f"resolution:{row.pk}"

    sweep_at(dt.datetime(2026, 6, 12, 13, tzinfo=UTC))
    assert _reminders() == []
    assert Notification.objects.filter(kind="postmortem.unpublished").count() == 1


def test_an_incident_resolved_beyond_the_lookback_sends_no_email_as_the_readme_says(sweep_at, commander):
    """The README: the unpublished-postmortem email only for incidents resolved in the last 400 days (a
    backfill from further back shows overdue on its page and in the digest, and sends nothing)."""
    from incidents.notify.reminders import POSTMORTEM_LOOKBACK_DAYS

    assert POSTMORTEM_LOOKBACK_DAYS == 400
    _resolved_incident(commander)
    mail.outbox.clear()
    sweep_at(RESOLVED + dt.timedelta(days=401))
    assert _reminders() == []
    sweep_at(RESOLVED + dt.timedelta(days=399))  # the same incident, swept while still inside the window
    assert len(_reminders()) == 1
