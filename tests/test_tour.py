"""Read this first: a tour of how Hindsight's tests are written, as five small tests that really check something.

- **Personas** (`tests/conftest.py`): `outsider` (active, in no team), `viewer`, `responder`, `commander` (all in the
  team `Platform`), `admin_user`; `incident` is an internal incident of that team with `commander` in command.
  `client_for(user)` signs a Django test client in; `api_for(user, read_only=...)` gives an API client with a fresh
  token. What someone may not see is a 404, what they see but may not do is a 403 (`incidents/errors.py`).
- **Factories** (`tests/factories.py`, factory_boy) build rows directly; a test of behaviour goes through the service
  (`incidents/<area>/services.py`) or the page, as a user would, so that permissions, history and the timeline run.
- **Queries**: list and detail pages are checked with `django_assert_max_num_queries` after adding many rows, so a
  page that queries per row fails (see tests/incidents/incident/test_views.py for the budgets).
- **Time**: freeze the clock with `time_machine.travel(aware_datetime, tick=False)`; never build a naive datetime.
  `sweep_at(when)` runs a reminder sweep at a frozen instant with Celery eager.
- **Where tests go**: `tests/incidents/<area>/test_services.py`, `test_views.py`, `test_api.py`; security
  (permission matrix, XSS corpus and checker in `tests/security/xss_corpus.py`, hostile input) in `tests/security/`;
  browser journeys (Chromium via Playwright) in `tests/e2e/`; real PostgreSQL, Redis, Alertmanager and SMTP in
  `tests/integration/` (skipped when their URL is unset, a failure in CI where REQUIRE_SERVICES=1).
- A test must be able to fail: break the code once and watch it go red before you trust it.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from incidents.followup.services.items import action_item_create
from incidents.timeline.services import timeline_entry_add
from tests.factories import TimelineEntryFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "status"),
    [("outsider", 404), ("viewer", 200), ("responder", 200), ("commander", 200), ("admin", 200)],
)
def test_who_sees_an_internal_incident(personas, client_for, incident, persona, status):
    response = client_for(personas[persona]).get(reverse("incidents:detail", args=[incident.number]))
    assert response.status_code == status


def test_an_entry_recorded_through_the_service_shows_on_the_page(client_for, responder, incident):
    timeline_entry_add(incident=incident, actor=responder, body="Failed over to the replica", kind="action")
    page = client_for(responder).get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert "Failed over to the replica" in page


def test_the_incident_page_costs_the_same_queries_with_many_entries(
    client_for, commander, incident, django_assert_max_num_queries
):
    client, url = client_for(commander), reverse("incidents:detail", args=[incident.number])
    client.get(url)  # the first request of a session also loads the session, the user and caches
    authors = [UserFactory() for _ in range(5)]
    for i in range(200):
        TimelineEntryFactory(incident=incident, author=authors[i % 5], body=f"Step {i}")
    with django_assert_max_num_queries(17):  # the DETAIL_BUDGET of tests/incidents/incident/test_views.py
        assert client.get(url).status_code == 200


def test_an_item_is_overdue_the_day_after_its_due_date_in_the_owners_zone(commander, incident):
    commander.time_zone = "Pacific/Auckland"  # UTC+13 in December: the owner's date runs ahead of UTC's
    commander.save()
    item = action_item_create(
        actor=commander,
        incident=incident,
        title="Alert on replica lag",
        owner=commander,
        due_date=dt.date(2026, 12, 1),
    )
    with time_machine.travel(
        dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC), tick=False
    ):  # 23:00 on the 1st there
        assert not item.is_overdue
    with time_machine.travel(dt.datetime(2026, 12, 1, 11, 30, tzinfo=dt.UTC), tick=False):  # 00:30 on the 2nd
        assert item.is_overdue


def test_a_read_only_token_reads_but_does_not_write(api_for, commander, incident):
    client = api_for(commander, read_only=True)
    assert client.get(f"/api/v1/incidents/{incident.number}/").status_code == 200
    response = client.post(
        "/api/v1/incidents/", {"title": "Should not exist", "severity": "SEV3"}, format="json"
    )
    assert response.status_code == 403
