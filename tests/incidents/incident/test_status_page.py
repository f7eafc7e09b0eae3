"""Stakeholder updates on the incident page and the internal status page (/status/): posted from the page by
those who may record, refused input shown again with its errors, and the open incidents a person may see
with their latest update, in the same number of queries for one incident as for many."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from incidents.incident.services.updates import stakeholder_update_post
from incidents.models import IncidentStatus, StakeholderUpdate, Visibility
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)


def _post(incident, actor, impact="Checkout fails for EU customers.", minutes=30, **extra):
    return stakeholder_update_post(
        incident=incident,
        actor=actor,
        status=extra.get("status", "identified"),
        customer_impact=impact,
        doing="Rolling back.",
        next_update_at=NOW + timedelta(minutes=minutes),
    )


@time_machine.travel(NOW, tick=False)
def test_an_update_posted_from_the_incident_page_shows_there_in_the_readers_zone(
    client_for, commander, viewer, incident
):
    commander.time_zone = "Europe/Amsterdam"
    commander.save()
    url = reverse("incidents:stakeholder_update", args=[incident.number])
    answer = client_for(commander).post(
        url,
        {
            "status": "identified",
            "customer_impact": "Checkout fails for **EU** customers.",
            "doing": "Rolling back.",
            "next_update_at": "2026-12-03T14:30",  # Amsterdam: 13:30 UTC
        },
    )
    assert answer.status_code == 302
    update = StakeholderUpdate.objects.get()
    assert update.next_update_at == datetime(2026, 12, 3, 13, 30, tzinfo=UTC)
    viewer.time_zone = "Asia/Kolkata"
    viewer.save()
    page = client_for(viewer).get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert "<strong>EU</strong>" in page
    assert "19:00 IST" in page  # 13:30 UTC for a reader in Kolkata
    assert "Post update" not in page  # a viewer reads updates and posts none


@time_machine.travel(NOW, tick=False)
def test_a_refused_update_comes_back_with_what_was_typed_and_each_error(client_for, commander, incident):
    url = reverse("incidents:stakeholder_update", args=[incident.number])
    answer = client_for(commander).post(
        url,
        {
            "status": "identified",
            "customer_impact": "Slow checkout",
            "doing": "",
            "next_update_at": "2020-01-01T10:00",
        },
    )
    assert answer.status_code == 422
    page = answer.content.decode()
    assert "Slow checkout" in page
    assert "Say what we are doing about it." in page
    assert "must be after now" in page
    assert not StakeholderUpdate.objects.exists()


def test_a_viewer_may_not_post_an_update(client_for, viewer, incident):
    url = reverse("incidents:stakeholder_update", args=[incident.number])
    assert client_for(viewer).post(url, {"status": "identified"}).status_code == 403
    assert not StakeholderUpdate.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_status_page_lists_open_incidents_one_may_see_with_their_latest_update(
    client_for, commander, viewer, incident
):
    _post(incident, commander, impact="First impact")
    _post(incident, commander, impact="Latest impact", status="monitoring")
    IncidentFactory(title="Hidden breach", visibility=Visibility.RESTRICTED)
    IncidentFactory(title="Old outage", status=IncidentStatus.RESOLVED, resolved_at=NOW)
    quiet = IncidentFactory(title="Quiet one")
    page = client_for(viewer).get(reverse("incidents:status_page")).content.decode()
    assert incident.title in page
    assert "Latest impact" in page
    assert "First impact" not in page
    assert "Monitoring" in page
    assert quiet.title in page
    assert "No stakeholder update yet." in page
    assert "Hidden breach" not in page
    assert "Old outage" not in page


def test_the_status_page_says_when_the_promised_update_is_late(client_for, commander, incident):
    with time_machine.travel(NOW, tick=False):
        _post(incident, commander, minutes=30)
    with time_machine.travel(NOW + timedelta(minutes=45), tick=False):
        page = client_for(commander).get(reverse("incidents:status_page")).content.decode()
        detail = (
            client_for(commander).get(reverse("incidents:detail", args=[incident.number])).content.decode()
        )
    assert "(late)" in page
    assert "The next update is late" in detail


@pytest.mark.parametrize("rows", [1, 12])
@time_machine.travel(NOW, tick=False)
def test_the_status_page_takes_the_same_queries_for_one_incident_as_for_many(
    client_for, commander, team, rows, django_assert_max_num_queries
):
    """Measured: 6 queries with 1 incident as with 12 (session, user, teams, the incidents with their latest
    update id, their services, the latest updates with who posted them)."""
    for n in range(rows):
        inc = IncidentFactory(title=f"Outage {n}", commander=commander)
        inc.teams.add(team)
        _post(inc, commander, impact=f"Impact {n}")
    client = client_for(commander)
    with django_assert_max_num_queries(6):
        page = client.get(reverse("incidents:status_page")).content.decode()
    assert page.count("Impact ") == rows
