"""Text captured from Slack is stored as Markdown (issue 15): a note and an "Add to timeline" message in
Slack's mrkdwn show bold, links and the mentioned person's name on the incident page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from incidents.models import Incident, TimelineEntry
from tests.incidents.integrations.test_chat import command, shortcut, slack  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_a_slack_note_and_a_captured_message_are_stored_as_markdown(
    client_for,
    slack,  # noqa: F811 - the fixture imported above
    commander,
    responder,
    team,
):
    hook = client_for(None)
    assert command(hook, "U0CORA", "declare Checkout returns 502 SEV2").status_code == 200
    incident = Incident.objects.get()
    note = "note *Rolled back* <https://deploys.example/3|deploy 3> for <@U0RORY> &amp; <@U0NOBODY>"
    assert command(hook, "U0CORA", note).status_code == 200
    ts = f"{datetime(2026, 12, 1, 9, 41, 7, tzinfo=UTC).timestamp():.6f}"
    text = "_Primary_ at 100% CPU, ~replica~ fine: `top &gt; top.txt`"
    assert shortcut(hook, "U0RORY", "U0CORA", ts, text).status_code == 200
    noted, captured = TimelineEntry.objects.filter(incident=incident, source="chat").order_by("id")
    assert (
        noted.body == "**Rolled back** [deploy 3](https://deploys.example/3) for @Rory Responder & @unknown"
    )
    assert captured.body.split("\n")[0] == "*Primary* at 100% CPU, ~~replica~~ fine: `top > top.txt`"
    page = client_for(responder).get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert "<strong>Rolled back</strong>" in page
    assert 'href="https://deploys.example/3"' in page
    assert "<del>replica</del>" in page
