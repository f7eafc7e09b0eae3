"""Sign-in protection: lockout, session keys, sign-out everywhere, deactivation, password rules."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import SESSION_KEY
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.admin import UserAdmin
from accounts.models import SecurityEvent, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-123"


def _sign_in(client: Client, email: str, password: str = PASSWORD, **extra):
    return client.post(reverse("accounts:login"), {"username": email, "password": password}, **extra)


def _signed_in(client: Client) -> bool:
    return client.get(reverse("accounts:profile")).status_code == 200


def test_lockout_after_the_configured_number_of_failures(settings, responder):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _sign_in(client, responder.email, "wrong-password")
        assert response.status_code == 200
        assert (
            "correct email" in response.content.decode().lower()
            or "enter a correct" in response.content.decode()
        )
    locked = _sign_in(client, responder.email, "wrong-password")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    # Even the right password is refused while locked, and nothing signs the user in.
    again = _sign_in(client, responder.email)
    assert again.status_code == 429
    assert not _signed_in(client)
    failed = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SIGN_IN_FAILED, target=responder.email)
    assert failed.count() >= settings.AXES_FAILURE_LIMIT
    assert failed.filter(detail__contains="locked out").exists()


def test_lockout_is_per_account_and_address_so_another_user_can_still_sign_in(settings, responder, viewer):
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    for _ in range(2):
        _sign_in(client, responder.email, "wrong-password")
    assert _sign_in(client, responder.email).status_code == 429
    assert _sign_in(Client(), viewer.email).status_code == 302


def test_sign_in_gets_a_new_session_key_and_is_recorded_with_the_ip(responder):
    client = Client()
    client.get(reverse("accounts:login"))
    client.session.save()
    before = client.session.session_key
    response = _sign_in(client, responder.email, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302
    assert client.session.session_key != before
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SIGN_IN)
    assert event.actor == responder
    assert event.ip_address == "203.0.113.7"


def test_failed_sign_in_is_recorded_without_a_user(responder):
    _sign_in(Client(), responder.email, "nope", REMOTE_ADDR="198.51.100.4")
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SIGN_IN_FAILED)
    assert event.actor is None
    assert event.actor_email == responder.email
    assert event.ip_address == "198.51.100.4"


def test_sign_out_everywhere_ends_every_session_of_the_user(responder, viewer):
    laptop, phone, colleague = Client(), Client(), Client()
    _sign_in(laptop, responder.email)
    _sign_in(phone, responder.email)
    _sign_in(colleague, viewer.email)
    assert _signed_in(laptop)
    assert _signed_in(phone)

    response = laptop.post(reverse("accounts:sign_out_everywhere"))

    assert response.status_code == 302
    assert not _signed_in(laptop)
    assert not _signed_in(phone)
    assert _signed_in(colleague)
    # Signing in again works and starts a fresh session.
    _sign_in(phone, responder.email)
    assert _signed_in(phone)


def test_sign_out_everywhere_needs_a_post(client_for, responder):
    assert client_for(responder).get(reverse("accounts:sign_out_everywhere")).status_code == 405


def test_deactivating_a_user_in_the_admin_ends_their_sessions_for_good(client_for, admin_user, responder):
    phone = Client()
    _sign_in(phone, responder.email)
    assert _signed_in(phone)
    response = client_for(admin_user).post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate", "_selected_action": [responder.pk]},
    )
    assert response.status_code == 302

    assert not _signed_in(phone)
    # Reactivated later, the old session stays dead.
    User.objects.filter(pk=responder.pk).update(is_active=True)
    assert not _signed_in(phone)
    assert SESSION_KEY not in phone.session
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.DEACTIVATION)
    assert event.actor == admin_user
    assert responder.email in event.target
    responder.refresh_from_db()
    assert responder.deactivated_at is not None


def test_making_someone_staff_in_the_admin_is_a_role_change_event(admin_user, viewer):
    request = RequestFactory().post("/admin/")
    request.user = admin_user
    viewer.is_staff = True
    UserAdmin(User, admin.site).save_model(request, viewer, form=None, change=True)
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.ROLE_CHANGE)
    assert event.detail == "is_staff False -> True"


def test_password_change_applies_djangos_validators_and_ends_other_sessions(responder):
    here, elsewhere = Client(), Client()
    _sign_in(here, responder.email)
    _sign_in(elsewhere, responder.email)
    weak = here.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert weak.status_code == 200
    text = weak.content.decode()
    assert "too common" in text
    assert "entirely numeric" in text
    strong = "a-Long-and-unusual-passphrase-42"
    ok = here.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong},
    )
    assert ok.status_code == 302
    assert _signed_in(here)
    assert not _signed_in(elsewhere)


def test_user_history_keeps_no_password_hashes():
    user = UserFactory(email="history@example.com")
    user.set_password("another-secret-passphrase")
    user.save()
    fields = {f.name for f in User.history.model._meta.get_fields()}
    assert "password" not in fields
    assert user.history.count() >= 2
