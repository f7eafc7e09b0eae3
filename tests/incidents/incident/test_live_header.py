"""The live header: `/incidents/N/header/?version=V` is 204 while the incident is at V, else the new header
with the facts grid out of band (issue 18)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.incident.services.edits import incident_assign_roles
from incidents.incident.services.lifecycle import incident_resolve
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_unchanged_incident_answers_204(client_for, viewer, incident, django_assert_max_num_queries):
    url = reverse("incidents:header", args=[incident.number])
    client = client_for(viewer)
    with django_assert_max_num_queries(6):
        response = client.get(url, {"version": incident.version})
    assert response.status_code == 204
    assert response.content == b""


def test_a_changed_incident_answers_the_new_header_and_facts(
    client_for, viewer, commander, responder, incident
):
    shown = incident.version
    incident_assign_roles(incident=incident, actor=commander, scribe=responder)
    incident_resolve(incident=incident, actor=commander)
    incident.refresh_from_db()
    response = client_for(viewer).get(reverse("incidents:header", args=[incident.number]), {"version": shown})
    body = response.content.decode()
    assert response.status_code == 200
    assert '<span class="badge status">Resolved</span>' in body
    assert '<strong data-role="scribe">Rory Responder</strong>' in body
    assert f"?version={incident.version}" in body  # the next poll asks from the new version
    assert 'id="incident-facts" hx-swap-oob="true"' in body


def test_the_incident_page_polls_its_header_from_its_version(client_for, viewer, incident):
    page = client_for(viewer).get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert f'/incidents/{incident.number}/header/?version={incident.version}" hx-trigger="every 3s"' in page


def test_a_hidden_incidents_header_is_not_found(client_for, outsider, incident):
    url = reverse("incidents:header", args=[incident.number])
    assert client_for(outsider).get(url, {"version": incident.version}).status_code == 404


def test_the_changed_header_keeps_a_flat_query_count(
    client_for, commander, team, incident, django_assert_max_num_queries
):
    for i in range(15):
        person = UserFactory(display_name=f"Helper {i}")
        MembershipFactory(user=person, team=team)
        incident.participants.add(person)
    url = reverse("incidents:header", args=[incident.number])
    client = client_for(commander)
    with django_assert_max_num_queries(10):
        response = client.get(url, {"version": 0})
    assert response.content.decode().count("from the participants") == 15
