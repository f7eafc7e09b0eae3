"""Accounts people manage themselves: password reset, invitations, two-factor sign-in, the sessions list.

Each flow follows the link in the email it sends, as the person would.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pyotp
import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise

from accounts.models import Invitation, Membership, User, UserSession
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _link(message: str | Promise) -> str:
    url = re.search(r"https?://\S+", str(message)).group(0)
    return urlsplit(url).path


def _sign_in(client: Client, email: str, password: str):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


# --- Password reset ---------------------------------------------------------------------------------------


def test_password_reset_by_email_link_sets_a_new_password(responder):
    client = Client()
    response = client.post(reverse("accounts:password_reset"), {"email": "Responder@Example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["responder@example.com"]
    link = _link(mail.outbox[0].body)
    page = client.get(link, follow=True)
    assert "Choose a new password" in page.content.decode()
    done = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-pass-42", "new_password2": "a-brand-new-pass-42"},
    )
    assert done.status_code == 302
    assert _sign_in(Client(), "responder@example.com", "a-brand-new-pass-42").status_code == 302
    assert _sign_in(Client(), "responder@example.com", "pw-for-tests-123").status_code == 200
    # The link works once.
    assert "no longer works" in client.get(link, follow=True).content.decode()


def test_password_reset_does_not_say_whether_an_account_exists(responder):
    known = Client().post(reverse("accounts:password_reset"), {"email": "responder@example.com"}, follow=True)
    unknown = Client().post(reverse("accounts:password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert known.status_code == unknown.status_code == 200
    csrf = re.compile(rb'("X-CSRFToken": "|csrfmiddlewaretoken" value=")[^"]+')
    assert csrf.sub(b"", known.content) == csrf.sub(b"", unknown.content)
    assert len(mail.outbox) == 1


def test_password_reset_is_rate_limited_per_address(responder, settings):
    settings.PASSWORD_RESET_PER_EMAIL_HOUR = 2
    for _ in range(5):
        response = Client().post(reverse("accounts:password_reset"), {"email": "responder@example.com"})
        assert response.status_code == 302
    assert len(mail.outbox) == 2


def test_a_bad_email_is_a_form_error():
    response = Client().post(reverse("accounts:password_reset"), {"email": "not an email"})
    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()


# --- Invitations --------------------------------------------------------------------------------------------


@pytest.fixture
def lead(team):
    user = UserFactory(email="lead@example.com", display_name="Lee Lead")
    MembershipFactory(user=user, team=team, role=Membership.Role.LEAD)
    return user


def test_an_invitee_follows_the_link_sets_a_password_and_joins_the_team(
    client_for, lead, team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(lead).post(
            reverse("accounts:invitations"),
            {"email": "new.person@example.com", "team": team.pk, "role": "viewer"},
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "Lee Lead invites you to Platform" in mail.outbox[0].subject
    link = _link(mail.outbox[0].body)
    invitee = Client()
    assert "Join Platform" in invitee.get(link).content.decode()
    short = invitee.post(link, {"password1": "abc", "password2": "abc", "time_zone": "Europe/Berlin"})
    assert short.status_code == 400
    joined = invitee.post(link, {"display_name": "New Person", "password1": "long-enough-pass-9",
                                 "password2": "long-enough-pass-9", "time_zone": "Europe/Berlin"})  # fmt: skip
    assert joined.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert user.memberships.get().role == "viewer"
    assert user.time_zone == "Europe/Berlin"
    assert invitee.get(reverse("accounts:profile")).status_code == 200  # signed in
    assert Client().get(link).status_code == 404  # once only


def test_invitations_and_reset_links_mail_only_the_allowlist_outside_production(
    client_for, lead, team, settings, django_capture_on_commit_callbacks
):
    settings.HINDSIGHT_ENV = "development"
    lead_client = client_for(lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = lead_client.post(
            reverse("accounts:invitations"), {"email": "outside@gmail.com", "team": team.pk, "role": "viewer"}
        )
    assert response.status_code == 302
    assert "not emailed" in lead_client.get(response["Location"]).content.decode()
    assert Invitation.objects.filter(email="outside@gmail.com").exists()
    UserFactory(email="someone@gmail.com")
    Client().post(reverse("accounts:password_reset"), {"email": "someone@gmail.com"})
    assert mail.outbox == []
    settings.HINDSIGHT_ENV = "production"
    with django_capture_on_commit_callbacks(execute=True):
        client_for(lead).post(
            reverse("accounts:invitations"), {"email": "other@gmail.com", "team": team.pk, "role": "viewer"}
        )
    Client().post(reverse("accounts:password_reset"), {"email": "someone@gmail.com"})
    assert sorted(m.to[0] for m in mail.outbox) == ["other@gmail.com", "someone@gmail.com"]


def test_only_leads_invite_and_not_existing_accounts(client_for, lead, responder, team):
    assert client_for(responder).get(reverse("accounts:invitations")).status_code == 403
    response = client_for(lead).post(
        reverse("accounts:invitations"), {"email": "responder@example.com", "team": team.pk, "role": "viewer"}
    )
    assert response.status_code == 400
    assert "already has an account" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_withdrawn_invitation_link_stops_working(
    client_for, lead, team, django_capture_on_commit_callbacks
):
    client = client_for(lead)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("accounts:invitations"), {"email": "x@example.com", "team": team.pk, "role": "viewer"}
        )
    link = _link(mail.outbox[0].body)
    client.post(reverse("accounts:invitation_withdraw", args=[Invitation.objects.get().pk]))
    assert Client().get(link).status_code == 404


# --- Two-factor sign-in ---------------------------------------------------------------------------------


def _enable_totp(client: Client) -> str:
    page = client.get(reverse("accounts:two_factor")).content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    response = client.post(reverse("accounts:two_factor"), {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    return secret


def test_with_two_factor_on_sign_in_needs_the_code(responder):
    client = Client()
    _sign_in(client, "responder@example.com", "pw-for-tests-123")
    secret = _enable_totp(client)
    later = time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False)
    later.start()
    other = Client()
    step = _sign_in(other, "responder@example.com", "pw-for-tests-123")
    assert step["Location"] == reverse("accounts:login_code")
    assert other.get(reverse("accounts:profile")).status_code == 302  # not signed in yet
    assert other.post(reverse("accounts:login_code"), {"code": "000000"}).status_code == 400
    assert other.post(reverse("accounts:login_code"), {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert other.get(reverse("accounts:profile")).status_code == 200
    # The same code cannot sign in a second browser.
    third = Client()
    _sign_in(third, "responder@example.com", "pw-for-tests-123")
    assert third.post(reverse("accounts:login_code"), {"code": pyotp.TOTP(secret).now()}).status_code == 400
    later.stop()


def test_five_wrong_codes_end_the_sign_in_and_lock_it_out(responder):
    client = Client()
    _sign_in(client, "responder@example.com", "pw-for-tests-123")
    _enable_totp(client)
    other = Client()
    _sign_in(other, "responder@example.com", "pw-for-tests-123")
    for _ in range(4):
        assert other.post(reverse("accounts:login_code"), {"code": "123456"}).status_code == 400
    assert other.post(reverse("accounts:login_code"), {"code": "123456"}).status_code == 429
    assert other.get(reverse("accounts:login_code"))["Location"] == reverse("accounts:login")


def test_wrong_codes_count_across_sign_ins_and_lock_out_like_wrong_passwords(responder):
    """Signing in again with the password does not give five more guesses."""
    client = Client()
    _sign_in(client, "responder@example.com", "pw-for-tests-123")
    secret = _enable_totp(client)
    for per_sign_in in (2, 2):
        other = Client()
        assert _sign_in(other, "responder@example.com", "pw-for-tests-123")["Location"] == reverse(
            "accounts:login_code"
        )
        for _ in range(per_sign_in):
            assert other.post(reverse("accounts:login_code"), {"code": "123456"}).status_code == 400
    other = Client()
    _sign_in(other, "responder@example.com", "pw-for-tests-123")
    locked = other.post(reverse("accounts:login_code"), {"code": "123456"})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    # Locked like five wrong passwords: the password step and even the right code are refused.
    again = Client()
    assert _sign_in(again, "responder@example.com", "pw-for-tests-123").status_code == 429
    right = other.post(reverse("accounts:login_code"), {"code": pyotp.TOTP(secret).now()})
    assert right["Location"] == reverse("accounts:login")  # the locked sign-in was dropped
    assert other.get(reverse("accounts:profile")).status_code == 302


def test_wrong_codes_from_many_addresses_still_lock_the_account(responder):
    client = Client()
    _sign_in(client, "responder@example.com", "pw-for-tests-123")
    secret = _enable_totp(client)
    for n in range(5):
        other = Client(REMOTE_ADDR=f"203.0.113.{n + 1}")
        _sign_in(other, "responder@example.com", "pw-for-tests-123")
        other.post(reverse("accounts:login_code"), {"code": "123456"})
    fresh = Client(REMOTE_ADDR="203.0.113.99")
    assert _sign_in(fresh, "responder@example.com", "pw-for-tests-123").status_code == 429
    assert fresh.post(reverse("accounts:login_code"), {"code": pyotp.TOTP(secret).now()})["Location"] == (
        reverse("accounts:login")
    )
    assert fresh.get(reverse("accounts:profile")).status_code == 302


def test_an_admin_can_require_two_factor_and_pages_wait_for_the_set_up(responder):
    responder.totp_required = True
    responder.save()
    client = Client()
    _sign_in(client, "responder@example.com", "pw-for-tests-123")
    assert client.get(reverse("incidents:dashboard"))["Location"] == reverse("accounts:two_factor")
    _enable_totp(client)
    assert client.get(reverse("incidents:dashboard")).status_code == 200
    refused = client.post(reverse("accounts:two_factor_disable"), {"code": "000000"})
    assert refused.status_code == 400
    responder.refresh_from_db()
    assert responder.totp_enabled


# --- Sessions -------------------------------------------------------------------------------------------------


def test_the_profile_lists_sessions_and_ends_another_one(responder):
    laptop, phone = Client(HTTP_USER_AGENT="Laptop Firefox"), Client(HTTP_USER_AGENT="Phone Safari")
    _sign_in(laptop, "responder@example.com", "pw-for-tests-123")
    _sign_in(phone, "responder@example.com", "pw-for-tests-123")
    page = laptop.get(reverse("accounts:profile")).content.decode()
    assert "Laptop Firefox" in page
    assert "Phone Safari" in page
    phone_session = UserSession.objects.get(user_agent="Phone Safari")
    assert laptop.post(reverse("accounts:session_end", args=[phone_session.pk])).status_code == 302
    assert phone.get(reverse("accounts:profile")).status_code == 302  # signed out
    assert laptop.get(reverse("accounts:profile")).status_code == 200
    assert "Phone Safari" not in laptop.get(reverse("accounts:profile")).content.decode()


def test_nobody_ends_someone_elses_session(responder, viewer):
    other = Client()
    _sign_in(other, "viewer@example.com", "pw-for-tests-123")
    mine = Client()
    _sign_in(mine, "responder@example.com", "pw-for-tests-123")
    theirs = UserSession.objects.get(user=viewer)
    assert mine.post(reverse("accounts:session_end", args=[theirs.pk])).status_code == 404
    assert other.get(reverse("accounts:profile")).status_code == 200


def test_turning_two_factor_off_needs_a_right_code(responder):
    client = Client()
    _sign_in(client, "responder@example.com", "pw-for-tests-123")
    _enable_totp(client)
    assert client.post(reverse("accounts:two_factor_disable"), {"code": "000000"}).status_code == 400
    assert client.post(reverse("accounts:two_factor"), {"code": "000000"}).status_code == 400
    responder.refresh_from_db()
    assert responder.totp_enabled


def test_an_admin_turning_their_own_two_factor_off_needs_a_right_code(admin_user):
    client = Client()
    _sign_in(client, "admin@example.com", "pw-for-tests-123")
    secret = _enable_totp(client)
    assert client.post(reverse("accounts:two_factor_disable"), {"code": "000000"}).status_code == 400
    admin_user.refresh_from_db()
    assert admin_user.totp_enabled
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):
        code = pyotp.TOTP(secret).now()
        assert client.post(reverse("accounts:two_factor_disable"), {"code": code}).status_code == 302
    admin_user.refresh_from_db()
    assert not admin_user.totp_enabled


def test_inviting_again_replaces_the_open_invitation_and_joining_closes_the_others(
    client_for, lead, team, django_capture_on_commit_callbacks
):
    other_team = MembershipFactory(user=lead, role=Membership.Role.LEAD).team
    with django_capture_on_commit_callbacks(execute=True):
        for email in ("new.person@example.com", "New.Person@Example.com", "NEW.PERSON@EXAMPLE.COM"):
            client_for(lead).post(
                reverse("accounts:invitations"), {"email": email, "team": team.pk, "role": "viewer"}
            )
        client_for(lead).post(
            reverse("accounts:invitations"),
            {"email": "new.person@example.com", "team": other_team.pk, "role": "viewer"},
        )
    open_teams = sorted(i.team_id for i in Invitation.objects.all() if i.is_open)
    assert open_teams == sorted([team.pk, other_team.pk])
    assert Client().get(_link(mail.outbox[0].body)).status_code == 404  # replaced
    joined = Client().post(_link(mail.outbox[2].body), {"display_name": "New Person", "password1": "long-enough-pass-9",
                                                        "password2": "long-enough-pass-9", "time_zone": "UTC"})  # fmt: skip
    assert joined.status_code == 302
    assert not [i for i in Invitation.objects.all() if i.is_open]
