"""The same event entered twice (quick add, the API, any source) is kept and flagged to the person adding it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 14, 30, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_an_entry_with_the_same_minute_and_text_is_flagged_whichever_way_it_came(
    client_for, api_for, commander, incident
):
    api = api_for(commander)
    first = api.post(
        "/api/v1/timeline-entries/",
        {
            "incident": incident.number,
            "body": "Failover to db-2 started",
            "occurred_at": "2026-03-10T14:05:10Z",
        },
        format="json",
    )
    assert first.status_code == 201
    assert first.json()["duplicate_of"] is None
    page = client_for(commander).post(
        reverse("incidents:timeline_quick_add", args=[incident.number]),
        {"body": "Failover  to db-2 started", "kind": "note", "when": "2026-03-10T14:05Z"},
        HTTP_HX_REQUEST="true",
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert "already recorded by" in text
    assert "(api)" in text
    assert incident.timeline_entries.filter(body__contains="Failover").count() == 2  # both kept
    again = api.post(
        "/api/v1/timeline-entries/",
        {
            "incident": incident.number,
            "body": "Failover to db-2 started",
            "occurred_at": "2026-03-10T14:05:40Z",
        },
        format="json",
    )
    assert again.json()["duplicate_of"] is not None  # the earliest of the two already there
    other = api.post(
        "/api/v1/timeline-entries/",
        {
            "incident": incident.number,
            "body": "Failover to db-2 started",
            "occurred_at": "2026-03-10T14:06:00Z",
        },
        format="json",
    )
    assert other.json()["duplicate_of"] is None  # another minute: another event
