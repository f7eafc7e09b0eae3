"""Incident types: admins define them in Settings; a declaration takes the type's defaults; the type shows on
the incident page, filters the list and the API, and starts the postmortem from its template."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership
from incidents.models import Incident, IncidentType, Postmortem, PostmortemTemplate, Severity, Visibility
from tests.factories import IncidentFactory, IncidentTypeFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def security():
    return IncidentTypeFactory(
        name="Security",
        slug="security",
        default_severity=Severity.SEV2,
        restricted_by_default=True,
        postmortem_template=PostmortemTemplate.objects.get(name="Lightweight"),
    )


@pytest.fixture
def lead(team):
    user = UserFactory(email="lead@example.com")
    MembershipFactory(user=user, team=team, role=Membership.Role.LEAD)
    return user


def test_an_admin_adds_a_type_on_the_settings_page(client_for, admin_user):
    client = client_for(admin_user)
    assert "Incident types" in client.get(reverse("incidents:settings")).content.decode()
    response = client.post(
        reverse("incidents:incident_type_list"),
        {"name": "Data loss", "default_severity": "SEV1", "restricted_by_default": "on"},
    )
    assert response.status_code == 302
    row = IncidentType.objects.get()
    assert (row.slug, row.default_severity, row.restricted_by_default) == ("data-loss", "SEV1", True)
    page = client.get(reverse("incidents:incident_type_list")).content.decode()
    assert "Data loss" in page
    assert "restricted" in page


def test_a_duplicate_type_name_is_a_field_error(client_for, admin_user, security):
    response = client_for(admin_user).post(
        reverse("incidents:incident_type_list"), {"name": "security", "default_severity": "SEV2"}
    )
    assert response.status_code == 400
    assert "exists already" in response.content.decode()


@pytest.mark.parametrize("who", ["lead", "responder", "viewer", "outsider"])
def test_only_admins_open_or_change_the_type_pages(client_for, request, who, security):
    client = client_for(request.getfixturevalue(who))
    for url in (
        reverse("incidents:incident_type_list"),
        reverse("incidents:incident_type_edit", args=["security"]),
    ):
        assert client.get(url).status_code == 403
        assert client.post(url, {"name": "Hacked", "default_severity": "SEV4"}).status_code == 403
    security.refresh_from_db()
    assert security.name == "Security"
    assert IncidentType.objects.count() == 1


def test_a_lead_does_not_see_the_types_link(client_for, lead):
    assert "Incident types" not in client_for(lead).get(reverse("incidents:settings")).content.decode()


def test_an_admin_edits_a_type(client_for, admin_user, security):
    response = client_for(admin_user).post(
        reverse("incidents:incident_type_edit", args=["security"]),
        {"save_type": "1", "name": "Security", "slug": "security", "default_severity": "SEV1"},
    )
    assert response.status_code == 302
    security.refresh_from_db()
    assert (security.default_severity, security.restricted_by_default) == ("SEV1", False)


def test_declaring_with_a_type_takes_its_severity_and_restriction(client_for, responder, security):
    client = client_for(responder)
    form = client.get(reverse("incidents:declare")).content.decode()
    assert "Security (SEV2, restricted)" in form
    response = client.post(
        reverse("incidents:declare"), {"title": "Leaked key", "incident_type": security.pk}
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert (incident.incident_type, incident.severity, incident.visibility) == (
        security,
        "SEV2",
        Visibility.RESTRICTED,
    )
    assert incident.timeline_entries.filter(body__startswith="Incident declared as SEV2 (Security)").exists()
    page = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    assert "<dt>Type</dt><dd>Security</dd>" in page


def test_a_chosen_severity_and_visibility_win_over_the_types(client_for, responder, security):
    client_for(responder).post(
        reverse("incidents:declare"),
        {"title": "Port scan", "incident_type": security.pk, "severity": "SEV4", "visibility": "internal"},
    )
    incident = Incident.objects.get()
    assert (incident.severity, incident.visibility) == ("SEV4", Visibility.INTERNAL)


def test_without_a_type_a_bare_declaration_is_sev3_and_internal(client_for, responder, security):
    client_for(responder).post(reverse("incidents:declare"), {"title": "Slow pages"})
    incident = Incident.objects.get()
    assert (incident.incident_type, incident.severity, incident.visibility) == (None, "SEV3", "internal")


def test_an_archived_type_is_not_offered(client_for, responder, security):
    security.archived = True
    security.save()
    client = client_for(responder)
    assert "Security (SEV2" not in client.get(reverse("incidents:declare")).content.decode()
    response = client.post(reverse("incidents:declare"), {"title": "x", "incident_type": security.pk})
    assert response.status_code == 200
    assert not Incident.objects.exists()


def test_the_postmortem_starts_from_the_types_template(client_for, commander, security):
    incident = IncidentFactory(commander=commander, incident_type=security, severity=Severity.SEV1)
    incident.participants.add(commander)
    client = client_for(commander)
    page = client.get(reverse("incidents:postmortem", args=[incident.number])).content.decode()
    lightweight = PostmortemTemplate.objects.get(name="Lightweight")
    assert f'<option value="{lightweight.pk}" selected>' in page
    client.post(reverse("incidents:postmortem_start", args=[incident.number]), {})
    assert Postmortem.objects.get(incident=incident).template == lightweight


def test_the_list_filters_by_type(client_for, responder, security):
    typed = IncidentFactory(title="Typed one", incident_type=security)
    IncidentFactory(title="Untyped one")
    page = client_for(responder).get(reverse("incidents:list"), {"incident_type": "security"})
    body = page.content.decode()
    assert page.status_code == 200
    assert "Typed one" in body
    assert "Untyped one" not in body
    assert typed.reference in body


def test_the_api_declares_with_a_type_and_filters_by_it(api_for, responder, security):
    api = api_for(responder)
    response = api.post(
        "/api/v1/incidents/", {"title": "Token leak", "incident_type": "security"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["incident_type"], body["severity"], body["visibility"]) == ("security", "SEV2", "restricted")
    IncidentFactory(title="Other")
    listed = api.get("/api/v1/incidents/", {"type": "security"}).json()["results"]
    assert [row["title"] for row in listed] == ["Token leak"]


def test_the_api_needs_a_severity_or_a_type(api_for, responder):
    response = api_for(responder).post("/api/v1/incidents/", {"title": "No severity"}, format="json")
    assert response.status_code == 400
    assert "severity" in response.json()


def test_the_commander_changes_the_type_on_the_edit_page(client_for, commander, security):
    incident = IncidentFactory(commander=commander, title="Odd logins")
    incident.participants.add(commander)
    client = client_for(commander)
    form = client.get(reverse("incidents:edit", args=[incident.number])).content.decode()
    assert "Security (SEV2" not in form  # the edit page offers the type by name
    assert ">Security</option>" in form
    data = {
        "title": "Odd logins", "visibility": "internal", "incident_type": security.pk,
        "started_at": incident.started_at.strftime("%Y-%m-%dT%H:%M"),
        "started_at_exact": incident.started_at.isoformat(), "version": incident.version,
    }  # fmt: skip
    response = client.post(reverse("incidents:edit", args=[incident.number]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    incident.refresh_from_db()
    assert incident.incident_type == security
    assert incident.timeline_entries.filter(body="Type changed from no type to Security").exists()


def test_the_api_changes_the_type(api_for, commander, security):
    incident = IncidentFactory(commander=commander)
    incident.participants.add(commander)
    response = api_for(commander).patch(
        f"/api/v1/incidents/{incident.number}/", {"incident_type": "security"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["incident_type"] == "security"
