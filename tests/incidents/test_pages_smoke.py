from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models import Incident, IncidentStatus

pytestmark = pytest.mark.django_db


def test_responder_declares_with_title_and_severity_only(client_for, responder):
    response = client_for(responder).post(
        reverse("incidents:declare"),
        {"title": "Checkout is down", "severity": "SEV1", "visibility": "internal"},
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:detail", args=[incident.number])
    assert incident.status == IncidentStatus.INVESTIGATING
    assert incident.timeline_entries.count() == 2  # "Impact started" and "Incident declared"


def test_incident_page_shows_title_and_timeline(client_for, commander, incident):
    client = client_for(commander)
    client.post(
        reverse("incidents:timeline_quick_add", args=[incident.number]),
        {"body": "Paged the DB team", "kind": "escalation"},
    )
    page = client.get(reverse("incidents:detail", args=[incident.number]))
    assert page.status_code == 200
    assert incident.title in page.content.decode()
    assert "Paged the DB team" in page.content.decode()


def test_outsider_gets_404_for_internal_incident(client_for, outsider, incident):
    assert client_for(outsider).get(reverse("incidents:detail", args=[incident.number])).status_code == 404


def test_declare_button_shows_only_for_people_who_may_declare(client_for, viewer, responder):
    assert "Declare incident" not in client_for(viewer).get("/").content.decode()
    assert "Declare incident" in client_for(responder).get("/").content.decode()
