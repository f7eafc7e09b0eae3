from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from accounts.models import SecurityEvent, User
from accounts.services import user_deactivate
from tests.factories import TimelineEntryFactory

pytestmark = pytest.mark.django_db


def _sign_in(email: str) -> Client:
    client = Client()
    client.post(reverse("accounts:login"), {"username": email, "password": "pw-for-tests-123"})
    return client


def test_a_deactivated_user_cannot_sign_in_and_keeps_everything_they_wrote(commander, incident, admin_user):
    entry = TimelineEntryFactory(incident=incident, author=commander, body="Paged the database team")
    user_deactivate(user=commander, actor=admin_user)
    commander.refresh_from_db()
    assert commander.is_active is False
    assert commander.deactivated_at is not None
    assert SESSION_KEY not in _sign_in(commander.email).session
    entry.refresh_from_db()
    incident.refresh_from_db()
    assert entry.author == commander
    assert incident.commander == commander
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.DEACTIVATION)
    assert event.actor == admin_user
    assert commander.email in event.target


def test_an_open_session_stops_working_after_deactivation(responder, admin_user):
    client = _sign_in(responder.email)
    assert client.get(reverse("incidents:dashboard")).status_code == 200
    user_deactivate(user=responder, actor=admin_user)
    response = client.get(reverse("incidents:dashboard"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_deactivating_twice_changes_nothing(responder, admin_user):
    user_deactivate(user=responder, actor=admin_user)
    first = User.objects.get(pk=responder.pk).deactivated_at
    user_deactivate(user=responder, actor=admin_user)
    assert User.objects.get(pk=responder.pk).deactivated_at == first
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.DEACTIVATION).count() == 1


def test_users_are_never_deleted(responder):
    with pytest.raises(RuntimeError, match="deactivated, never deleted"):
        responder.delete()
    with pytest.raises(RuntimeError, match="deactivated, never deleted"):
        User.objects.filter(pk=responder.pk).delete()
    assert User.objects.filter(pk=responder.pk).exists()


def test_admin_deactivates_from_the_user_list_and_cannot_delete(client_for, admin_user, responder):
    client = client_for(admin_user)
    changelist = reverse("admin:accounts_user_changelist")
    response = client.post(
        changelist, {"action": "deactivate", "_selected_action": [responder.pk]}, follow=True
    )
    assert response.status_code == 200
    responder.refresh_from_db()
    assert responder.is_active is False
    assert client.get(reverse("admin:accounts_user_delete", args=[responder.pk])).status_code == 403
