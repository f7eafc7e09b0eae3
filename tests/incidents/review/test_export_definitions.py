"""The postmortem's Markdown and JSON exports state what each duration measures, as the page, the print
view and the PDF do (issue 16, outside tester), from the one list of definitions."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from incidents.review.services import postmortems as svc

pytestmark = pytest.mark.django_db


def test_the_exports_state_each_durations_definition(client_for, responder, viewer, incident):
    incident.started_at = datetime(2024, 7, 19, 4, 9, tzinfo=UTC)
    incident.detected_at = datetime(2024, 7, 19, 6, 14, tzinfo=UTC)
    incident.save()
    svc.postmortem_start(incident=incident, actor=responder)
    client = client_for(viewer)
    url = reverse("incidents:postmortem_export_md", args=[incident.number])
    markdown = b"".join(client.get(url).streaming_content).decode()
    assert "Time to resolve: detected → resolved (0 if resolved before detection)." in markdown
    assert "Time to mitigate: started → mitigated." in markdown
    assert "never measured to now, never negative" in markdown
    url = reverse("incidents:postmortem_export_json", args=[incident.number])
    exported = json.loads(b"".join(client.get(url).streaming_content))
    definitions = exported["incident"]["duration_definitions"]
    assert definitions["time_to_mitigate"] == "started → mitigated"
    assert set(definitions) == set(exported["incident"]["durations_seconds"])
