"""Importing chat transcripts, Slack exports and CSV into the timeline: preview, all or nothing, duplicates."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from incidents.models import TimelineEntry
from incidents.timeline import selectors
from incidents.timeline.imports import parse_csv, parse_slack, parse_transcript
from incidents.timeline.services import ImportRejected, timeline_entry_add, timeline_import

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")
NY = ZoneInfo("America/New_York")

TRANSCRIPT = """\
[2025-03-10 14:05] alice: Checkout error rate is climbing
[2025-03-10 14:06:30] bob: Looking at the deploy from 13:50
  it touched the payment client
[14:20] alice: Rolled back, errors falling
[23:58] bob: Quiet now
[00:03] bob: Still quiet after midnight
"""


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def import_url(incident) -> str:
    return reverse("incidents:timeline_import", args=[incident.number])


def test_transcript_lines_are_read_in_the_chosen_zone_with_dates_carried_forward():
    parsed = parse_transcript(TRANSCRIPT, zone=BERLIN, first_date=date(2025, 1, 1))
    assert parsed.problems == []
    assert [(r.line, r.occurred_at, r.author) for r in parsed.rows] == [
        (1, utc(2025, 3, 10, 13, 5), "alice"),  # 14:05 CET
        (2, utc(2025, 3, 10, 13, 6, 30), "bob"),
        (4, utc(2025, 3, 10, 13, 20), "alice"),
        (5, utc(2025, 3, 10, 22, 58), "bob"),
        (6, utc(2025, 3, 10, 23, 3), "bob"),  # 00:03 on 11 March, after midnight
    ]
    assert parsed.rows[1].text == "Looking at the deploy from 13:50\n  it touched the payment client"


def test_transcript_without_dates_starts_on_the_given_day():
    parsed = parse_transcript("[09:00] ops: paged\n[09:05] ops: acked", zone=NY, first_date=date(2025, 7, 1))
    assert [r.occurred_at for r in parsed.rows] == [utc(2025, 7, 1, 13, 0), utc(2025, 7, 1, 13, 5)]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("[2025-03-10 14:05] a: ok\n[2025-03-10 25:05] b: bad hour", 2, "not a time of day"),
        ("[2025-03-10 14:05] a: ok\n[yesterday] b: what", 2, "cannot read the time"),
        ("no stamp at all\n[2025-03-10 14:05] a: ok", 1, "no time at the start"),
        ("[2025-03-10 14:05] a: ok\n[2025-02-30 10:00] b: no such day", 2, "not a date"),
        ("[2025-03-10 14:05] a: ok\n[2025-03-10 14:06] b:  ", 2, "empty"),
        ("[2025-03-09 02:30] a: in the gap", 1, "does not exist in America/New_York"),
    ],
)
def test_transcript_bad_lines_are_named_with_their_number_and_reason(text, line, reason):
    parsed = parse_transcript(text, zone=NY, first_date=date(2025, 3, 10))
    assert [n for n, _ in parsed.problems] == [line]
    assert reason in parsed.problems[0][1]


def test_slack_export_is_read_with_absolute_times_and_notices_skipped():
    export = [
        {"type": "message", "subtype": "channel_join", "ts": "1741611000.000100", "text": "joined"},
        {
            "type": "message",
            "ts": "1741611900.000200",
            "text": "DB failover started",
            "user_profile": {"real_name": "Ana"},
        },
        {"type": "message", "ts": "1741612000.5", "text": "done", "user": "U123"},
    ]
    parsed = parse_slack(json.dumps(export))
    assert parsed.problems == []
    assert parsed.skipped == 1
    assert [(r.line, r.occurred_at, r.author, r.text) for r in parsed.rows] == [
        (2, utc(2025, 3, 10, 13, 5), "Ana", "DB failover started"),
        (3, utc(2025, 3, 10, 13, 6, 40), "U123", "done"),
    ]


def test_slack_export_problems():
    assert parse_slack("{not json").problems[0][1].startswith("not valid JSON")
    parsed = parse_slack(json.dumps([{"ts": "abc", "text": "x"}, {"ts": "1741611900", "text": ""}]))
    assert parsed.problems == [(1, "no readable `ts` time"), (2, "the message has no text")]


def test_csv_with_header_and_offsets():
    text = 'time,author,text\n2025-03-10 14:05,alice,Paged\n2025-03-10T14:10:00Z,bob,"Rolled back, fine"\n'
    parsed = parse_csv(text, zone=BERLIN)
    assert parsed.problems == []
    assert [(r.line, r.occurred_at, r.text) for r in parsed.rows] == [
        (2, utc(2025, 3, 10, 13, 5), "Paged"),
        (3, utc(2025, 3, 10, 14, 10), "Rolled back, fine"),
    ]


def test_csv_problems_name_the_line():
    text = "2025-03-10 14:05,alice,ok\n14:06,bob,no date\n2025-03-10 14:07,carol\n2025-03-10 14:08,dan,\n"
    parsed = parse_csv(text, zone=BERLIN)
    assert [n for n, _ in parsed.problems] == [2, 3, 4]
    assert "needs a date" in parsed.problems[0][1]
    assert "expected 3 columns" in parsed.problems[1][1]


def test_duplicates_of_existing_entries_are_flagged(incident, commander):
    timeline_entry_add(
        incident=incident,
        actor=commander,
        body="Checkout error rate is climbing",
        occurred_at=utc(2025, 3, 10, 13, 5, 40),
    )
    parsed = parse_transcript(TRANSCRIPT, zone=BERLIN, first_date=date(2025, 3, 10))
    assert selectors.timeline_flag_duplicates(incident, parsed.rows) == 1
    assert [r.line for r in parsed.rows if r.duplicate] == [1]


def test_service_refuses_any_problem_and_saves_nothing(incident, commander):
    parsed = parse_transcript(
        TRANSCRIPT + "[2025-03-11 99:00] x: broken\n", zone=BERLIN, first_date=date(2025, 3, 10)
    )
    with pytest.raises(ImportRejected) as exc:
        timeline_import(incident=incident, actor=commander, rows=parsed.rows, problems=parsed.problems)
    assert exc.value.problems[0][0] == 7
    assert not TimelineEntry.objects.filter(incident=incident).exists()


def test_pasted_transcript_previews_then_imports_with_the_right_times(client_for, commander, incident):
    client = client_for(commander)
    form = {
        "format": "transcript",
        "zone": "Europe/Berlin",
        "first_date": "2025-03-10",
        "content": TRANSCRIPT,
    }
    preview = client.post(import_url(incident), {**form, "preview": "1"})
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Preview: 5 entries" in html
    assert "<td>2025-03-10 14:05 CET</td>" in html  # in the chosen zone
    assert "<td>2025-03-10 13:05 UTC</td>" in html  # and in the viewer's own (UTC)
    assert 'name="confirm"' in html
    assert not TimelineEntry.objects.filter(incident=incident).exists()

    done = client.post(import_url(incident), {**form, "confirm": "1"})
    assert done.status_code == 302
    entries = list(TimelineEntry.objects.filter(incident=incident).order_by("occurred_at", "id"))
    assert [(e.occurred_at, e.author_name, e.source) for e in entries] == [
        (utc(2025, 3, 10, 13, 5), "alice", "import"),
        (utc(2025, 3, 10, 13, 6, 30), "bob", "import"),
        (utc(2025, 3, 10, 13, 20), "alice", "import"),
        (utc(2025, 3, 10, 22, 58), "bob", "import"),
        (utc(2025, 3, 10, 23, 3), "bob", "import"),
    ]
    assert entries[0].history.count() == 1
    assert entries[0].history.first().history_user == commander
    page = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert "Checkout error rate is climbing" in page


def test_import_with_one_bad_line_saves_nothing_and_names_the_line(client_for, commander, incident):
    content = "[2025-03-10 14:05] alice: fine\n[2025-03-10 14:61] bob: minute 61\n[2025-03-10 14:07] alice: fine too\n"
    form = {"format": "transcript", "zone": "UTC", "first_date": "2025-03-10", "content": content}
    response = client_for(commander).post(import_url(incident), {**form, "confirm": "1"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Line 2: 14:61 is not a time of day" in html
    assert 'name="confirm"' not in html
    assert not TimelineEntry.objects.filter(incident=incident).exists()


def test_duplicates_are_skipped_on_import_unless_asked(client_for, commander, incident):
    timeline_entry_add(incident=incident, actor=commander, body="Paged", occurred_at=utc(2025, 3, 10, 14, 5))
    content = "time,author,text\n2025-03-10 14:05,alice,Paged\n2025-03-10 14:06,bob,Acked\n"
    form = {"format": "csv", "zone": "UTC", "content": content}
    preview = client_for(commander).post(import_url(incident), {**form, "preview": "1"}).content.decode()
    assert "1 duplicate" in preview
    assert "duplicate: skipped" in preview
    assert "Import 1 entry" in preview
    client_for(commander).post(import_url(incident), {**form, "confirm": "1"})
    assert list(TimelineEntry.objects.filter(incident=incident).values_list("body", flat=True)) == [
        "Paged",
        "Acked",
    ]


def test_slack_upload_imports(client_for, commander, incident):
    export = json.dumps([{"ts": "1741611900", "text": "From Slack", "user_profile": {"display_name": "ana"}}])
    upload = SimpleUploadedFile("channel.json", export.encode(), content_type="application/json")
    response = client_for(commander).post(
        import_url(incident), {"format": "slack", "zone": "UTC", "upload": upload, "confirm": "1"}
    )
    assert response.status_code == 302
    entry = TimelineEntry.objects.get(incident=incident)
    assert (entry.body, entry.author_name, entry.occurred_at) == (
        "From Slack",
        "ana",
        utc(2025, 3, 10, 13, 5),
    )


def test_import_form_refuses_unknown_zone_and_empty_text(client_for, commander, incident):
    response = client_for(commander).post(
        import_url(incident), {"format": "csv", "zone": "Mars/Olympus", "content": ""}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "is not an IANA time zone" in html
    assert not TimelineEntry.objects.exists()


def test_viewer_cannot_import(client_for, viewer, incident):
    response = client_for(viewer).post(
        import_url(incident),
        {"format": "csv", "zone": "UTC", "content": "2025-03-10 14:05,a,b", "confirm": "1"},
    )
    assert response.status_code == 403  # a reader sees the incident, so the refusal is not a 404
    assert not TimelineEntry.objects.exists()


SECONDS_OFFSET = (
    "+05:30:15 is not a UTC offset in use: offsets are whole hours and minutes (+05:30, not +05:30:15), "
    "between -12:00 and +14:00."
)


def test_a_csv_time_with_a_seconds_offset_names_the_offset():
    parsed = parse_csv("2025-03-10T14:05+05:30:15,ana,Paged\n", zone=UTC)
    assert parsed.rows == []
    assert parsed.problems == [(1, SECONDS_OFFSET)]


@pytest.mark.parametrize(
    ("stamp", "reason"),
    [
        ("2025-03-10 14:05 +05:30:15", SECONDS_OFFSET),
        ("14:05+05:30:15", SECONDS_OFFSET),
        (
            "2025-03-10 14:05 +25:00",
            "+25:00 is not a UTC offset in use: offsets lie between -12:00 and +14:00.",
        ),
        ("2025-03-10 14:05 +5:30", "+5:30 is not a UTC offset (use e.g. +02:00 or -05:00)."),
    ],
)
def test_a_transcript_line_with_a_bad_offset_is_refused_naming_the_offset(
    client_for, commander, incident, stamp, reason
):
    content = f"[2025-03-10 14:00] alice: fine\n[{stamp}] bob: paged the DBA\n"
    parsed = parse_transcript(content, zone=UTC, first_date=date(2025, 3, 10))
    assert parsed.problems == [(2, reason)]
    # The import page names the line and the offset, and saves nothing.
    form = {"format": "transcript", "zone": "UTC", "first_date": "2025-03-10", "content": content}
    response = client_for(commander).post(import_url(incident), {**form, "confirm": "1"})
    assert response.status_code == 422
    assert f"Line 2: {escape(reason)}" in response.content.decode()
    assert not TimelineEntry.objects.filter(incident=incident).exists()
