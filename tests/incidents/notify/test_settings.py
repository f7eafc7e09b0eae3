"""Settings pages for severity mailing lists and team chat webhooks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership
from incidents.models import SeverityMailingList
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(team):
    user = UserFactory(email="lead@example.com")
    MembershipFactory(user=user, team=team, role=Membership.Role.LEAD)
    return user


def test_an_admin_sets_the_sev1_list_and_a_bad_address_saves_nothing(client_for, admin_user):
    client = client_for(admin_user)
    url = reverse("incidents:mailing_lists")
    assert client.post(url, {"SEV1": "oncall@example.com\nsre@example.com", "SEV2": ""}).status_code == 302
    assert SeverityMailingList.objects.get(severity="SEV1").address_list == [
        "oncall@example.com",
        "sre@example.com",
    ]
    response = client.post(url, {"SEV1": "oncall@example.com", "SEV2": "not-an-address"})
    assert response.status_code == 400
    assert "Not an email address: not-an-address" in response.content.decode()
    assert SeverityMailingList.objects.get(severity="SEV1").address_list == [
        "oncall@example.com",
        "sre@example.com",
    ]


def test_a_lead_sets_their_teams_chat_webhook_only(client_for, lead, team):
    other = TeamFactory(name="Payments", slug="payments")
    client = client_for(lead)
    page = client.get(reverse("incidents:team_chat_list")).content.decode()
    assert "Platform" in page
    assert "Payments" not in page
    assert client.get(reverse("incidents:team_chat_edit", args=[other.slug])).status_code == 403
    bad = client.post(
        reverse("incidents:team_chat_edit", args=[team.slug]), {"chat_webhook_url": "http://hooks.example/x"}
    )
    assert bad.status_code == 400
    url = "https://hooks.slack.com/services/T000/B000/XXXX"
    assert (
        client.post(
            reverse("incidents:team_chat_edit", args=[team.slug]), {"chat_webhook_url": url}
        ).status_code
        == 302
    )
    team.refresh_from_db()
    assert team.chat_webhook_url == url
    assert team.time_zone == "UTC"
    edit = reverse("incidents:team_chat_edit", args=[team.slug])
    response = client.post(edit, {"chat_webhook_url": url, "time_zone": "Europe/Copenhagen"})
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.time_zone == "Europe/Copenhagen"
    assert "Europe/Copenhagen" in client.get(reverse("incidents:team_chat_list")).content.decode()
    assert client.post(edit, {"chat_webhook_url": url, "time_zone": "Mars/Olympus"}).status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks/x",
        "https://169.254.169.254/latest/",
        "https://[::1]/x",
        "https://localhost/x",
    ],
)
def test_a_chat_webhook_to_this_machine_or_the_private_network_is_refused(client_for, lead, team, url):
    response = client_for(lead).post(
        reverse("incidents:team_chat_edit", args=[team.slug]), {"chat_webhook_url": url}
    )
    assert response.status_code == 400
    assert "cannot be sent" in response.content.decode()
    team.refresh_from_db()
    assert team.chat_webhook_url == ""


def test_a_responder_is_refused_the_mailing_lists(client_for, responder):
    assert client_for(responder).get(reverse("incidents:mailing_lists")).status_code == 403
