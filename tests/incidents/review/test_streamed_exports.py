"""The JSON and Markdown exports of a postmortem are streamed (issue 15): the same document as before,
sent in pieces, with memory that does not grow with the timeline."""

from __future__ import annotations

import json
import tracemalloc
from datetime import timedelta

import pytest
from django.urls import reverse

from incidents.models import TimelineEntry
from incidents.review import exports
from tests.factories import TimelineEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pm(incident, commander):
    from incidents.review.services.postmortems import postmortem_start

    return postmortem_start(incident=incident, actor=commander)


def _fill(incident, n: int, start: int = 0) -> None:
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            incident=incident,
            occurred_at=incident.started_at + timedelta(seconds=i),
            body=f"Entry {i}: replica lag **{i % 97} s** on db-{i % 7}, see `pg_stat_replication`",
            body_html="",
            is_key_moment=i % 50 == 0,
        )
        for i in range(start, start + n)
    )


def _download(client, name: str, incident) -> tuple[bool, bytes]:
    response = client.get(reverse(f"incidents:{name}", args=[incident.number]))
    assert response.status_code == 200
    return response.streaming, b"".join(response.streaming_content)


def test_the_streamed_exports_are_the_whole_document_key_moments_first(client_for, commander, incident, pm):
    _fill(incident, 1200)
    removed = TimelineEntryFactory(incident=incident, body="Removed later", removed_at=incident.started_at)
    client = client_for(commander)
    streamed, raw = _download(client, "postmortem_export_json", incident)
    assert streamed
    data = json.loads(raw)
    whole = exports.export_json(pm, viewer=commander)
    assert data.pop("exported_at")
    assert whole.pop("exported_at")
    assert data == whole
    timeline = [e for e in data["timeline"] if e["body"]["markdown"].startswith("Entry ")]
    assert len(timeline) == 1200
    assert removed.pk not in {e["id"] for e in timeline}
    keys = [e for e in timeline if e["key_moment"]]
    assert data["timeline"][: len(keys)] == keys  # key moments first
    assert len(keys) == 24
    assert timeline[len(keys)]["body"]["markdown"].startswith("Entry 1:")
    assert "<strong>1 s</strong>" in timeline[len(keys)]["body"]["html"]

    streamed, raw = _download(client, "postmortem_export_md", incident)
    assert streamed
    text = raw.decode()
    assert text == exports.export_markdown(pm, commander.tzinfo, viewer=commander)
    lines = [line for line in text.split("\n") if line.startswith("- ") and "Entry " in line]
    assert len(lines) == 1200
    assert lines[0].endswith("**key moment** Entry 0: replica lag **0 s** on db-0, see `pg_stat_replication`")
    assert "## Contributing factors" in text.split(lines[-1], 1)[1]


def test_a_timeline_without_entries_streams_valid_documents(client_for, commander, incident, pm):
    TimelineEntry.objects.filter(incident=incident).update(removed_at=incident.started_at)
    client = client_for(commander)
    assert json.loads(_download(client, "postmortem_export_json", incident)[1])["timeline"] == []
    text = _download(client, "postmortem_export_md", incident)[1].decode()
    assert text == exports.export_markdown(pm, commander.tzinfo, viewer=commander)
    assert "key moments first)\n\n\n## Contributing factors" in text


def _peak(client, incident, name: str) -> int:
    tracemalloc.start()
    try:
        response = client.get(reverse(f"incidents:{name}", args=[incident.number]))
        pieces = response.streaming_content if response.streaming else [response.content]
        sent = sum(len(chunk) for chunk in pieces)  # as a server sends it: piece by piece
        assert sent > 0
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("name", ["postmortem_export_json", "postmortem_export_md"])
def test_memory_does_not_grow_with_the_timeline(client_for, commander, incident, pm, name):
    """Built in memory, 2,000 more entries held several MB more (model rows and the whole text); streamed,
    the peak is that of one chunk of rows whatever the length (`make bench` measures 1,000 and 5,000)."""
    client = client_for(commander)
    _fill(incident, 500)
    _peak(client, incident, name)  # warm: templates, parsers, the renderer's memo
    small = _peak(client, incident, name)
    _fill(incident, 2000, start=500)
    large = _peak(client, incident, name)
    assert large < small + 1_500_000, (small, large)
