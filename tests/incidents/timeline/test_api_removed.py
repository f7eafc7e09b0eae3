"""Removed timeline entries through the API: their text only for those who may edit the timeline."""

from __future__ import annotations

import datetime as dt

import pytest

from incidents.models import Incident, Visibility
from incidents.permissions.incident import can_record, incidents_recordable_by
from incidents.timeline.services import timeline_entry_remove
from tests.factories import IncidentFactory, TimelineEntryFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET = "customer card numbers were in the log"


@pytest.fixture
def removed(incident, commander):
    entry = TimelineEntryFactory(incident=incident, body=f"Oops: {SECRET}", knew_then="we knew nothing")
    TimelineEntryFactory(incident=incident, body="Rolled back the deploy")
    return timeline_entry_remove(entry=entry, actor=commander)


def _since() -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()


def test_a_viewer_gets_404_for_a_removed_entry_and_an_editor_reads_it(api_for, viewer, responder, removed):
    url = f"/api/v1/timeline-entries/{removed.pk}/"
    assert api_for(viewer).get(url).status_code == 404
    answer = api_for(responder).get(url)
    assert answer.status_code == 200
    assert SECRET in answer.json()["body"]
    assert answer.json()["removed"] is True


@pytest.mark.parametrize("search", ["", "card numbers", "Rolled"])
def test_a_viewers_feed_says_removed_without_the_text(api_for, viewer, incident, removed, search):
    params = {"incident": incident.number, "since": _since(), "search": search}
    answer = api_for(viewer).get("/api/v1/timeline-entries/", params)
    assert answer.status_code == 200
    assert SECRET not in answer.content.decode()
    assert "we knew nothing" not in answer.content.decode()
    rows = {r["id"]: r for r in answer.json()["results"]}
    assert rows[removed.pk]["removed"] is True
    assert rows[removed.pk]["body"] == rows[removed.pk]["body_html"] == ""


def test_a_viewer_cannot_find_a_removed_entry_by_its_words(api_for, viewer, incident, removed):
    answer = api_for(viewer).get("/api/v1/timeline-entries/", {"incident": incident.number, "search": "card"})
    assert answer.json()["results"] == []


def test_an_editors_feed_keeps_the_text_of_removed_entries(api_for, responder, incident, removed):
    params = {"incident": incident.number, "since": _since(), "search": "card numbers"}
    rows = api_for(responder).get("/api/v1/timeline-entries/", params).json()["results"]
    assert [r["id"] for r in rows] == [removed.pk]
    assert SECRET in rows[0]["body"]


def test_the_recordable_scope_answers_as_can_record_for_every_persona(personas, incident, team):
    scribe = UserFactory(email="scribe@example.com")
    restricted = IncidentFactory(visibility=Visibility.RESTRICTED, scribe=scribe)
    restricted.participants.add(scribe)
    deactivated = UserFactory(email="gone@example.com", is_active=False)
    for user in [*personas.values(), scribe, deactivated]:
        scope = set(incidents_recordable_by(user).values_list("pk", flat=True))
        for inc in Incident.objects.filter(pk__in=[incident.pk, restricted.pk]):
            assert (inc.pk in scope) == can_record(user, inc), (user.email, inc.pk)
