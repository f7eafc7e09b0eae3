"""A milestone correction reads in the reader's zone everywhere, not only on the timeline (issue 16,
outside tester): search snippets, the entry's history page and the factor form's evidence list state its
instants from the stored `milestone_changes`, not the UTC text stored in `body`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from incidents.incident.services.declare import incident_declare
from incidents.incident.services.edits import incident_update
from incidents.insights import search
from incidents.models import TimelineEntry

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
START = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
CHATHAM = "2026-11-01 22:15 UTC+13:45"  # 08:30 UTC
KATHMANDU = "2026-11-01 14:15 UTC+05:45"
STORED = "2026-11-01 08:30 UTC"


@pytest.fixture
def correction(commander) -> TimelineEntry:
    with time_machine.travel(TODAY, tick=False):
        incident = incident_declare(
            actor=commander, title="Ledger lag", severity="SEV3", started_at=START, declared_at=START
        )
        incident_update(
            incident=incident, actor=commander, detected_at=datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
        )
    row = incident.timeline_entries.get(body__startswith="Milestones edited")
    assert STORED in row.body  # stored in UTC, for search
    return row


def _reader(user, zone: str):
    user.time_zone = zone
    user.save()
    return user


def test_a_search_snippet_states_the_correction_in_the_readers_zone(client_for, commander, correction):
    reader = _reader(commander, "Pacific/Chatham")
    page = client_for(reader).get(reverse("incidents:search"), {"q": "milestones edited"}).content.decode()
    assert f"set to {CHATHAM}" in page.replace("&nbsp;", " ")
    assert STORED not in page
    (hit,) = [
        h
        for h in search.search_for(_reader(commander, "Asia/Kathmandu"), "milestones")
        if h.kind == "timeline entry"
    ]
    assert KATHMANDU in str(hit.snippet)


def test_the_entry_history_page_states_the_correction_in_the_readers_zone(client_for, commander, correction):
    reader = _reader(commander, "Pacific/Chatham")
    url = reverse("incidents:timeline_history", args=[correction.incident.number, correction.pk])
    page = client_for(reader).get(url).content.decode()
    assert f"set to {CHATHAM}" in page
    assert STORED not in page


def test_the_factor_forms_evidence_list_states_the_correction_in_the_readers_zone(
    client_for, commander, correction
):
    reader = _reader(commander, "Asia/Kathmandu")
    page = client_for(reader).get(reverse("incidents:factor_add", args=[correction.incident.number]))
    text = page.content.decode()
    assert "Milestones edited: detected set to 2026-11-01 14:15" in text
    assert STORED not in text
