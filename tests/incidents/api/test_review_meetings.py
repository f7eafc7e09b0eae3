"""`/api/v1/incidents/N/review-meetings/`: schedule, move and cancel the review meeting from a script, the same
invitations as meeting mode; typed in the schema; a reader may not schedule; a hidden incident is 404."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
import yaml
from django.core import mail
from django.urls import reverse

from incidents.models import ReviewMeeting
from incidents.review.services.postmortems import postmortem_start

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _url(incident, tail=""):
    return f"/api/v1/incidents/{incident.number}/review-meetings/{tail}"


@time_machine.travel(NOW, tick=False)
def test_scheduling_moving_and_cancelling_from_the_api(
    api_for, commander, responder, incident, eager_celery, django_capture_on_commit_callbacks
):
    incident.participants.add(responder)
    postmortem_start(incident=incident, actor=commander)
    client = api_for(commander)
    body = {"starts_at": "2026-12-08T15:00:00+01:00", "duration_minutes": 30, "attendees": [responder.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(_url(incident), body, format="json")
    assert answer.status_code == 200, answer.json()
    data = answer.json()
    assert (data["starts_at"], data["sequence"], data["duration_minutes"]) == ("2026-12-08T14:00:00Z", 0, 30)
    assert [a["email"] for a in data["attendees"]] == [responder.email]
    assert len(mail.outbox) == 1
    moved = client.post(_url(incident), {**body, "starts_at": "2026-12-09T09:00:00Z"}, format="json").json()
    assert (moved["uid"], moved["sequence"]) == (data["uid"], 1)
    cancelled = client.post(_url(incident, "cancel/"), {}, format="json")
    assert cancelled.status_code == 200
    assert cancelled.json()["cancelled_at"] is not None
    again = client.post(_url(incident, "cancel/"), {}, format="json")
    assert again.status_code == 400
    listed = client.get(_url(incident)).json()
    assert [m["sequence"] for m in listed] == [2]


@time_machine.travel(NOW, tick=False)
def test_bad_input_is_400_naming_the_field_and_a_reader_is_refused(
    api_for, commander, viewer, outsider, incident
):
    postmortem_start(incident=incident, actor=commander)
    bad = api_for(commander).post(
        _url(incident),
        {"starts_at": "2026-12-08T15:00:00", "duration_minutes": 5, "attendees": []},
        format="json",
    )
    assert bad.status_code == 400
    assert {"starts_at", "duration_minutes", "attendees"} <= set(bad.json())
    body = {"starts_at": "2026-12-08T15:00:00Z", "duration_minutes": 30, "attendees": [commander.pk]}
    assert api_for(viewer).post(_url(incident), body, format="json").status_code == 403
    assert api_for(outsider).get(_url(incident)).status_code == 404
    assert not ReviewMeeting.objects.exists()


def test_the_schema_types_the_review_meeting_endpoints(client):
    schema = yaml.safe_load(client.get(reverse("api:schema")).content)
    assert set(schema["paths"]["/api/v1/incidents/{number}/review-meetings/"]) >= {"get", "post"}
    assert "post" in schema["paths"]["/api/v1/incidents/{number}/review-meetings/cancel/"]
    fields = schema["components"]["schemas"]["ReviewMeeting"]["properties"]
    assert {"uid", "sequence", "starts_at", "ends_at", "attendees", "cancelled_at"} <= set(fields)
