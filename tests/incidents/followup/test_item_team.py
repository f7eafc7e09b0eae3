"""An action item's team: given by id or by slug over the API, and, when none is given, the incident's
(its first team, else the team owning its first service), so its tracker is found however it was made."""

from __future__ import annotations

import pytest

from incidents.followup.services.items import action_item_create
from incidents.incident.selectors import incident_owning_team
from incidents.models import ActionItem
from tests.factories import IncidentFactory, ServiceFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_team(db):
    return TeamFactory(name="Database", slug="database")


@pytest.fixture
def service_incident(commander, team):
    """An incident with no team of its own, on a service the Platform team owns (as the web and chat
    declare it)."""
    incident = IncidentFactory(commander=commander, declared_by=commander)
    incident.services.add(ServiceFactory(name="Checkout", slug="checkout", team=team))
    incident.participants.add(commander)
    return incident


def _create(api, **data):
    return api.post("/api/v1/action-items/", {"title": "Alert on empty backups", **data}, format="json")


def test_an_item_made_over_the_api_without_a_team_takes_the_incidents_team(
    api_for, responder, incident, team
):
    answer = _create(api_for(responder), incident=incident.number)
    assert answer.status_code == 201, answer.content
    assert answer.json()["team"] == "platform"
    assert ActionItem.objects.get(pk=answer.json()["id"]).team == team


def test_an_incident_without_a_team_gives_its_first_services_team(api_for, commander, service_incident, team):
    answer = _create(api_for(commander), incident=service_incident.number)
    assert answer.status_code == 201, answer.content
    assert answer.json()["team"] == "platform"


def test_the_incidents_own_team_comes_before_its_services_team(commander, service_incident, database_team):
    service_incident.teams.add(database_team)
    assert incident_owning_team(service_incident) == database_team
    item = action_item_create(actor=commander, incident=service_incident, title="Drill the restore")
    assert item.team == database_team


def test_a_team_given_is_kept(commander, incident, database_team):
    item = action_item_create(actor=commander, incident=incident, title="x", team=database_team)
    assert item.team == database_team


def test_an_item_on_an_incident_with_no_team_at_all_has_none(commander):
    bare = IncidentFactory(commander=commander, declared_by=commander)
    bare.participants.add(commander)
    assert incident_owning_team(bare) is None
    assert action_item_create(actor=commander, incident=bare, title="x").team is None


@pytest.mark.parametrize("given", ["id", "slug"])
def test_the_api_takes_a_team_by_id_or_by_slug(api_for, responder, incident, database_team, given):
    value = database_team.pk if given == "id" else "database"
    answer = _create(api_for(responder), incident=incident.number, team=value)
    assert answer.status_code == 201, answer.content
    assert answer.json()["team"] == "database"
    item = ActionItem.objects.get(pk=answer.json()["id"])
    changed = api_for(responder).patch(
        f"/api/v1/action-items/{item.pk}/", {"team": incident.teams.get().pk}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["team"] == "platform"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (987654, "No team with id 987654."),
        ("no-such-team", "No team with slug “no-such-team”."),
        (True, "Give the team as its id (7) or its slug (“database”)."),
        (2.5, "Give the team as its id (7) or its slug (“database”)."),
    ],
)
def test_an_unknown_team_is_a_clear_400(api_for, responder, incident, value, message):
    answer = _create(api_for(responder), incident=incident.number, team=value)
    assert answer.status_code == 400
    assert answer.json()["team"] == [message]
    assert not ActionItem.objects.exists()
