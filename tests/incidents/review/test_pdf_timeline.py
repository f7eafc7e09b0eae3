"""The PDF export of a long timeline renders in seconds (3,000 entries took about 150 s, found by an outside
tester; `benchmarks/bench_pdf.py` measures it): what WeasyPrint is given is the shape it lays out fast.

- the timeline is blocks, never a table (WeasyPrint lays out a long table slowly);
- each entry's HTML is the one stored when it was saved (no Markdown rendered per entry), and the page
  reads the timeline in a fixed number of queries;
- beyond PDF_RICH_TIMELINE_MAX entries each entry is one paragraph of plain text (every bold word or code
  span is a box of its own to WeasyPrint), key moments keep their formatting.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.models import TimelineEntry
from incidents.review import pdf as review_pdf
from incidents.review.services import postmortems as svc
from tests.factories import TimelineEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def given(monkeypatch):
    """The HTML each PDF export hands to WeasyPrint (the render itself is skipped)."""
    seen: list[str] = []

    def render(html: str) -> bytes:
        seen.append(html)
        return b"%PDF-1.7 test"

    monkeypatch.setattr(review_pdf, "render_pdf", render)
    return seen


def _entries(incident, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        TimelineEntryFactory(
            incident=incident,
            occurred_at=incident.started_at + timedelta(minutes=i),
            body=f"Entry {i}: lag **{i} s**, see `pg_stat_replication` & <b>x</b>",
            is_key_moment=i == 0,
        )


def _export(client, incident) -> None:
    response = client.get(reverse("incidents:postmortem_export_pdf", args=[incident.number]))
    assert response.status_code == 200


def test_a_short_timeline_keeps_its_formatting_in_blocks_from_the_stored_html(
    client_for, responder, incident, given
):
    svc.postmortem_start(incident=incident, actor=responder)
    _entries(incident, 3)
    TimelineEntry.objects.filter(incident=incident, body__startswith="Entry 2").update(
        body_html="<p>Stored <strong>HTML</strong> of entry 2</p>"
    )
    _export(client_for(responder), incident)
    html = given[-1]
    timeline = html[html.index("<h2>Timeline</h2>") :]
    assert "<table" not in timeline
    assert "<tr" not in timeline
    assert "Stored <strong>HTML</strong> of entry 2" in timeline  # the saved HTML, not a new render
    assert "<code>pg_stat_replication</code>" in timeline


def test_a_long_timeline_is_plain_text_per_entry_and_key_moments_keep_formatting(
    client_for, responder, incident, given, monkeypatch
):
    monkeypatch.setattr(review_pdf, "PDF_RICH_TIMELINE_MAX", 3)
    svc.postmortem_start(incident=incident, actor=responder)
    _entries(incident, 5)
    _export(client_for(responder), incident)
    timeline = given[-1][given[-1].index("<h2>Timeline</h2>") :]
    rest = timeline.split("Key moment", 1)[1]
    assert "<strong>0 s</strong>" in rest[: rest.index("Entry 1")]  # the key moment, formatted
    ordinary = rest[rest.index("Entry 1") :]
    assert "<strong>" not in ordinary
    assert "<code>" not in ordinary
    assert "Entry 4: lag 4 s, see pg_stat_replication &amp; x" in ordinary  # text kept, escaped once
    assert ordinary.count('<p class="tl">') == 4
    assert "<span" not in ordinary  # the time too is part of the entry's one run of text


def test_the_pdf_reads_the_timeline_in_a_fixed_number_of_queries(client_for, responder, incident, given):
    svc.postmortem_start(incident=incident, actor=responder)
    client = client_for(responder)
    _entries(incident, 2)
    _export(client, incident)  # warm (session, caches)
    with CaptureQueriesContext(connection) as few:
        _export(client, incident)
    _entries(incident, 20, start=2)
    with CaptureQueriesContext(connection) as many:
        _export(client, incident)
    assert len(many) == len(few)
