"""Similar incidents: on the incident page and while declaring."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.insights import similar
from incidents.models import FactorCategory, Visibility
from tests.factories import ContributingFactorFactory, IncidentFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def test_similar_title_is_suggested_and_unrelated_is_not(viewer):
    same = IncidentFactory(title="Database replication lag on primary")
    other = IncidentFactory(title="Marketing site typo")
    found = similar.similar_incidents_for(viewer, title="Replication lag on the database primary")
    numbers = [s.incident.number for s in found]
    assert same.number in numbers
    assert other.number not in numbers


def test_shared_services_and_factor_categories_raise_the_score(viewer):
    db = ServiceFactory(name="Database", slug="db")
    plain = IncidentFactory(title="Replication lag alarm")
    with_service = IncidentFactory(title="Replication lag alarm")
    with_service.services.add(db)
    ContributingFactorFactory(incident=with_service, category=FactorCategory.MONITORING_GAP)
    found = similar.similar_incidents_for(
        viewer, title="Replication lag alarm", service_ids=[db.pk], factor_categories=["monitoring_gap"]
    )
    assert [s.incident.number for s in found][:2] == [with_service.number, plain.number]
    assert found[0].shared_services == 1
    assert found[0].shared_categories == 1


def test_restricted_incidents_are_not_suggested_to_outsiders(personas):
    restricted = IncidentFactory(title="Payroll export leaked", visibility=Visibility.RESTRICTED)
    restricted.participants.add(personas["commander"])
    for name, user in personas.items():
        numbers = [
            s.incident.number for s in similar.similar_incidents_for(user, title="Payroll export leaked")
        ]
        assert (restricted.number in numbers) == (name in ("commander", "admin")), name


def test_incident_page_loads_similar_incidents(client_for, commander, incident):
    twin = IncidentFactory(title=incident.title + " again")
    client = client_for(commander)
    page = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert reverse("incidents:similar", args=[incident.number]) in page
    partial = client.get(reverse("incidents:similar", args=[incident.number])).content.decode()
    assert (
        f'This looks like <a href="{reverse("incidents:detail", args=[twin.number])}">{twin.reference}</a>'
        in partial
    )
    assert f">{incident.reference}<" not in partial


def test_similar_partial_is_404_for_those_who_cannot_see_the_incident(client_for, outsider, incident):
    assert client_for(outsider).get(reverse("incidents:similar", args=[incident.number])).status_code == 404


def test_declare_form_asks_while_typing(client_for, responder):
    past = IncidentFactory(title="Checkout payments failing")
    client = client_for(responder)
    form = client.get(reverse("incidents:declare")).content.decode()
    assert reverse("incidents:similar_preview") in form
    assert 'hx-trigger="keyup changed delay:400ms from:#id_title' in form
    partial = client.get(reverse("incidents:similar_preview"), {"title": "payments failing at checkout"})
    assert partial.status_code == 200
    assert past.reference in partial.content.decode()
    assert "Have we seen this before?" in partial.content.decode()
    empty = client.get(reverse("incidents:similar_preview"), {"title": "ab", "services": ["x"]})
    assert empty.status_code == 200
    assert past.reference not in empty.content.decode()
