"""Alert integration pages: team leads manage their teams' integrations; the token is shown once."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import Membership
from incidents.models import AlertIntegration
from tests.factories import MembershipFactory, TeamFactory, UserFactory
from tests.incidents.integrations.conftest import IntakeClient, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(team):
    user = UserFactory(email="lead@example.com")
    MembershipFactory(user=user, team=team, role=Membership.Role.LEAD)
    return user


def test_a_lead_adds_an_integration_and_its_token_works_once_shown(client_for, lead, team):
    client = client_for(lead)
    response = client.post(
        reverse("incidents:integration_list"),
        {
            "name": "prod-am",
            "kind": "alertmanager",
            "team": team.pk,
            "severity_label": "severity",
            "severity_map": "page = SEV1\nticket = SEV4",
            "default_severity": "SEV3",
        },  # fmt: skip
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = re.search(r'id="new-secret">(hsi_[^<]+)<', response.content.decode()).group(1)
    integration = AlertIntegration.objects.get(name="prod-am")
    assert integration.severity_map == {"page": "SEV1", "ticket": "SEV4"}
    assert token not in client.get(reverse("incidents:integration_list")).content.decode()
    api = IntakeClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    api.url = reverse("api:integration-alertmanager")
    assert post(api, {"version": "4"}).status_code == 400  # authenticated: field messages, not 401


def test_a_bad_severity_map_is_a_form_error(client_for, lead, team):
    response = client_for(lead).post(
        reverse("incidents:integration_list"),
        {
            "name": "x",
            "kind": "alertmanager",
            "team": team.pk,
            "severity_label": "severity",
            "severity_map": "page => critical",
            "default_severity": "SEV3",
        },  # fmt: skip
    )
    assert response.status_code == 400
    assert "Line 1: write" in response.content.decode()
    assert not AlertIntegration.objects.exists()


def test_a_lead_cannot_see_or_edit_another_teams_integration(client_for, lead, admin_user, integration_for):
    other = TeamFactory(name="Payments", slug="payments")
    integration, _ = integration_for("opsgenie", name="payments-og")
    integration.team = other
    integration.save()
    client = client_for(lead)
    assert "payments-og" not in client.get(reverse("incidents:integration_list")).content.decode()
    assert client.get(reverse("incidents:integration_edit", args=[integration.pk])).status_code == 403
    assert client.post(reverse("incidents:integration_rotate", args=[integration.pk])).status_code == 403
    refused = client.post(
        reverse("incidents:integration_list"),
        {
            "name": "sneaky",
            "kind": "grafana",
            "team": other.pk,
            "severity_label": "severity",
            "default_severity": "SEV3",
        },
    )
    assert refused.status_code == 400
    assert not AlertIntegration.objects.filter(name="sneaky").exists()


def test_replacing_the_token_stops_the_old_one(client_for, admin_user, integration_for):
    integration, api = integration_for()
    response = client_for(admin_user).post(reverse("incidents:integration_rotate", args=[integration.pk]))
    new = re.search(r'id="new-secret">(hsi_[^<]+)<', response.content.decode()).group(1)
    assert post(api, {"version": "4"}).status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {new}")
    assert post(api, {"version": "4"}).status_code == 400


def test_editing_switches_the_integration_off_and_keeps_the_secret(
    client_for, admin_user, integration_for, team
):
    integration, api = integration_for("pagerduty", signing_secret="keep-me")
    response = client_for(admin_user).post(
        reverse("incidents:integration_edit", args=[integration.pk]),
        {
            "name": integration.name,
            "team": team.pk,
            "severity_label": "severity",
            "default_severity": "SEV2",
            "signing_secret": "",
        },  # fmt: skip
    )
    assert response.status_code == 302
    integration.refresh_from_db()
    assert integration.is_active is False
    assert integration.signing_secret == "keep-me"
    assert integration.default_severity == "SEV2"
    assert post(api, {}).status_code == 401


@pytest.mark.parametrize("persona", ["viewer", "responder", "outsider"])
def test_people_who_lead_no_team_are_refused(client_for, personas, persona):
    assert client_for(personas[persona]).get(reverse("incidents:integration_list")).status_code == 403


def test_an_integration_token_elsewhere_in_the_api_is_told_what_it_is_for(integration_for):
    _, client = integration_for()
    response = client.get("/api/v1/incidents/")
    assert response.status_code == 403
    assert "only posts alerts" in response.json()["detail"]


def test_a_lead_points_an_integration_only_at_services_of_teams_they_lead(client_for, lead, team):
    """An integration's token declares incidents on its services, which reach those services' teams: a
    lead of one team may not aim one at another team's services (offered none, refused by id)."""
    from incidents.integrations.services.configuration import alert_integration_update
    from tests.factories import ServiceFactory

    ours = ServiceFactory(name="Checkout", team=team)
    theirs = ServiceFactory(name="Ledger", team=TeamFactory(name="Payments", slug="payments"))
    client = client_for(lead)
    page = client.get(reverse("incidents:integration_list")).content.decode()
    assert "Checkout" in page
    assert "Ledger" not in page
    form = {
        "name": "prod-am", "kind": "alertmanager", "team": team.pk, "severity_label": "severity",
        "default_severity": "SEV3",
    }  # fmt: skip
    refused = client.post(reverse("incidents:integration_list"), {**form, "services": [ours.pk, theirs.pk]})
    assert refused.status_code == 400
    assert not AlertIntegration.objects.filter(name="prod-am").exists()
    assert (
        client.post(reverse("incidents:integration_list"), {**form, "services": [ours.pk]}).status_code == 200
    )
    integration = AlertIntegration.objects.get(name="prod-am")
    with pytest.raises(Exception, match="choose services of the teams you lead"):
        alert_integration_update(actor=lead, integration=integration, services=[ours, theirs])
    assert list(integration.services.all()) == [ours]


def test_services_an_admin_gave_an_integration_stay_when_its_lead_edits_it(lead, team, admin_user):
    from incidents.integrations.services.configuration import (
        alert_integration_create,
        alert_integration_update,
    )
    from tests.factories import ServiceFactory

    ours = ServiceFactory(name="Checkout", team=team)
    shared = ServiceFactory(name="Edge", team=None)
    integration, _ = alert_integration_create(
        actor=admin_user, name="edge-am", kind="alertmanager", team=team, services=[ours, shared]
    )
    alert_integration_update(actor=lead, integration=integration, name="edge-am-2", services=[ours, shared])
    integration.refresh_from_db()
    assert integration.name == "edge-am-2"
    assert set(integration.services.all()) == {ours, shared}
