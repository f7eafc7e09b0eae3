"""Subscribe and unsubscribe pages, scoped by permission (invisible incidents are 404)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models import Subscription
from tests.factories import IncidentFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "status"),
    [("outsider", 404), ("viewer", 302), ("responder", 302), ("commander", 302), ("admin", 302)],
)
def test_following_an_internal_incident(personas, incident, client_for, persona, status):
    response = client_for(personas[persona]).post(
        reverse("incidents:subscribe", args=[incident.number]), {"action": "subscribe"}
    )
    assert response.status_code == status
    assert Subscription.objects.filter(user=personas[persona], incident=incident).exists() is (status == 302)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("outsider", 404), ("viewer", 404), ("responder", 404), ("commander", 302), ("admin", 302)],
)
def test_following_a_restricted_incident_needs_sight_of_it(personas, commander, client_for, persona, status):
    secret = IncidentFactory(visibility="restricted", commander=commander)
    secret.participants.add(commander)
    response = client_for(personas[persona]).post(reverse("incidents:subscribe", args=[secret.number]))
    assert response.status_code == status


def test_following_twice_then_unsubscribing(viewer, incident, client_for):
    client = client_for(viewer)
    url = reverse("incidents:subscribe", args=[incident.number])
    client.post(url, {"action": "subscribe"})
    client.post(url, {"action": "subscribe"})
    assert Subscription.objects.filter(user=viewer).count() == 1
    response = client.post(url, {"action": "unsubscribe", "next": "subscriptions"})
    assert response.url == reverse("incidents:subscriptions")
    assert not Subscription.objects.filter(user=viewer).exists()


def _head_buttons(page: str) -> str:
    head = page[page.index('id="incident-head"') :]
    return head[: head.index("</div>\n</div>")]


def test_the_incident_page_says_you_follow_it_and_unfollows_from_there(
    viewer, responder, incident, client_for
):
    client = client_for(viewer)
    url = reverse("incidents:subscribe", args=[incident.number])
    detail = reverse("incidents:detail", args=[incident.number])
    head = _head_buttons(client.get(detail).content.decode())
    assert 'value="subscribe"' in head
    assert "Unfollow" not in head
    followed = client.post(url, {"action": "subscribe"}, follow=True).content.decode()
    assert f"You now follow {incident.reference}." in followed
    head = _head_buttons(followed)
    assert "You follow it" in head
    assert 'value="unsubscribe"' in head
    assert ">Follow<" not in head
    # Someone else's page still offers Follow: the state is the viewer's own.
    assert ">Follow<" in _head_buttons(client_for(responder).get(detail).content.decode())
    unfollowed = client.post(url, {"action": "unsubscribe"}, follow=True).content.decode()
    assert f"You no longer follow {incident.reference}." in unfollowed
    assert ">Follow<" in _head_buttons(unfollowed)
    assert not Subscription.objects.filter(user=viewer).exists()


def test_a_member_follows_and_unfollows_a_service_and_a_team(viewer, team, client_for):
    service = ServiceFactory(name="Checkout", team=team)
    client = client_for(viewer)
    url = reverse("incidents:subscriptions")
    assert client.post(url, {"action": "subscribe", "service": service.pk}).status_code == 302
    assert client.post(url, {"action": "subscribe", "team": team.pk}).status_code == 302
    page = client.get(url).content.decode()
    assert "Service Checkout" in page
    assert "Team Platform" in page
    client.post(url, {"action": "unsubscribe", "service": service.pk})
    assert list(Subscription.objects.filter(user=viewer).values_list("team_id", flat=True)) == [team.pk]


def test_bad_subscription_input_is_a_400_with_a_message(viewer, client_for):
    client = client_for(viewer)
    url = reverse("incidents:subscriptions")
    response = client.post(url, {"action": "subscribe", "service": "nope"})
    assert response.status_code == 400
    assert b"No such service" in response.content
    assert client.post(url, {"action": "dance", "team": 1}).status_code == 400


def test_an_outsider_cannot_follow_services_and_sees_no_hidden_incident(outsider, client_for, commander):
    secret = IncidentFactory(visibility="restricted", title="Secret thing", commander=commander)
    Subscription.objects.create(user=outsider, incident=secret)  # e.g. made before they lost access
    client = client_for(outsider)
    url = reverse("incidents:subscriptions")
    page = client.get(url)
    assert page.status_code == 200
    assert b"Secret thing" not in page.content
    assert b"Follow service" not in page.content
    assert client.post(url, {"action": "subscribe", "service": ServiceFactory().pk}).status_code == 403


def test_subscriptions_page_query_count_is_flat(viewer, team, client_for, django_assert_max_num_queries):
    client = client_for(viewer)
    url = reverse("incidents:subscriptions")
    Subscription.objects.create(user=viewer, service=ServiceFactory(team=team))
    with django_assert_max_num_queries(12):
        client.get(url)
    for _ in range(20):
        Subscription.objects.create(user=viewer, service=ServiceFactory(team=team))
        Subscription.objects.create(user=viewer, incident=IncidentFactory())
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_the_subscriptions_page_says_publishing_a_postmortem_is_emailed(viewer, client_for):
    page = client_for(viewer).get("/subscriptions/").content.decode()
    assert "when its postmortem is published, with\nthe summary, impact and lessons" in page
