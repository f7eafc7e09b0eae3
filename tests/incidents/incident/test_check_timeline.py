"""`manage.py check_timeline` finds and repairs rows stored before today's rules (issue 16, outside tester).

Severity changes stored out of order before the order rule (a change recorded after the fact, dated before
one recorded earlier) read false "from X to Y" in time order, and were never repaired. The command reports
them; `--repair` rewrites each "from" to what the row before it left (old text kept in the row's history),
writes the "Impact started" row an incident declared at its start never got, and leaves (and reports) a
latest row that disagrees with the incident's severity, which a person has to settle.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from incidents.incident.services.declare import incident_declare
from incidents.models import EntrySource, Incident, TimelineEntry
from incidents.timeline.services import system_entry
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

T = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def _severity_rows(incident: Incident) -> list[str]:
    return [
        e.body
        for e in incident.timeline_entries.filter(source=EntrySource.SYSTEM).order_by("occurred_at", "id")
        if e.body.startswith("Severity changed")
    ]


@pytest.fixture
def stored_out_of_order(commander) -> Incident:
    incident = incident_declare(
        actor=commander, title="Checkout", severity="SEV2", started_at=T, declared_at=T
    )
    # As the old code stored them: SEV2 -> SEV1 at 12:00 first, then a backfilled SEV1 -> SEV3 at 11:00.
    system_entry(
        incident=incident, actor=commander, body="Severity changed from SEV2 to SEV1",
        occurred_at=T.replace(hour=12),
    )  # fmt: skip
    system_entry(
        incident=incident, actor=commander, body="Severity changed from SEV1 to SEV3: all regions",
        occurred_at=T.replace(hour=11),
    )  # fmt: skip
    Incident.objects.filter(pk=incident.pk).update(severity="SEV3")
    return incident


def test_the_check_reports_rows_out_of_order_and_changes_nothing(stored_out_of_order, capsys):
    with pytest.raises(CommandError) as exc:
        call_command("check_timeline")
    assert exc.value.returncode == 1
    out = capsys.readouterr().out
    ref = stored_out_of_order.reference
    assert f"{ref}: “Severity changed from SEV1 to SEV3: all regions” follows a row that left SEV2" in out
    assert "it should read “Severity changed from SEV2 to SEV3: all regions”" in out
    assert f"{ref} is SEV3 but its latest severity row in time order" in out
    assert _severity_rows(stored_out_of_order) == [
        "Severity changed from SEV1 to SEV3: all regions",
        "Severity changed from SEV2 to SEV1",
    ]


def test_repair_rewrites_the_from_in_time_order_keeps_history_and_adds_missing_start_rows(
    stored_out_of_order, capsys
):
    bare = IncidentFactory(number=900, started_at=T)  # stored without any row, as imports and old code did
    with pytest.raises(CommandError):
        call_command("check_timeline", "--repair")  # the disagreeing latest row is left for a person
    assert _severity_rows(stored_out_of_order) == [
        "Severity changed from SEV2 to SEV3: all regions",
        "Severity changed from SEV3 to SEV1",
    ]
    row = TimelineEntry.objects.get(body="Severity changed from SEV3 to SEV1")
    assert row.history.filter(body="Severity changed from SEV2 to SEV1").exists()
    assert row.body_html.startswith("<p>Severity changed from SEV3 to SEV1")
    start = bare.timeline_entries.get(body="Impact started")
    assert start.occurred_at == T
    out = capsys.readouterr().out
    assert "1 left." in out
    # Once repaired, only the finding for a person remains; a second run repairs nothing more.
    with pytest.raises(CommandError):
        call_command("check_timeline", "--repair")
    assert "0 repaired; 1 left." in capsys.readouterr().out


def test_a_clean_timeline_passes(commander, capsys):
    incident_declare(actor=commander, title="Fine", severity="SEV3", started_at=T, declared_at=T)
    call_command("check_timeline")
    assert "0 finding(s)" in capsys.readouterr().out
