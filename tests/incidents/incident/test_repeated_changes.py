"""A change that happens again is numbered on the timeline, severity and status changes as resolve,
reopen and mitigate are ("(2nd time)"), so two rows never read the same (issue 16, second outside tester)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.incident.services.declare import incident_declare
from incidents.incident.services.lifecycle import incident_change_severity, incident_change_status

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


def _bodies(incident, prefix):
    rows = incident.timeline_entries.visible().filter(body__startswith=prefix).order_by("occurred_at", "id")
    return [r.body for r in rows]


@time_machine.travel(datetime(2026, 11, 30, 9, 0, tzinfo=UTC), tick=False)
def test_repeated_severity_and_status_changes_are_numbered(commander):
    incident = incident_declare(actor=commander, title="Checkout errors", severity="SEV1", started_at=START)
    for i, severity in enumerate(["SEV2", "SEV1", "SEV2", "SEV1"], start=1):
        incident_change_severity(
            incident=incident,
            actor=commander,
            severity=severity,
            reason="" if i < 4 else "again",
            at=START + timedelta(minutes=i),
        )
    for i, status in enumerate(["identified", "investigating", "identified"], start=1):
        incident_change_status(
            incident=incident, actor=commander, status=status, at=START + timedelta(minutes=10 + i)
        )
    assert _bodies(incident, "Severity changed") == [
        "Severity changed from SEV1 to SEV2",
        "Severity changed from SEV2 to SEV1",
        "Severity changed from SEV1 to SEV2 (2nd time)",
        "Severity changed from SEV2 to SEV1 (2nd time): again",
    ]
    assert _bodies(incident, "Status changed") == [
        "Status changed from Investigating to Identified",
        "Status changed from Identified to Investigating",
        "Status changed from Investigating to Identified (2nd time)",
    ]
