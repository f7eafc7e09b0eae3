"""Timeline pages: quick add, time preview, live changes, older entries, edit/remove, filters, query counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents.markdown import render_markdown
from incidents.models import TimelineEntry
from incidents.permissions.checks import SYSTEM
from incidents.timeline import selectors
from incidents.timeline.services import timeline_entry_add, timeline_entry_edit, timeline_entry_remove
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def url(name: str, incident, *args) -> str:
    return reverse(f"incidents:{name}", args=[incident.number, *args])


def quick_add(client, incident, **data):
    return client.post(url("timeline_quick_add", incident), data, headers=HX)


def test_quick_add_saves_a_note_now_and_answers_an_empty_focused_form(client_for, commander, incident):
    with time_machine.travel(utc(2025, 3, 10, 12, 0), tick=False):
        response = quick_add(client_for(commander), incident, body="Paged the **DB** team")
    assert response.status_code == 200
    entry = TimelineEntry.objects.get(incident=incident)
    assert (entry.kind, entry.source, entry.author) == ("note", "web", commander)
    assert entry.occurred_at == utc(2025, 3, 10, 12, 0)
    html = response.content.decode()
    textarea = re.search(r"<textarea id=\"qa-body\"[^>]*>(.*?)</textarea>", html, re.S)
    assert textarea is not None
    assert textarea.group(1) == ""
    assert "autofocus" in textarea.group(0)
    assert "data-enter-submits" in textarea.group(0)
    # The new entry rides along, to be placed in the list without waiting for the next poll.
    assert 'hx-swap-oob="beforeend:#timeline-incoming"' in html
    assert f'id="entry-{entry.pk}"' in html
    assert "Paged the <strong>DB</strong> team" in html


def test_quick_add_reads_a_clock_time_in_the_users_zone_and_shows_it_back(client_for, commander, incident):
    commander.time_zone = "Pacific/Auckland"
    commander.save()
    # 2025-03-10 15:00 NZDT.
    with time_machine.travel(utc(2025, 3, 10, 2, 0), tick=False):
        response = quick_add(
            client_for(commander), incident, body="Deploy started", when="14:05", kind="change"
        )
    entry = TimelineEntry.objects.get(incident=incident)
    assert entry.occurred_at == utc(2025, 3, 10, 1, 5)
    assert entry.kind == "change"
    assert re.search(r"Added at <time [^>]*>2025-03-10 14:05 NZDT</time>", response.content.decode())


@pytest.mark.parametrize(
    ("when", "delta"),
    [("-5m", timedelta(minutes=5)), ("yesterday 23:40", None), ("2025-03-10T09:00:00+02:00", None)],
)
def test_quick_add_accepts_the_documented_forms(client_for, commander, incident, when, delta):
    now = utc(2025, 3, 10, 12, 0)
    expected = {
        "-5m": now - timedelta(minutes=5),
        "yesterday 23:40": utc(2025, 3, 9, 23, 40),
        "2025-03-10T09:00:00+02:00": utc(2025, 3, 10, 7, 0),
    }[when]
    with time_machine.travel(now, tick=False):
        assert quick_add(client_for(commander), incident, body="x", when=when).status_code == 200
    assert TimelineEntry.objects.get(incident=incident).occurred_at == expected


def test_quick_add_refuses_a_dst_gap_time_naming_both_instants(client_for, commander, incident):
    commander.time_zone = "America/New_York"
    commander.save()
    with time_machine.travel(utc(2025, 3, 9, 18, 0), tick=False):
        response = quick_add(client_for(commander), incident, body="Failover", when="02:30")
        assert response.status_code == 422
        html = response.content.decode()
        assert "does not exist in America/New_York" in html
        assert "01:30 EST (06:30 UTC" in html
        assert "03:30 EDT (07:30 UTC" in html
        # What was typed stays in the box.
        assert ">Failover</textarea>" in html
        assert not TimelineEntry.objects.filter(incident=incident).exists()
        ok = quick_add(client_for(commander), incident, body="Failover", when="02:30 -05:00")
    assert ok.status_code == 200
    assert TimelineEntry.objects.get(incident=incident).occurred_at == utc(2025, 3, 9, 7, 30)


def test_quick_add_refuses_an_ambiguous_time_unless_an_offset_is_given(client_for, commander, incident):
    commander.time_zone = "America/New_York"
    commander.save()
    with time_machine.travel(utc(2025, 11, 2, 15, 0), tick=False):
        response = quick_add(client_for(commander), incident, body="Alert fired", when="01:30")
        assert response.status_code == 422
        html = response.content.decode()
        assert "happens twice in America/New_York" in html
        assert "05:30 UTC" in html
        assert "06:30 UTC" in html
        assert (
            quick_add(client_for(commander), incident, body="Alert fired", when="01:30 -04:00").status_code
            == 200
        )
    assert TimelineEntry.objects.get(incident=incident).occurred_at == utc(2025, 11, 2, 5, 30)


def test_quick_add_without_javascript_redirects_back(client_for, commander, incident):
    response = client_for(commander).post(url("timeline_quick_add", incident), {"body": "No JS here"})
    entry = TimelineEntry.objects.get(incident=incident)
    assert response.status_code == 302
    assert response["Location"].endswith(f"#entry-{entry.pk}")
    bad = client_for(commander).post(url("timeline_quick_add", incident), {"body": ""})
    assert bad.status_code == 422
    assert "This field is required." in bad.content.decode()


def test_quick_add_without_javascript_refused_keeps_what_was_typed_beside_the_error(
    client_for, commander, incident
):
    commander.time_zone = "America/New_York"
    commander.save()
    typed = {"body": "Failover to the **replica**", "kind": "action", "when": "02:30"}
    with time_machine.travel(utc(2025, 3, 9, 18, 0), tick=False):
        response = client_for(commander).post(url("timeline_quick_add", incident), typed)
    # The incident page itself, not a redirect that would lose the text.
    assert response.status_code == 422
    assert response.templates[0].name == "incidents/incident/detail.html"
    html = response.content.decode()
    assert ">Failover to the **replica**</textarea>" in html
    assert '<option value="action" selected>' in html
    assert re.search(r'<input id="qa-when" name="when"[^>]*value="02:30"', html)
    assert "does not exist in America/New_York" in html
    assert html.index('id="quick-add"') < html.index("does not exist") < html.index("Milestones")
    assert not TimelineEntry.objects.filter(incident=incident).exists()


def test_empty_quick_add_is_refused_with_a_message(client_for, commander, incident):
    response = quick_add(client_for(commander), incident, body="   ")
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not TimelineEntry.objects.exists()


def test_viewer_cannot_quick_add(client_for, viewer, incident):
    assert quick_add(client_for(viewer), incident, body="x").status_code == 403
    assert not TimelineEntry.objects.exists()


def test_time_preview_shows_the_reading_with_zone_label(client_for, commander, incident):
    commander.time_zone = "Pacific/Auckland"
    commander.save()
    client = client_for(commander)
    with time_machine.travel(utc(2025, 3, 10, 2, 0), tick=False):
        ok = client.get(url("timeline_when", incident), {"when": "14:05"}, headers=HX)
        bad = client.get(url("timeline_when", incident), {"when": "half past"}, headers=HX)
    assert "2025-03-10 14:05 NZDT" in ok.content.decode()
    assert "Cannot read" in bad.content.decode()


def test_incident_page_has_quick_add_at_top_and_no_inline_script(client_for, commander, incident):
    html = client_for(commander).get(url("detail", incident)).content.decode()
    assert html.index('id="quick-add"') < html.index("Milestones")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "js/timeline.js" in html
    assert "js/htmx.min.js" in html
    assert 'hx-trigger="every 2s"' in html


def test_sydney_viewer_sees_early_morning_entry_under_local_date(client_for, viewer, incident):
    viewer.time_zone = "Australia/Sydney"
    viewer.save()
    # 2025-03-09 19:30 UTC is 06:30 on Monday 10 March in Sydney (AEDT, UTC+11).
    timeline_entry_add(
        incident=incident, actor=SYSTEM, body="Early page", occurred_at=utc(2025, 3, 9, 19, 30)
    )
    html = client_for(viewer).get(url("detail", incident)).content.decode()
    assert "2025-03-10 06:30 AEDT" in html
    entry_li = html.split("Early page")[0].rsplit("<li", 1)[-1]
    assert 'data-day="2025-03-10"' in entry_li
    assert "2025-03-09" not in entry_li
    # The entry sits under the heading of its local day, Monday 10 March, not Sunday 9 March (UTC).
    assert html.index("<h3>Monday 10 March 2025</h3>") < html.index("Early page")
    assert "Sunday 9 March 2025" not in html


def test_page_orders_entries_by_instant_whatever_offset_they_were_typed_with(client_for, commander, incident):
    client = client_for(commander)
    with time_machine.travel(utc(2025, 3, 10, 20, 0), tick=False):
        for when, body in [
            ("2025-03-10T14:05:00+02:00", "third"),
            ("2025-03-10T12:00:00Z", "first"),
            ("2025-03-10T07:02:00-05:00", "second"),
        ]:
            assert quick_add(client, incident, body=body, when=when).status_code == 200
    html = client.get(url("detail", incident)).content.decode()
    list_html = html[html.index('id="timeline-list"') :]
    assert (
        list_html.index("<p>first</p>") < list_html.index("<p>second</p>") < list_html.index("<p>third</p>")
    )


def test_live_endpoint_returns_only_changes_after_the_cursor(client_for, commander, viewer, incident):
    base = utc(2025, 3, 10, 12, 0)
    with time_machine.travel(base, tick=False):
        old = timeline_entry_add(incident=incident, actor=commander, body="Old entry")
    with time_machine.travel(base + timedelta(minutes=5), tick=False):
        page = client_for(viewer).get(url("detail", incident)).content.decode()
        cursor = re.search(r'id="timeline-cursor" name="cursor" value="([^"]+)"', page).group(1)
    with time_machine.travel(base + timedelta(minutes=6), tick=False):
        new = timeline_entry_add(incident=incident, actor=commander, body="New entry")
        gone = timeline_entry_add(incident=incident, actor=commander, body="Typo entry")
    with time_machine.travel(base + timedelta(minutes=7), tick=False):
        timeline_entry_remove(entry=gone, actor=commander)
        response = client_for(viewer).get(url("timeline_changes", incident), {"cursor": cursor}, headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "New entry" in html
    assert "Old entry" not in html
    assert f'id="entry-{old.pk}"' not in html
    assert f'<li id="entry-{gone.pk}" data-gone="1"></li>' in html  # a viewer no longer sees it
    assert "Typo entry" not in html
    next_cursor = re.search(r'id="timeline-cursor" name="cursor" value="([^"]+)" hx-swap-oob="true"', html)
    assert next_cursor is not None
    assert f'id="entry-{new.pk}"' in html
    with time_machine.travel(base + timedelta(minutes=8), tick=False):
        editor = client_for(commander).get(url("timeline_changes", incident), {"cursor": cursor}, headers=HX)
    # Editors keep seeing removed entries, struck out, with Restore.
    assert "Typo entry" in editor.content.decode()
    assert "Restore" in editor.content.decode()


def test_live_endpoint_drops_entries_leaving_a_filter(client_for, commander, incident):
    base = utc(2025, 3, 10, 12, 0)
    with time_machine.travel(base, tick=False):
        entry = timeline_entry_add(incident=incident, actor=commander, body="Decide", kind="decision")
        cursor = selectors.TimelineCursor(base, entry.pk).encode()
    with time_machine.travel(base + timedelta(minutes=1), tick=False):
        timeline_entry_edit(entry=entry, actor=commander, kind="action")
        response = client_for(commander).get(
            url("timeline_changes", incident), {"cursor": cursor, "kind": "decision"}, headers=HX
        )
    assert f'<li id="entry-{entry.pk}" data-gone="1"></li>' in response.content.decode()


def test_live_endpoint_refuses_a_bad_cursor(client_for, commander, incident):
    response = client_for(commander).get(url("timeline_changes", incident), {"cursor": "yesterday"})
    assert response.status_code == 400


def test_editors_see_removed_entries_viewers_do_not(client_for, commander, viewer, incident):
    entry = timeline_entry_add(incident=incident, actor=commander, body="Removed words")
    timeline_entry_remove(entry=entry, actor=commander)
    assert "Removed words" in client_for(commander).get(url("detail", incident)).content.decode()
    assert "Removed words" not in client_for(viewer).get(url("detail", incident)).content.decode()
    assert client_for(viewer).get(url("timeline_entry", incident, entry.pk)).status_code == 404


def test_edit_remove_restore_through_htmx(client_for, commander, incident):
    client = client_for(commander)
    entry = timeline_entry_add(incident=incident, actor=commander, body="Restarted db-1")
    form = client.get(url("timeline_edit", incident, entry.pk), headers=HX)
    assert form.status_code == 200
    assert "Restarted db-1</textarea>" in form.content.decode()
    saved = client.post(
        url("timeline_edit", incident, entry.pk),
        {
            "body": "Restarted db-2",
            "kind": "action",
            "when": entry.occurred_at.isoformat(),
            "evidence": "repair",
            "knew_then": "We believed db-1 was the primary",
            "is_key_moment": "on",
        },
        headers=HX,
    )
    assert saved.status_code == 200
    entry.refresh_from_db()
    assert (entry.body, entry.kind, entry.evidence, entry.is_key_moment) == (
        "Restarted db-2",
        "action",
        "repair",
        True,
    )
    assert "What we knew then:" in saved.content.decode()
    removed = client.post(url("timeline_remove", incident, entry.pk), headers=HX)
    assert 'class="entry kind-action key-moment removed"' in removed.content.decode()
    restored = client.post(url("timeline_restore", incident, entry.pk), headers=HX)
    assert "removed" not in re.search(r'<li [^>]*class="([^"]*)"', restored.content.decode()).group(1)
    history = client.get(url("timeline_history", incident, entry.pk)).content.decode()
    assert "Restarted db-1" in history
    assert "Restarted db-2" in history


def test_edit_with_bad_time_is_refused_and_changes_nothing(client_for, commander, incident):
    entry = timeline_entry_add(incident=incident, actor=commander, body="x")
    response = client_for(commander).post(
        url("timeline_edit", incident, entry.pk), {"body": "y", "kind": "note", "when": "someday"}, headers=HX
    )
    assert response.status_code == 422
    assert "Cannot read" in response.content.decode()
    entry.refresh_from_db()
    assert entry.body == "x"


def test_older_entries_load_on_demand(client_for, commander, incident, monkeypatch):
    start = utc(2025, 1, 1, 0, 0)
    for i in range(5):
        timeline_entry_add(
            incident=incident, actor=commander, body=f"entry {i}", occurred_at=start + timedelta(minutes=i)
        )
    monkeypatch.setattr(selectors, "TIMELINE_WINDOW", 2)
    monkeypatch.setattr(
        selectors.timeline_window,
        "__kwdefaults__",
        {**(selectors.timeline_window.__kwdefaults__ or {}), "limit": 2},
    )
    client = client_for(commander)
    page = client.get(url("detail", incident)).content.decode()
    assert "entry 4" in page
    assert "entry 3" in page
    assert "entry 2" not in page
    older_url = re.search(r'hx-get="([^"]+/older/[^"]+)"', page).group(1).replace("&amp;", "&")
    older = client.get(older_url, headers=HX).content.decode()
    assert "entry 2" in older
    assert "entry 1" in older
    assert "entry 4" not in older
    assert "Load older entries" in older


def test_page_filters_by_kind_and_marker(client_for, commander, incident):
    timeline_entry_add(incident=incident, actor=commander, body="We decided to fail over", kind="decision")
    timeline_entry_add(incident=incident, actor=commander, body="Found the bad deploy", evidence="diagnosis")
    client = client_for(commander)
    decisions = client.get(url("detail", incident), {"kind": "decision"}).content.decode()
    assert "We decided to fail over" in decisions
    assert "Found the bad deploy" not in decisions
    diagnosis = client.get(url("detail", incident), {"marker": "diagnosis"}).content.decode()
    assert "Found the bad deploy" in diagnosis
    assert "We decided to fail over" not in diagnosis
    assert "changes/?marker=diagnosis" in diagnosis


def _bulk_entries(incident, n: int, author) -> None:
    start = incident.started_at
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            incident=incident,
            occurred_at=start + timedelta(seconds=i),
            author=author if i % 2 else None,
            author_name="" if i % 2 else "Imported person",
            kind=("note", "action", "decision")[i % 3],
            body=f"entry {i}",
            body_html=str(render_markdown(f"entry {i}")),
            evidence="repair" if i % 7 == 0 else "",
            removed_at=timezone.now() if i % 11 == 0 else None,
            removed_by=author if i % 11 == 0 else None,
        )
        for i in range(n)
    )


@pytest.mark.parametrize("persona", ["viewer", "commander"])
def test_incident_page_query_count_is_flat_from_1_to_2000_entries(client_for, personas, team, persona):
    user = personas[persona]
    small = IncidentFactory(commander=personas["commander"])
    big = IncidentFactory(commander=personas["commander"])
    small.teams.add(team)
    big.teams.add(team)
    _bulk_entries(small, 1, user)
    _bulk_entries(big, 2000, user)
    client = client_for(user)
    client.get(url("detail", small))  # warm the session
    with CaptureQueriesContext(connection) as one:
        assert client.get(url("detail", small)).status_code == 200
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("detail", big))
    assert response.status_code == 200
    assert len(many) == len(one)
    assert response.content.decode().count('<li id="entry-') == 50  # the newest 50 of 2000; older on demand


def test_incident_page_stays_within_query_budget(
    client_for, commander, incident, django_assert_max_num_queries
):
    _bulk_entries(incident, 2000, commander)
    client = client_for(commander)
    # 17: the attachments card's query and the milestones' "Declared" row (selectors.milestone_rows) each take
    # one, however many entries (DETAIL_BUDGET, 18, also counts the affected services card of a service).
    with django_assert_max_num_queries(17):
        assert client.get(url("detail", incident)).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(url("timeline_changes", incident), {"cursor": "0.0"}).status_code == 200


def test_live_feed_query_count_is_flat(client_for, commander, incident):
    _bulk_entries(incident, 1, commander)
    client = client_for(commander)
    client.get(url("timeline_changes", incident), {"cursor": "0.0"})
    with CaptureQueriesContext(connection) as one:
        client.get(url("timeline_changes", incident), {"cursor": "0.0"})
    _bulk_entries(incident, 150, commander)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("timeline_changes", incident), {"cursor": "0.0"})
    assert len(many) == len(one)
    assert response.content.decode().count("<li id=") == 151


def test_two_people_editing_one_entry_the_second_save_is_refused_with_both_texts(
    client_for, commander, responder, incident
):
    from tests.factories import TimelineEntryFactory

    entry = TimelineEntryFactory(incident=incident, body="Original text")
    url = f"/incidents/{incident.number}/timeline/{entry.pk}/edit/"
    first, second = client_for(commander), client_for(responder)
    stamp = entry.updated_at.isoformat()
    form = {"kind": "note", "evidence": "", "knew_then": "", "based_on": stamp}
    assert first.post(url, {**form, "body": "Edit by Cora"}).status_code == 302
    refused = second.post(url, {**form, "body": "Edit by Rory"})
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "Edit by Rory" in html
    assert "Edit by Cora" in html
    entry.refresh_from_db()
    assert entry.body == "Edit by Cora"
    # Saving the reviewed form again (it now carries the current stamp) goes through.
    import re

    current = re.search(r'name="based_on" value="([^"]+)"', html).group(1)
    assert second.post(url, {**form, "based_on": current, "body": "Edit by Rory"}).status_code == 302
    entry.refresh_from_db()
    assert entry.body == "Edit by Rory"


def test_editing_only_the_text_keeps_the_entry_time_to_the_microsecond(client_for, commander, incident):
    client = client_for(commander)
    entry = timeline_entry_add(incident=incident, actor=commander, body="Restarted db-1")
    before = entry.occurred_at
    form = client.get(url("timeline_edit", incident, entry.pk))
    shown = form.context["form"]
    data = {name: shown[name].value() or "" for name in shown.fields}
    data.update(body="Restarted db-2", is_key_moment="")
    assert client.post(url("timeline_edit", incident, entry.pk), data).status_code == 302
    entry.refresh_from_db()
    assert entry.body == "Restarted db-2"
    assert entry.occurred_at == before


def test_a_key_moment_marked_both_ways_shows_one_badge(client_for, commander, incident):
    from tests.factories import TimelineEntryFactory as _Entry

    _Entry(incident=incident, body="Replica deleted", evidence="key_moment", is_key_moment=True)
    page = client_for(commander).get(f"/incidents/{incident.number}/").content.decode()
    assert page.count(">Key moment</span>") == 1


def test_a_time_with_a_seconds_offset_is_refused_by_the_one_offset_rule(client_for, commander, incident):
    entry = timeline_entry_add(incident=incident, actor=commander, body="x")
    client = client_for(commander)
    added = quick_add(client, incident, body="Paged", when="14:05 +05:30:15")
    edited = client.post(
        url("timeline_edit", incident, entry.pk),
        {"body": "y", "kind": "note", "when": "2025-03-10T14:05+05:30:15"},
        headers=HX,
    )
    for response in (added, edited):
        assert response.status_code == 422
        text = response.content.decode()
        assert "+05:30:15 is not a UTC offset" in text
        assert "Cannot read" not in text
    assert [e.body for e in TimelineEntry.objects.filter(incident=incident)] == ["x"]
