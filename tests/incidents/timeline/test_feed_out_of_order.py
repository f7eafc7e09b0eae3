"""The API's `?since=` feed on PostgreSQL with two real transactions: a slower one stamps its entry first
and commits after a later one has committed and been read. A client polling with the `since` it was given
still receives the slower entry (the feed's cursor stays `LIVE_SETTLE` behind now)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from incidents.models import TimelineEntry
from incidents.timeline.services import timeline_entry_add
from tests.factories import IncidentFactory


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_entry_committed_after_a_later_one_still_reaches_a_client_polling_with_its_cursor(
    requires_postgres, api_for, commander
):
    incident = IncidentFactory(commander=commander)
    incident.participants.add(commander)
    api = api_for(commander)
    path = f"/api/v1/timeline-entries/?incident={incident.number}"
    start = (timezone.now() - timedelta(seconds=1)).isoformat()
    first = api.get(path, {"since": start}).json()
    assert first["results"] == []

    stamped, release, done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                timeline_entry_add(
                    incident=incident, actor=commander, body="Slow: the earlier event",
                    occurred_at=timezone.now() - timedelta(minutes=5),
                )  # fmt: skip
                stamped.set()
                assert release.wait(timeout=30)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            done.set()
            connection.close()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert stamped.wait(timeout=30)
    timeline_entry_add(incident=incident, actor=commander, body="Fast: the later event")  # commits now
    seen = api.get(path, {"since": first["since"]}).json()
    assert [e["body"] for e in seen["results"]] == ["Fast: the later event"]
    assert not TimelineEntry.objects.filter(body__startswith="Slow").exists()  # not committed yet
    release.set()
    writer.join(timeout=60)
    assert done.is_set()
    assert errors == []
    slow = TimelineEntry.objects.get(body__startswith="Slow")
    fast = TimelineEntry.objects.get(body__startswith="Fast")
    assert slow.updated_at < fast.updated_at  # stamped before the later one, committed after it
    polled = api.get(path, {"since": seen["since"]}).json()
    assert "Slow: the earlier event" in [e["body"] for e in polled["results"]]
