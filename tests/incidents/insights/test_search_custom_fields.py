"""Search finds an incident by a value of its type's custom fields (text, link, select), says why, and
never finds one its reader may not see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.incident.services.custom_values import incident_custom_fields_set
from incidents.insights import search
from incidents.models import CustomFieldKind, Visibility
from incidents.permissions.checks import SYSTEM
from tests.factories import CustomFieldFactory, IncidentFactory, IncidentTypeFactory

pytestmark = pytest.mark.django_db

K = CustomFieldKind


@pytest.fixture
def security():
    kind = IncidentTypeFactory(name="Security", slug="security")
    CustomFieldFactory(incident_type=kind, label="Customer ticket", key="ticket", kind=K.TEXT)
    CustomFieldFactory(
        incident_type=kind,
        label="Vector",
        key="vector",
        kind=K.SELECT,
        options=["Phishing", "Leak"],
        position=1,
    )
    CustomFieldFactory(
        incident_type=kind,
        label="Regions",
        key="regions",
        kind=K.MULTI_SELECT,
        options=["EU", "US"],
        position=2,
    )
    CustomFieldFactory(incident_type=kind, label="Records", key="records", kind=K.NUMBER, position=3)
    return kind


def _typed(security, title, values, **extra):
    incident = IncidentFactory(incident_type=security, title=title, **extra)
    incident_custom_fields_set(incident=incident, actor=SYSTEM, values=values)
    return incident


def test_a_text_value_finds_its_incident_and_says_why(viewer, security):
    wanted = _typed(security, "Credential stuffing", {"ticket": "ZD-48213"})
    _typed(security, "Other one", {"ticket": "ZD-1"})
    hits = [h for h in search.search_for(viewer, "zd-482") if h.kind == "incident"]
    assert [h.reference for h in hits] == [wanted.reference]
    assert hits[0].why == "Customer ticket: ZD-48213"


@pytest.mark.parametrize(("typed", "why"), [("phishing", "Vector: Phishing"), ("EU", "Regions: EU")])
def test_a_select_option_finds_its_incidents(viewer, security, typed, why):
    wanted = _typed(security, "Mail campaign", {"vector": "Phishing", "regions": ["EU"]})
    _typed(security, "Bucket open", {"vector": "Leak", "regions": ["US"]})
    hits = [h for h in search.search_for(viewer, typed) if h.kind == "incident"]
    assert [h.reference for h in hits] == [wanted.reference]
    assert hits[0].why == why


def test_a_two_letter_query_finds_only_a_whole_value(viewer, security):
    _typed(security, "Mail campaign", {"ticket": "NEUTRAL"})
    assert [h for h in search.search_for(viewer, "EU") if h.kind == "incident"] == []


def test_a_number_value_is_not_a_word(viewer, security):
    _typed(security, "Bucket open", {"records": 4711})
    assert [h for h in search.search_for(viewer, "4711") if h.kind == "incident"] == []


def test_a_restricted_incidents_values_are_found_only_by_those_who_may_see_it(client_for, personas, security):
    commander = personas["commander"]
    hidden = _typed(
        security, "Quiet one", {"ticket": "SECRET-42"}, visibility=Visibility.RESTRICTED, commander=commander
    )
    hidden.participants.add(commander)
    assert search.search_for(personas["responder"], "SECRET-42") == []
    # The incident, and the timeline entry that recorded the value.
    hits = search.search_for(commander, "SECRET-42")
    assert {(h.kind, h.reference) for h in hits} == {
        ("incident", hidden.reference),
        ("timeline entry", hidden.reference),
    }
    page = _page(client_for(personas["responder"]), "SECRET-42")
    assert "Quiet one" not in page
    assert "0 results" in page


def _page(client, query):
    response = client.get(reverse("incidents:search"), {"q": query})
    assert response.status_code == 200
    return response.content.decode()


def test_the_search_page_shows_why_a_custom_value_matched(client_for, viewer, security):
    _typed(security, "Mail campaign", {"vector": "Phishing"})
    page = _page(client_for(viewer), "phishing")
    assert "Mail campaign" in page
    assert "Vector: Phishing" in page
