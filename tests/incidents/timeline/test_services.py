"""Timeline services: add, edit, remove, restore, ordering, system entries, durations untouched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from incidents.incident.services.lifecycle import incident_resolve
from incidents.models import EntrySource, TimelineEntry
from incidents.timeline import selectors
from incidents.timeline import services as timeline_services
from incidents.timeline.services import (
    timeline_entry_add,
    timeline_entry_edit,
    timeline_entry_remove,
    timeline_entry_restore,
)
from incidents.timeparse import parse_time
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_entries_typed_with_mixed_offsets_sort_by_instant(incident, commander):
    from zoneinfo import ZoneInfo

    now = utc(2025, 3, 10, 23, 0)
    typed = [
        ("2025-03-10T14:05:00+02:00", "Berlin responder: 12:05 UTC"),
        ("2025-03-10T12:00:00Z", "UTC responder: 12:00 UTC"),
        ("2025-03-10T07:10:00-05:00", "Chicago responder: 12:10 UTC"),
        ("2025-03-10T13:01:00+01:00", "Paris responder: 12:01 UTC"),
    ]
    for text, body in typed:
        # Each person types in their own zone; the offset decides the instant.
        when = parse_time(text, zone=ZoneInfo("Pacific/Auckland"), now=now).instant
        timeline_entry_add(incident=incident, actor=commander, body=body, occurred_at=when)
    window = selectors.timeline_window(incident)
    assert [e.body_html for e in window.entries] == [
        "<p>UTC responder: 12:00 UTC</p>",
        "<p>Paris responder: 12:01 UTC</p>",
        "<p>Berlin responder: 12:05 UTC</p>",
        "<p>Chicago responder: 12:10 UTC</p>",
    ]
    assert list(TimelineEntry.objects.filter(incident=incident).values_list("body", flat=True))[0].startswith(
        "UTC responder"
    )


def test_same_instant_orders_by_id(incident, commander):
    at = utc(2025, 1, 1, 12, 0)
    first = timeline_entry_add(incident=incident, actor=commander, body="first", occurred_at=at)
    second = timeline_entry_add(incident=incident, actor=commander, body="second", occurred_at=at)
    assert [e.pk for e in selectors.timeline_window(incident).entries] == [first.pk, second.pk]


def test_add_refuses_empty_body_and_naive_time(incident, commander):
    with pytest.raises(ValidationError) as exc:
        timeline_entry_add(
            incident=incident, actor=commander, body="  ", occurred_at=datetime(2025, 1, 1, 12, 0)
        )
    assert set(exc.value.message_dict) == {"body", "occurred_at"}
    assert TimelineEntry.objects.filter(incident=incident).count() == 0


def test_add_keeps_its_keyword_signature_for_other_callers(incident, commander):
    entry = timeline_entry_add(
        incident=incident,
        actor=commander,
        body="Rolled back **deploy 42**",
        kind="change",
        occurred_at=utc(2025, 1, 1, 12, 0),
        source=EntrySource.API,
        evidence="repair",
        knew_then="We thought it was the cache",
        is_key_moment=True,
        author_name="",
    )
    assert entry.body_html == "<p>Rolled back <strong>deploy 42</strong></p>"
    assert entry.history.count() == 1
    assert entry.history.first().history_user == commander


def test_entries_before_start_and_after_resolution_change_no_duration(commander):
    start = utc(2025, 1, 1, 10, 0)
    incident = IncidentFactory(started_at=start, detected_at=start + timedelta(minutes=5))
    incident_resolve(incident=incident, actor=commander, at=start + timedelta(hours=2))
    incident.refresh_from_db()
    before = (incident.impact_duration, incident.time_to_detect, incident.time_to_resolve)
    timeline_entry_add(
        incident=incident,
        actor=commander,
        body="Deploy the day before",
        occurred_at=start - timedelta(days=1),
    )
    timeline_entry_add(
        incident=incident, actor=commander, body="Follow-up fix", occurred_at=start + timedelta(days=2)
    )
    incident.refresh_from_db()
    assert (incident.impact_duration, incident.time_to_detect, incident.time_to_resolve) == before
    assert incident.started_at == start


def test_status_change_appears_at_its_own_time_not_on_top(commander):
    start = utc(2025, 1, 1, 10, 0)
    incident = IncidentFactory(started_at=start, commander=commander)
    early = timeline_entry_add(incident=incident, actor=commander, body="Paged", occurred_at=start)
    late = timeline_entry_add(
        incident=incident, actor=commander, body="Checked graphs", occurred_at=start + timedelta(hours=3)
    )
    incident_resolve(incident=incident, actor=commander, at=start + timedelta(hours=1))
    bodies = [e.body_html for e in selectors.timeline_window(incident).entries]
    system = [e for e in selectors.timeline_window(incident).entries if e.source == EntrySource.SYSTEM]
    assert len(system) == 2  # "Incident resolved" and the mitigation it fills in, both at their time
    assert [bodies.index(e.body_html) for e in system] == [1, 2]
    assert bodies[0] == early.body_html
    assert bodies[-1] == late.body_html


def test_edit_keeps_history_and_renders_markdown(incident, commander, responder):
    entry = timeline_entry_add(incident=incident, actor=commander, body="Restarted db-1")
    edited = timeline_entry_edit(entry=entry, actor=responder, body="Restarted *db-2*", evidence="repair")
    assert edited.body_html == "<p>Restarted <em>db-2</em></p>"
    versions = list(edited.history.order_by("history_date"))
    assert [v.body for v in versions] == ["Restarted db-1", "Restarted *db-2*"]
    assert versions[-1].history_user == responder


def test_edit_with_no_change_writes_no_version(incident, commander):
    entry = timeline_entry_add(incident=incident, actor=commander, body="Same")
    timeline_entry_edit(entry=entry, actor=commander, body="Same")
    assert entry.history.count() == 1


def test_system_entry_text_cannot_be_edited_but_can_be_marked(incident, commander):
    entry = timeline_services.system_entry(incident=incident, actor=commander, body="Status changed")
    with pytest.raises(ValidationError) as exc:
        timeline_entry_edit(entry=entry, actor=commander, body="Something else")
    assert "body" in exc.value.message_dict
    marked = timeline_entry_edit(entry=entry, actor=commander, evidence="repair", is_key_moment=True)
    assert marked.evidence == "repair"
    assert marked.is_key_moment is True
    with pytest.raises(ValidationError):
        timeline_entry_remove(entry=entry, actor=commander)


def test_remove_is_soft_and_restorable(incident, commander):
    entry = timeline_entry_add(incident=incident, actor=commander, body="Wrong incident")
    removed = timeline_entry_remove(entry=entry, actor=commander)
    assert removed.removed_at is not None
    assert removed.removed_by == commander
    assert TimelineEntry.objects.filter(pk=entry.pk).exists()
    assert selectors.timeline_window(incident).entries == []
    assert [e.pk for e in selectors.timeline_window(incident, include_removed=True).entries] == [entry.pk]
    with pytest.raises(ValidationError):
        timeline_entry_edit(entry=entry, actor=commander, body="edit while removed")
    restored = timeline_entry_restore(entry=entry, actor=commander)
    assert restored.removed_at is None
    assert [e.pk for e in selectors.timeline_window(incident).entries] == [entry.pk]
    assert entry.history.count() == 3


def test_live_cursor_returns_only_newer_changes(incident, commander):
    base = utc(2025, 3, 10, 12, 0)
    with time_machine.travel(base, tick=False):
        old = timeline_entry_add(incident=incident, actor=commander, body="old")
        untouched = timeline_entry_add(incident=incident, actor=commander, body="untouched")
    with time_machine.travel(base + timedelta(minutes=1), tick=False):
        rows, cursor = selectors.timeline_changes_since(
            incident, selectors.TimelineCursor.start(base - timedelta(hours=1))
        )
        assert [r.pk for r in rows] == [old.pk, untouched.pk]
    with time_machine.travel(base + timedelta(minutes=2), tick=False):
        new = timeline_entry_add(incident=incident, actor=commander, body="new")
        timeline_entry_edit(entry=old, actor=commander, body="old, edited")
    with time_machine.travel(base + timedelta(minutes=3), tick=False):
        rows, cursor2 = selectors.timeline_changes_since(incident, cursor)
        # Both changed at the same instant: (updated_at, id) puts the older id first.
        assert [r.pk for r in rows] == [old.pk, new.pk]
        assert rows[0].body_html == "<p>old, edited</p>"
        assert untouched.pk not in [r.pk for r in rows]
    with time_machine.travel(base + timedelta(minutes=4), tick=False):
        timeline_entry_remove(entry=new, actor=commander)
        rows, _ = selectors.timeline_changes_since(incident, cursor2)
        assert [(r.pk, r.removed_at is not None) for r in rows] == [(new.pk, True)]


def test_live_cursor_never_moves_past_the_settle_window(incident, commander):
    base = utc(2025, 3, 10, 12, 0)
    with time_machine.travel(base, tick=False):
        entry = timeline_entry_add(incident=incident, actor=commander, body="just now")
        start = selectors.TimelineCursor.start(base - timedelta(minutes=5))
        rows, cursor = selectors.timeline_changes_since(incident, start)
        # The change is younger than LIVE_SETTLE: the next poll sends it again instead of risking a gap.
        assert [r.pk for r in rows] == [entry.pk]
        again, _ = selectors.timeline_changes_since(incident, cursor)
        assert [r.pk for r in again] == [entry.pk]
    with time_machine.travel(base + selectors.LIVE_SETTLE + timedelta(seconds=1), tick=False):
        _, settled = selectors.timeline_changes_since(incident, cursor)
        later, _ = selectors.timeline_changes_since(incident, settled)
        assert later == []


def test_cursor_round_trips_and_rejects_garbage():
    cursor = selectors.TimelineCursor(utc(2025, 3, 10, 12, 0, 1), 42)
    assert selectors.TimelineCursor.decode(cursor.encode()) == cursor
    for bad in ["", "x", "12.", ".4", "1.2.3", "-5.1"]:
        with pytest.raises(ValueError, match="cursor"):
            selectors.TimelineCursor.decode(bad)


def test_filters_by_kind_and_marker(incident, commander):
    timeline_entry_add(incident=incident, actor=commander, body="a", kind="decision")
    timeline_entry_add(incident=incident, actor=commander, body="b", kind="action", evidence="repair")
    timeline_entry_add(incident=incident, actor=commander, body="c", kind="note", is_key_moment=True)
    timeline_entry_add(incident=incident, actor=commander, body="d", kind="note", evidence="key_moment")

    def bodies(**kw):
        return [e.body_html for e in selectors.timeline_window(incident, **kw).entries]

    assert bodies(kind="decision") == ["<p>a</p>"]
    assert bodies(marker="repair") == ["<p>b</p>"]
    assert bodies(marker="key_moment") == ["<p>c</p>", "<p>d</p>"]
    assert bodies(kind="note", marker="key_moment") == ["<p>c</p>", "<p>d</p>"]
    assert bodies(kind="action", marker="diagnosis") == []


def test_window_shows_newest_and_pages_older(incident, commander):
    start = utc(2025, 1, 1, 0, 0)
    entries = [
        timeline_entry_add(
            incident=incident, actor=commander, body=f"e{i}", occurred_at=start + timedelta(minutes=i)
        )
        for i in range(7)
    ]
    window = selectors.timeline_window(incident, limit=3)
    assert [e.pk for e in window.entries] == [e.pk for e in entries[4:]]
    assert window.has_older
    older = selectors.timeline_window(
        incident, limit=3, before=(window.entries[0].occurred_at, window.entries[0].pk)
    )
    assert [e.pk for e in older.entries] == [e.pk for e in entries[1:4]]
    oldest = selectors.timeline_window(
        incident, limit=3, before=(older.entries[0].occurred_at, older.entries[0].pk)
    )
    assert [e.pk for e in oldest.entries] == [entries[0].pk]
    assert not oldest.has_older
