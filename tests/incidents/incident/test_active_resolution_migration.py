"""Migration 0021: an active incident stored with a resolution time (before the milestone/status rule) loses
it, and nothing is lost: a "Milestones edited" row keeps the old value, which every reader sees in their
own zone, and the incident's history says why (issue 16, outside tester).

The migration's function runs on the current models (the schema has not changed since it), as conftest
does for the seeded templates: migrating the whole schema back and forth costs minutes per test."""

from __future__ import annotations

import importlib
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.urls import reverse

from incidents.models import Incident, IncidentStatus
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night Europe changes to summer time
STALE = T0 + timedelta(hours=2, minutes=15)  # 02:45 UTC: 04:45 CEST, 16:30 UTC+13:45 in Chatham
RUN = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


def _migrate() -> None:
    module = importlib.import_module("incidents.migrations.0021_active_incidents_without_resolution")
    with time_machine.travel(RUN, tick=False):
        module.clear(apps, None)


def _stale(status: str, **extra) -> Incident:
    incident = IncidentFactory(status=status, started_at=T0, **extra)
    # What an edit left before the rule: written past the services, as the old code did.
    Incident.objects.filter(pk=incident.pk).update(resolved_at=STALE)
    incident.refresh_from_db()
    return incident


def test_an_active_incident_keeps_its_old_resolution_time_only_in_its_timeline(client_for, commander):
    incident = _stale(IncidentStatus.MONITORING, commander=commander, mitigated_at=T0 + timedelta(hours=1))
    version = incident.version

    _migrate()

    incident.refresh_from_db()
    assert incident.resolved_at is None
    assert incident.status == IncidentStatus.MONITORING
    assert incident.mitigated_at == T0 + timedelta(hours=1)  # untouched
    assert incident.version == version + 1
    (row,) = incident.timeline_entries.filter(body__startswith="Milestones edited")
    assert row.occurred_at == RUN
    assert row.milestone_changes[0]["old"] == STALE.isoformat()
    assert row.milestone_changes[0]["new"] is None
    assert row.text_in(zoneinfo.ZoneInfo("Pacific/Chatham")).startswith(
        "Milestones edited: resolved removed (was 2026-03-29 16:30 UTC+13:45) (cleared: the incident is not resolved"
    )
    assert row.text_in(zoneinfo.ZoneInfo("Europe/Berlin")).startswith(
        "Milestones edited: resolved removed (was 2026-03-29 04:45 CEST, UTC+02:00)"
    )
    latest = incident.history.order_by("-history_id").first()
    assert latest.resolved_at is None
    assert "Resolution time cleared" in latest.history_change_reason
    commander.time_zone = "Pacific/Chatham"
    commander.save()
    page = client_for(commander).get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert "resolved removed (was 2026-03-29 16:30 UTC+13:45)" in page.replace("&nbsp;", " ")


def test_resolved_incidents_and_clean_ones_are_left_alone_and_a_second_run_changes_nothing():
    resolved = IncidentFactory(status=IncidentStatus.RESOLVED, started_at=T0, resolved_at=STALE)
    clean = IncidentFactory(status=IncidentStatus.INVESTIGATING, started_at=T0)
    stale = _stale(IncidentStatus.INVESTIGATING)
    _migrate()
    _migrate()
    resolved.refresh_from_db()
    clean.refresh_from_db()
    assert resolved.resolved_at == STALE
    assert not resolved.timeline_entries.filter(body__startswith="Milestones edited").exists()
    assert not clean.timeline_entries.filter(body__startswith="Milestones edited").exists()
    assert stale.timeline_entries.filter(body__startswith="Milestones edited").count() == 1
