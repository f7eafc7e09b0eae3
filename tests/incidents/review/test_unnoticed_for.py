"""The postmortem's "unnoticed for" is the incident's time to detect when it has a detection time, and the
same figure on every surface (page, print page, PDF, Markdown and JSON exports, API); an answer that
differs from the milestones by a minute or more is refused, naming both figures (issue 16)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from incidents.models import Postmortem
from incidents.review import pdf as review_pdf
from incidents.review.services import postmortems as svc

pytestmark = pytest.mark.django_db

STARTED = datetime(2024, 7, 19, 4, 9, tzinfo=UTC)
DETECTED = datetime(2024, 7, 19, 6, 14, 30, tzinfo=UTC)  # 2 h 5 min 30 s later
FIGURE = "2 h 5 min (time to detect: started → detected)"


@pytest.fixture
def pm(incident, responder):
    incident.started_at, incident.detected_at = STARTED, DETECTED
    incident.save()
    return svc.postmortem_start(incident=incident, actor=responder)


def _url(name: str, incident) -> str:
    return reverse(f"incidents:{name}", args=[incident.number])


def test_every_surface_shows_the_milestones_figure(
    client_for, api_for, responder, viewer, pm, incident, monkeypatch
):
    seen: list[str] = []

    def render(html: str) -> bytes:
        seen.append(html)
        return b"%PDF-1.7"

    monkeypatch.setattr(review_pdf, "render_pdf", render)
    client = client_for(viewer)
    assert FIGURE in client.get(_url("postmortem", incident)).content.decode()
    assert f"Unnoticed for: {FIGURE}" in client.get(_url("postmortem_print", incident)).content.decode()
    assert client.get(_url("postmortem_export_pdf", incident)).status_code == 200
    assert f"Unnoticed for: {FIGURE}" in seen[0]
    markdown = b"".join(client.get(_url("postmortem_export_md", incident)).streaming_content).decode()
    assert f"| Unnoticed for | {FIGURE} |" in markdown
    exported = b"".join(client.get(_url("postmortem_export_json", incident)).streaming_content)
    questions = json.loads(exported)["postmortem"]["questions"]
    assert (questions["unnoticed_seconds"], questions["unnoticed_from"]) == (7530, "milestones")
    api = api_for(viewer).get(f"/api/v1/postmortems/{pm.pk}/").json()
    assert (api["unnoticed_seconds"], api["unnoticed_from"]) == (7530, "milestones")


def test_an_answer_a_minute_or_more_off_the_milestones_is_refused_naming_both(
    client_for, responder, pm, incident
):
    client = client_for(responder)
    page = client.post(_url("postmortem_questions", incident), {"unnoticed_minutes": "90"}, follow=True)
    text = page.content.decode()
    assert "The milestones say it went unnoticed for 2 h 5 min" in text
    assert "the answer given is 1 h 30 min" in text
    assert Postmortem.objects.get(pk=pm.pk).unnoticed_seconds is None
    with pytest.raises(ValidationError) as exc:
        svc.postmortem_answer_questions(postmortem=pm, actor=responder, unnoticed_seconds=7530 - 60)
    assert "unnoticed_seconds" in exc.value.message_dict
    # The form offers the milestones' figure in whole minutes, and saving it is accepted.
    assert 'value="125"' in client.get(_url("postmortem", incident)).content.decode()
    client.post(_url("postmortem_questions", incident), {"unnoticed_minutes": "125"})
    assert Postmortem.objects.get(pk=pm.pk).unnoticed_seconds == 7500


def test_without_a_detection_time_the_answer_is_the_figure(client_for, viewer, responder, pm, incident):
    incident.detected_at = None
    incident.save()
    svc.postmortem_answer_questions(postmortem=pm, actor=responder, unnoticed_seconds=2400)
    page = client_for(viewer).get(_url("postmortem", incident)).content.decode()
    assert "40 min (as answered: no detection time recorded)" in page
