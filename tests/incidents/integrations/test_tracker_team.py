"""An action item made without a team (over the API, from a review) goes to the tracker of the incident's
team: the item takes the incident's team when it is made, and "Create in tracker" finds it.

A recording server on loopback stands in for GitHub's REST API (tracker_setup.py).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models import ActionItem, TrackerIssue
from tests.factories import ActionItemFactory, IncidentFactory, ServiceFactory
from tests.incidents.integrations import tracker_setup as setup

pytestmark = pytest.mark.django_db


OPENED = {"id": 1, "number": 12, "html_url": "https://github.com/acme/web/issues/12", "state": "open"}


def test_an_item_made_over_the_api_on_a_service_incident_opens_in_the_services_teams_tracker(
    api_for, client_for, team, lead, commander, tracker_server
):
    setup.github(team, lead, tracker_server)
    incident = IncidentFactory(commander=commander, declared_by=commander)  # no team of its own
    incident.services.add(ServiceFactory(name="Checkout", slug="checkout", team=team))
    incident.participants.add(commander)
    tracker_server.answers[("POST", "/repos/acme/web/issues")] = (201, OPENED)

    made = api_for(commander).post(
        "/api/v1/action-items/",
        {"title": "Alert on empty backups", "incident": incident.number},
        format="json",
    )
    assert made.status_code == 201, made.content
    item = ActionItem.objects.get(pk=made.json()["id"])
    page = client_for(commander).post(reverse("incidents:action_item_tracker", args=[item.pk]), follow=True)

    assert "Opened acme/web#12 in the tracker." in page.content.decode()
    assert TrackerIssue.objects.get(action_item=item).key == "acme/web#12"


def test_an_item_left_without_a_team_finds_the_tracker_of_its_incidents_service_team(
    client_for, team, lead, commander, tracker_server
):
    setup.github(team, lead, tracker_server)
    incident = IncidentFactory(commander=commander, declared_by=commander)
    incident.services.add(ServiceFactory(name="Checkout", slug="checkout", team=team))
    incident.participants.add(commander)
    item = ActionItemFactory(incident=incident, team=None, owner=commander)  # made before teams defaulted
    tracker_server.answers[("POST", "/repos/acme/web/issues")] = (201, OPENED)

    page = client_for(commander).post(reverse("incidents:action_item_tracker", args=[item.pk]), follow=True)

    assert "Opened acme/web#12 in the tracker." in page.content.decode()
