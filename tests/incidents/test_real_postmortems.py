"""Done when: three real public postmortems entered as responders would, checked on every surface in three zones.

Facts (UTC unless said), from the companies' public postmortems, in our own words:
- Roblox, October 2021: down from Thursday 28 October 13:37 PDT until Sunday 31 October 16:45 PDT (about
  73 hours). Crosses midnight UTC four times and Copenhagen's change to winter time. Entered through the web
  forms by a commander in Los Angeles; resolved at its real time.
- Fastly, 8 June 2021: a valid customer configuration change triggered a latent bug at 09:47 UTC; detected
  within a minute; 95% of the network back to normal 49 minutes after onset; resolved by 11:00 UTC.
  Entered through the API with times typed in two zones (UTC and a responder in San Francisco, -07:00).
- Amazon S3 us-east-1, 28 February 2017: a mistyped command removed more capacity than intended at
  09:37 PST; the index subsystem served GET, LIST and DELETE again from 12:26 PST; PUT recovered when
  the placement subsystem finished at 13:54 PST; the index subsystem was fully recovered at 13:18 PST.
  Backfilled years later through the web forms, each state change at its real time, the timeline with a
  bare time typed in quick add (read on the incident's day).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pypdf
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from incidents.emails import render_email
from incidents.models import Incident
from incidents.notify.digests import digest_window
from incidents.notify.event_state import EventState
from incidents.notify.messages import digest_email, event_email_context
from incidents.review.documents import unnoticed_for
from incidents.review.exports import export_markdown
from incidents.review.services.postmortems import postmortem_start
from incidents.timefmt import format_duration, format_time, format_utc
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ZONES = ("UTC", "Europe/Copenhagen", "Pacific/Auckland")


def _declare_on_the_web(client, **fields) -> Incident:
    response = client.post(reverse("incidents:declare"), {"visibility": "internal", **fields})
    assert response.status_code == 302, response.content.decode()[:500]
    return Incident.objects.get(title=fields["title"])


def _post(client, name: str, incident: Incident, data: dict) -> None:
    response = client.post(reverse(f"incidents:{name}", args=[incident.number]), data, follow=True)
    assert response.status_code == 200
    errors = [str(m) for m in response.context["messages"] if m.level_tag == "error"]
    assert errors == []


@pytest.fixture
def entered(client_for, api_for, commander):
    commander.time_zone = "America/Los_Angeles"
    commander.save()
    web = client_for(commander)
    with time_machine.travel(TODAY, tick=False):
        roblox = _declare_on_the_web(
            web, title="Roblox: services down", severity="SEV1", started_at="2021-10-28T13:37"
        )
        _post(web, "status", roblox, {"status": "resolved", "when": "2021-10-31T16:45"})

        api = api_for(commander)
        made = api.post(
            "/api/v1/incidents/",
            {
                "title": "Fastly: global edge errors",
                "severity": "SEV1",
                "started_at": "2021-06-08T09:47:00Z",
                "detected_at": "2021-06-08T02:48:00-07:00",
            },
            format="json",
        )
        assert made.status_code == 201, made.json()
        number = made.json()["number"]
        path = f"/api/v1/incidents/{number}/"
        patched = api.patch(path, {"mitigated_at": "2021-06-08T03:36:00-07:00"}, format="json")
        assert patched.status_code == 200, patched.json()
        for when, body in [
            ("2021-06-08T09:58:00Z", "Status page published"),
            ("2021-06-08T03:27:00-07:00", "Customer configuration identified as the trigger"),
        ]:
            added = api.post(
                "/api/v1/timeline-entries/",
                {"incident": number, "body": body, "occurred_at": when},
                format="json",
            )
            assert added.status_code == 201
        resolved = api.post(path + "resolve/", {"at": "2021-06-08T11:00:00Z"}, format="json")
        assert resolved.status_code == 200
        assert resolved.json()["resolved_at"] == "2021-06-08T11:00:00Z"
        assert resolved.json()["time_to_mitigate"] == 49 * 60
        fastly = Incident.objects.get(number=number)

        s3 = _declare_on_the_web(
            web, title="Amazon S3 us-east-1 unavailable", severity="SEV1", started_at="2017-02-28T09:37"
        )
        _post(web, "status", s3, {"status": "monitoring", "when": "2017-02-28T12:26"})
        _post(web, "status", s3, {"status": "resolved", "when": "2017-02-28T13:54"})
        # Backfilling its timeline: a bare time typed in quick add is read on the incident's day (28 February
        # 2017, at that day's offset, PST), not today.
        added = web.post(
            reverse("incidents:timeline_quick_add", args=[s3.number]),
            {"body": "Index subsystem fully recovered: GET, LIST and DELETE back to normal", "when": "13:18"},
        )
        assert added.status_code == 302
        for incident in (roblox, fastly, s3):
            postmortem_start(incident=incident, actor=commander)
            incident.refresh_from_db()
    return {"roblox": roblox, "fastly": fastly, "s3": s3}


DURATION_KEYS = {
    "Time to detect": "time_to_detect",
    "Time to acknowledge": "time_to_acknowledge",
    "Time to mitigate": "time_to_mitigate",
    "Time to resolve": "time_to_resolve",
    "Impact duration": "impact_duration",
}

EXPECTED = {
    # incident: (milestones {field: UTC instant}, durations {label: text}, timeline rows in order)
    "roblox": (
        {
            "started_at": datetime(2021, 10, 28, 20, 37, tzinfo=UTC),
            "resolved_at": datetime(2021, 10, 31, 23, 45, tzinfo=UTC),
            "mitigated_at": datetime(2021, 10, 31, 23, 45, tzinfo=UTC),
        },
        {
            "Impact duration": "3 d 3 h 8 min",
            "Time to mitigate": "3 d 3 h 8 min",
            "Time to resolve": "unknown",
        },
        [
            "Impact started",
            "Incident resolved",
            # Resolved with no mitigation given: the mitigation time is the resolution's, and says so.
            "Mitigated: automatic, the resolution time (no mitigation time was given)",
            "Incident declared as SEV1: Roblox: services down",
            "Postmortem started",
        ],
    ),
    "fastly": (
        {
            "started_at": datetime(2021, 6, 8, 9, 47, tzinfo=UTC),
            "detected_at": datetime(2021, 6, 8, 9, 48, tzinfo=UTC),
            "mitigated_at": datetime(2021, 6, 8, 10, 36, tzinfo=UTC),
            "resolved_at": datetime(2021, 6, 8, 11, 0, tzinfo=UTC),
        },
        {
            "Time to detect": "1 min",
            "Time to mitigate": "49 min",
            "Time to resolve": "1 h 12 min",
            "Impact duration": "1 h 13 min",
        },
        [
            "Impact started",
            "Detected",
            "Status page published",
            "Customer configuration identified as the trigger",
            # The mitigation given by the edit has its own row at the mitigation time.
            "Mitigated",
            "Incident resolved",
            # Declared in Hindsight years later, when it was recorded: the row says so at that time.
            "Incident declared as SEV1: Fastly: global edge errors",
            # The edit, at its own time; stored in UTC, read in each reader's zone (see below).
            "Milestones edited: mitigated set to 2021-06-08 10:36 UTC (its “Mitigated” row added)",
            "Postmortem started",
        ],
    ),
    "s3": (
        {
            "started_at": datetime(2017, 2, 28, 17, 37, tzinfo=UTC),
            "mitigated_at": datetime(2017, 2, 28, 20, 26, tzinfo=UTC),
            "resolved_at": datetime(2017, 2, 28, 21, 54, tzinfo=UTC),
        },
        {"Time to mitigate": "2 h 49 min", "Impact duration": "4 h 17 min", "Time to resolve": "unknown"},
        [
            "Impact started",
            "Status changed from Investigating to Monitoring",
            "Mitigated: automatic, with the move to Monitoring",
            "Index subsystem fully recovered: GET, LIST and DELETE back to normal",
            "Incident resolved",
            "Incident declared as SEV1: Amazon S3 us-east-1 unavailable",
            "Postmortem started",
        ],
    ),
}


@pytest.mark.parametrize("name", ["roblox", "fastly", "s3"])
def test_milestones_durations_and_timeline_rows_as_stored(entered, name):
    incident = entered[name]
    milestones, durations, rows = EXPECTED[name]
    for field, instant in milestones.items():
        assert getattr(incident, field) == instant, field
    shown = {row.label: row for row in incident.duration_rows()}
    for label, text in durations.items():
        assert format_duration(shown[label].seconds) == text, label
    bodies = [e.body for e in incident.timeline_entries.order_by("occurred_at", "id")]
    assert bodies == rows
    # Each milestone's row sits at the milestone.
    by_body = {e.body: e.occurred_at for e in incident.timeline_entries.all()}
    assert by_body["Impact started"] == incident.started_at
    assert by_body["Incident resolved"] == incident.resolved_at
    if name == "s3":
        index_back = by_body["Index subsystem fully recovered: GET, LIST and DELETE back to normal"]
        assert index_back == datetime(2017, 2, 28, 21, 18, tzinfo=UTC)  # 13:18 PST that day


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("name", ["roblox", "fastly", "s3"])
def test_every_surface_shows_the_same_times_and_durations_in_the_viewers_zone(
    entered, client_for, commander, name, zone
):
    incident = entered[name]
    milestones, durations, _rows = EXPECTED[name]
    viewer = UserFactory(time_zone=zone, is_staff=True)
    client = client_for(viewer)
    tz = viewer.tzinfo
    labels = {field: format_time(instant, tz) for field, instant in milestones.items()}
    with_offset = {field: format_time(instant, tz, offset=True) for field, instant in milestones.items()}
    page = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    postmortem = client.get(reverse("incidents:postmortem", args=[incident.number])).content.decode()
    printed = client.get(reverse("incidents:postmortem_print", args=[incident.number])).content.decode()
    markdown = (
        client.get(reverse("incidents:postmortem_export_md", args=[incident.number])).getvalue().decode()
    )
    for field in milestones:
        assert labels[field] in page, (field, labels[field])
        assert labels[field] in postmortem, field
        assert with_offset[field] in printed, field
        assert with_offset[field] in markdown, field
    for text in durations.values():
        assert text in page
        assert text in postmortem
        assert text in printed
        assert text in markdown
    # Every timeline row at its own time, in the viewer's zone (with its offset where the surface writes one).
    entries = list(incident.timeline_entries.filter(removed_at__isnull=True).order_by("occurred_at", "id"))
    for entry in entries:
        assert format_time(entry.occurred_at, tz) in page, entry.body
        assert format_time(entry.occurred_at, tz) in postmortem, entry.body
        assert format_time(entry.occurred_at, tz, offset=True) in printed, entry.body
        assert format_time(entry.occurred_at, tz, offset=True) in markdown, entry.body
    # How long it went unnoticed: one figure (the milestones' time to detect when there is a detection
    # time) on the postmortem, print page, Markdown, JSON export and PDF.
    unnoticed = unnoticed_for(incident.postmortem)
    for surface in (postmortem, printed, markdown):
        assert unnoticed.text in surface
    with timezone.override(tz):
        assert export_markdown(incident.postmortem, tz, viewer=viewer) == markdown
    # The JSON export is the machine's copy: the same instants in UTC with Z, whatever the viewer's zone,
    # and the same durations in seconds.
    exported = json.loads(
        client.get(reverse("incidents:postmortem_export_json", args=[incident.number])).getvalue()
    )
    for field, instant in milestones.items():
        assert exported["incident"]["milestones"][field] == format_utc(instant), field
    assert exported["postmortem"]["questions"]["unnoticed_seconds"] == unnoticed.seconds
    seconds = exported["incident"]["durations_seconds"]
    for label, text in durations.items():
        assert format_duration(seconds[DURATION_KEYS[label]]) == text, label
    assert [e["occurred_at"] for e in exported["timeline"]] == sorted(
        e["occurred_at"] for e in exported["timeline"]
    )
    assert all(e["occurred_at"].endswith("Z") for e in exported["timeline"])
    assert sorted(e["occurred_at"] for e in exported["timeline"]) == [
        format_utc(e.occurred_at) for e in entries
    ]
    # The PDF's own text (not the print page it is made from).
    pdf = client.get(reverse("incidents:postmortem_export_pdf", args=[incident.number]))
    assert pdf["Content-Type"] == "application/pdf"
    pdf_text = " ".join(
        " ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages
    )
    for field in milestones:
        assert with_offset[field] in pdf_text, (field, with_offset[field])
    for text in durations.values():
        assert text in pdf_text, text
    assert f"Unnoticed for: {unnoticed.text}" in pdf_text
    for entry in entries:
        assert format_time(entry.occurred_at, tz, offset=True) in pdf_text, entry.body
    state = EventState.of(incident, event="resolved", at=incident.resolved_at)
    email = render_email(
        "incident_event", event_email_context(state, incident), [viewer.email], time_zone=zone
    )
    assert f"Started: {labels['started_at']}" in email.body
    assert f"Resolved: {labels['resolved_at']}" in email.body


@pytest.mark.parametrize("zone", ZONES)
def test_the_milestone_correction_reads_in_each_viewers_zone_on_every_surface(
    entered, client_for, api_for, zone
):
    fastly = entered["fastly"]
    viewer = UserFactory(time_zone=zone, is_staff=True)
    client = client_for(viewer)
    mitigated = format_time(fastly.mitigated_at, viewer.tzinfo, offset=True)
    expected = f"Milestones edited: mitigated set to {mitigated} (its “Mitigated” row added)"
    editor_zone = "2021-06-08 03:36 PDT"  # what the editor (Los Angeles) read
    pages = {
        "page": client.get(reverse("incidents:detail", args=[fastly.number])).content.decode(),
        "print": client.get(reverse("incidents:postmortem_print", args=[fastly.number])).content.decode(),
        "markdown": client.get(reverse("incidents:postmortem_export_md", args=[fastly.number]))
        .getvalue()
        .decode(),
    }
    for surface, text in pages.items():
        assert expected in text.replace("&nbsp;", " "), surface
        assert editor_zone not in text, surface
    entries = api_for(viewer).get(f"/api/v1/timeline-entries/?incident={fastly.number}").json()["results"]
    (row,) = [e for e in entries if e["body"].startswith("Milestones edited")]
    assert row["body"] == expected
    assert mitigated in row["body_html"]
    assert row["milestone_changes"] == [
        {"milestone": "mitigated_at", "old": None, "new": "2021-06-08T10:36:00Z"}
    ]
    exported = json.loads(
        client.get(reverse("incidents:postmortem_export_json", args=[fastly.number])).getvalue()
    )
    (row,) = [e for e in exported["timeline"] if e["milestone_changes"]]
    assert row["milestone_changes"] == [
        {"milestone": "mitigated_at", "old": None, "new": "2021-06-08T10:36:00Z"}
    ]


def test_the_long_incident_crosses_copenhagens_change_to_winter_time(entered):
    roblox = entered["roblox"]
    cph = ZoneInfo("Europe/Copenhagen")
    assert format_time(roblox.started_at, cph) == "2021-10-28 22:37 CEST"
    assert format_time(roblox.resolved_at, cph) == "2021-11-01 00:45 CET"
    assert format_time(roblox.resolved_at, ZoneInfo("Pacific/Auckland")) == "2021-11-01 12:45 NZDT"


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("name", ["roblox", "fastly", "s3"])
def test_the_weekly_digest_after_the_incident_lists_it_at_its_start_in_the_readers_zone(
    entered, team, name, zone
):
    incident = entered[name]
    incident.teams.add(team)
    reader = UserFactory(time_zone=zone)
    MembershipFactory(user=reader, team=team, role=Membership.Role.RESPONDER)
    tz = reader.tzinfo
    started_local = incident.started_at.astimezone(tz).date()
    monday = started_local + timedelta(days=7 - started_local.weekday())
    now = datetime.combine(monday, time(9, 0), tzinfo=tz)  # the next Monday morning, the reader's time
    email = digest_email(reader, now=now)
    assert email is not None
    assert f"started {format_time(incident.started_at, tz, offset=True)})" in email.body
    window = digest_window(now, zone)
    assert window.first <= started_local <= window.last
    assert window.first.weekday() == 0
    assert (window.last - window.first).days == 6
    # The same week read a week later no longer lists it: windows are half-open and do not overlap.
    later = digest_email(reader, now=now + timedelta(days=7))
    assert later is None or incident.reference not in later.body


def test_the_backfilled_incidents_time_box_names_the_day_and_offset_a_bare_time_is_read_on(
    entered, client_for, commander
):
    page = (
        client_for(commander).get(reverse("incidents:detail", args=[entered["s3"].number])).content.decode()
    )
    assert "times in America/Los_Angeles, UTC-08:00, on 28 Feb 2017" in page
    fastly = client_for(commander).get(reverse("incidents:postmortem", args=[entered["fastly"].number]))
    assert "1 min (time to detect: started → detected)" in fastly.content.decode()
