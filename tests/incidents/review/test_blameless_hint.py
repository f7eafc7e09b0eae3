"""Everywhere people write: the blameless check as a quiet hint (timeline entries, factors, action items,
findings, meeting notes), served by one endpoint that `static/js/blameless.js` calls as the writer pauses.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_hint_names_the_words_the_reason_and_a_rewording(client_for, responder):
    response = client_for(responder).post(
        reverse("incidents:blameless_hint"), {"text": "14:05 The DBA forgot to drain the node."}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<mark>The DBA</mark>" in body
    assert "<mark>forgot</mark>" in body
    assert "A person as the cause" in body
    assert "makes a person the cause" in body  # why, on hover
    assert "The node was not drained" in body
    assert "person_subject" not in body  # no rule ids in the UI


def test_neutral_text_gives_an_empty_hint(client_for, responder):
    response = client_for(responder).post(
        reverse("incidents:blameless_hint"), {"text": "14:05 Priya drained the node and paged storage."}
    )
    assert response.content.decode().strip() == ""


def test_the_hint_needs_a_signed_in_user_and_a_post(client, client_for, responder):
    assert client.post(reverse("incidents:blameless_hint"), {"text": "He forgot."}).status_code == 302
    assert client_for(responder).get(reverse("incidents:blameless_hint")).status_code == 405


def test_every_page_for_a_signed_in_user_carries_the_hint_endpoint(client_for, responder, incident):
    page = client_for(responder).get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert f'data-blameless-hint-url="{reverse("incidents:blameless_hint")}"' in page
    assert "js/blameless.js" in page
