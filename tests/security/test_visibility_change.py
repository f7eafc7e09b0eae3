"""Making an incident restricted takes effect at once for people who had subscribed or visited before."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.incident.services.edits import incident_update
from incidents.incident.services.lifecycle import incident_change_severity
from incidents.models import Notification, Subscription, Visibility
from incidents.notify.messages import build_incident_email

pytestmark = pytest.mark.django_db


def test_restricting_an_incident_hides_it_from_an_earlier_subscriber_everywhere(
    client_for, viewer, commander, incident, django_capture_on_commit_callbacks
):
    incident.title = "Zebra checkout outage"
    incident.save()
    client = client_for(viewer)
    assert client.post(
        reverse("incidents:subscribe", args=[incident.number]), {"action": "subscribe"}
    ).status_code in {
        200,
        302,
    }
    assert Subscription.objects.filter(user=viewer, incident=incident).exists()
    assert client.get(reverse("incidents:detail", args=[incident.number])).status_code == 200
    for url in (reverse("incidents:list"), reverse("incidents:search") + "?q=Zebra", "/api/v1/incidents/"):
        assert "Zebra checkout outage" in client.get(url).content.decode(), url
    # A delivery claimed while the incident was still internal.
    early = Notification.objects.create(
        recipient=viewer.email,
        user=viewer,
        kind="incident.status_changed",
        object_key=f"incident:{incident.pk}",
        period="early",
    )

    incident_update(incident=incident, actor=commander, visibility=Visibility.RESTRICTED)

    assert client.get(reverse("incidents:detail", args=[incident.number])).status_code == 404
    assert client.get(f"/api/v1/incidents/{incident.number}/").status_code == 404
    for url in (
        reverse("incidents:list"),
        reverse("incidents:dashboard"),
        reverse("incidents:search") + "?q=Zebra",
        "/api/v1/incidents/",
    ):
        assert "Zebra checkout outage" not in client.get(url).content.decode(), url
    # The already-claimed email is not sent, and a new event notifies nobody who cannot see it.
    assert build_incident_email(early) is None
    with django_capture_on_commit_callbacks(execute=True):
        incident_change_severity(incident=incident, actor=commander, severity="SEV1")
    assert not Notification.objects.filter(user=viewer).exclude(pk=early.pk).exists()
    # Once restricted it stays hidden, and making it internal again shows it at once.
    incident_update(incident=incident, actor=commander, visibility=Visibility.INTERNAL)
    assert client.get(reverse("incidents:detail", args=[incident.number])).status_code == 200


def test_a_participant_keeps_access_when_the_incident_becomes_restricted(
    client_for, responder, commander, incident
):
    incident.participants.add(responder)
    incident_update(incident=incident, actor=commander, visibility=Visibility.RESTRICTED)
    assert client_for(responder).get(reverse("incidents:detail", args=[incident.number])).status_code == 200


def test_an_action_item_owner_who_cannot_see_the_incident_sees_only_their_item(
    client_for, outsider, incident
):
    from tests.factories import ActionItemFactory

    incident.title = "Heron secret outage"
    incident.visibility = Visibility.RESTRICTED
    incident.save()
    item = ActionItemFactory(incident=incident, owner=outsider, title="Rotate the keys")
    client = client_for(outsider)
    page = client.get(reverse("incidents:action_item_detail", args=[item.pk]))
    assert page.status_code == 200
    assert "Rotate the keys" in page.content.decode()
    assert "Heron" not in page.content.decode()
    assert incident.reference not in page.content.decode()
    assert client.get(reverse("incidents:detail", args=[incident.number])).status_code == 404
