"""Settings pages for services (with owner team) and tags: team leads and admins."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership
from incidents.models import Service, Tag
from tests.factories import MembershipFactory, ServiceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(team):
    user = UserFactory(email="lead@example.com")
    MembershipFactory(user=user, team=team, role=Membership.Role.LEAD)
    return user


def test_a_lead_adds_a_service_owned_by_their_team(client_for, lead, team):
    response = client_for(lead).post(
        reverse("incidents:service_list"), {"name": "Checkout API", "team": team.pk}
    )
    assert response.status_code == 302
    service = Service.objects.get()
    assert (service.slug, service.team) == ("checkout-api", team)


def test_a_lead_cannot_add_a_service_for_another_team_or_no_team(client_for, lead):
    other = TeamFactory(name="Payments", slug="payments")
    client = client_for(lead)
    for team in (other.pk, ""):
        response = client.post(reverse("incidents:service_list"), {"name": "Ledger", "team": team})
        assert response.status_code == 400
    # No team: the form accepts it, the service refuses it, and the page says why beside the field.
    assert "services without a team are for admins" in response.content.decode()
    assert not Service.objects.exists()


def test_a_duplicate_service_name_is_a_field_error(client_for, admin_user):
    ServiceFactory(name="Checkout", slug="checkout")
    response = client_for(admin_user).post(reverse("incidents:service_list"), {"name": "checkout"})
    assert response.status_code == 400
    assert "exists already" in response.content.decode()


def test_a_lead_edits_their_teams_service_but_not_others(client_for, lead, team):
    mine = ServiceFactory(name="Search", slug="search", team=team)
    theirs = ServiceFactory(name="Ledger", slug="ledger", team=TeamFactory(name="Payments", slug="payments"))
    client = client_for(lead)
    assert client.get(reverse("incidents:service_edit", args=[theirs.slug])).status_code == 403
    response = client.post(
        reverse("incidents:service_edit", args=[mine.slug]),
        {"name": "Search", "slug": "search", "team": team.pk, "description": "Full-text search"},
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.description == "Full-text search"


def test_tags_are_added_and_renamed_without_duplicates(client_for, lead):
    client = client_for(lead)
    assert client.post(reverse("incidents:tag_list"), {"name": "database"}).status_code == 302
    assert client.post(reverse("incidents:tag_list"), {"name": "Database"}).status_code == 400
    tag = Tag.objects.get()
    assert client.post(reverse("incidents:tag_edit", args=[tag.pk]), {"name": "postgres"}).status_code == 302
    tag.refresh_from_db()
    assert tag.name == "postgres"


def test_the_settings_link_shows_for_leads_only(client_for, lead, responder):
    assert (
        reverse("incidents:settings") in client_for(lead).get(reverse("incidents:dashboard")).content.decode()
    )
    assert (
        reverse("incidents:settings")
        not in client_for(responder).get(reverse("incidents:dashboard")).content.decode()
    )
    assert client_for(responder).get(reverse("incidents:service_list")).status_code == 403


def test_tag_counts_leave_out_restricted_incidents_the_lead_cannot_see(client_for, lead, admin_user):
    from incidents.models import Visibility
    from tests.factories import IncidentFactory

    tag = Tag.objects.create(name="merger")
    IncidentFactory(visibility=Visibility.RESTRICTED).tags.add(tag)
    IncidentFactory().tags.add(tag)
    assert client_for(lead).get(reverse("incidents:tag_list")).context["rows"][0]["cells"] == ["merger", 1]
    assert client_for(admin_user).get(reverse("incidents:tag_list")).context["rows"][0]["cells"] == [
        "merger",
        2,
    ]
