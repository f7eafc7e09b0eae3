""" "Add to timeline" on someone else's message: the entry is added by the person who clicked (they may
record; the message's author may be a viewer, or have no Hindsight account), and names the message's
author, keeps its time and links back to it ("Message by Vera Viewer in Slack").

Requests are signed and shaped as Slack sends them (test_chat.py); a recording server stands in for Slack.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import ChatCapture, ChatChannel, TimelineEntry
from tests.incidents.integrations import test_chat as chat

pytestmark = pytest.mark.django_db

slack = chat.slack

SENT = datetime(2026, 12, 1, 9, 41, 7, tzinfo=UTC)
TS = f"{SENT.timestamp():.6f}"
LINK = "https://acme.slack.com/archives/C0INC/p"


@pytest.fixture
def linked(incident):
    ChatChannel.objects.create(provider="slack", workspace="T0ACME", channel_id="C0INC", incident=incident)
    return incident


@pytest.fixture
def people():
    chat.PEOPLE["U0VERA"] = ("viewer@example.com", "Vera Viewer")
    yield
    del chat.PEOPLE["U0VERA"]


def test_a_responder_adds_a_viewers_message_as_themselves_naming_its_author(
    client_for, slack, people, viewer, responder, linked
):
    answer = chat.shortcut(client_for(None), "U0RORY", "U0VERA", TS, "Checkout shows *502* for me")
    assert "Added to" in answer.json()["text"]
    entry = TimelineEntry.objects.get(source="chat")
    assert entry.author == responder  # who added it
    assert entry.occurred_at == SENT  # the message's own time
    assert entry.body.startswith("Checkout shows **502** for me")  # mrkdwn as Markdown
    assert f"[Message by Vera Viewer in Slack]({LINK}" in entry.body
    page = client_for(viewer).get(reverse("incidents:detail", args=[linked.number])).content.decode()
    assert "Message by Vera Viewer in Slack" in page
    assert "Rory Responder" in page


def test_the_clicker_is_recorded_when_the_author_could_record_too(
    client_for, slack, commander, responder, linked
):
    chat.shortcut(client_for(None), "U0RORY", "U0CORA", TS, "Failing over to the replica")
    entry = TimelineEntry.objects.get(source="chat")
    assert (entry.author, entry.occurred_at) == (responder, SENT)
    assert "Message by Cora Commander in Slack" in entry.body


def test_a_message_by_someone_without_an_account_is_named_as_slack_names_them(
    client_for, slack, responder, linked
):
    chat.shortcut(client_for(None), "U0RORY", "U0STRANGER", TS, "Our side sees timeouts too")
    entry = TimelineEntry.objects.get(source="chat")
    assert entry.author == responder
    assert "Message by Stan Stranger (no Hindsight account) in Slack" in entry.body


def test_a_viewer_clicking_adds_nothing(client_for, slack, people, viewer, commander, linked):
    answer = chat.shortcut(client_for(None), "U0VERA", "U0CORA", TS, "Failing over to the replica")
    assert "not record" in answer.json()["text"]
    assert not TimelineEntry.objects.filter(source="chat").exists()
    assert not ChatCapture.objects.exists()


def test_a_message_from_before_the_start_keeps_its_time_and_the_reply_says_it_is_context(
    client_for, slack, commander, responder, linked
):
    linked.started_at = SENT + timedelta(hours=1)  # the incident started an hour after the message
    linked.save()
    responder.time_zone = "Europe/Amsterdam"
    responder.save()

    said = chat.shortcut(client_for(None), "U0RORY", "U0CORA", TS, "Replication lag alert fired").json()[
        "text"
    ]

    entry = TimelineEntry.objects.get(source="chat")
    assert entry.occurred_at == SENT  # not moved to the start
    assert said == (
        f"Added to {linked.reference}'s timeline as context before the start, at its own time "
        f"2026-12-01 10:41 CET (09:41 UTC): {linked.reference} started at 2026-12-01 11:41 CET (10:41 UTC)."
    )


def test_a_message_after_the_start_is_simply_added(client_for, slack, commander, responder, linked):
    linked.started_at = SENT - timedelta(minutes=5)
    linked.save()
    said = chat.shortcut(client_for(None), "U0RORY", "U0CORA", TS, "Failing over").json()["text"]
    assert said == f"Added to {linked.reference}'s timeline."


def test_a_note_on_an_incident_starting_later_says_it_is_context_before_the_start(
    client_for, slack, commander, linked
):
    start = timezone.now() + timedelta(hours=2)  # declared ahead: a planned migration's window
    type(linked).objects.filter(pk=linked.pk).update(started_at=start)

    said = chat.command(client_for(None), "U0CORA", "note Freezing deploys before the window").json()["text"]

    entry = TimelineEntry.objects.get(source="chat")
    assert entry.occurred_at < start
    assert said.startswith(
        f"Added to {linked.reference}'s timeline as context before the start, at its own time"
    )
