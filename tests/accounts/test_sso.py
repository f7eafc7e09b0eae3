"""The groups-to-teams mapping of single sign-on, and switching local sign-in off."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, SsoGroupMapping
from accounts.sso import HindsightOIDCBackend, sso_memberships_sync
from tests.factories import MembershipFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams():
    platform, payments = (
        TeamFactory(name="Platform", slug="platform"),
        TeamFactory(name="Payments", slug="payments"),
    )
    SsoGroupMapping.objects.create(group="sre", team=platform, role="responder")
    SsoGroupMapping.objects.create(group="sre-leads", team=platform, role="lead")
    SsoGroupMapping.objects.create(group="pay", team=payments, role="viewer")
    SsoGroupMapping.objects.create(group="admins", grants_admin=True)
    return platform, payments


def _roles(user):
    return dict(user.memberships.values_list("team__slug", "role"))


def test_groups_give_teams_the_highest_role_and_admin(teams):
    user = UserFactory(email="ana@example.com")
    sso_memberships_sync(user=user, groups=["sre", "sre-leads", "pay", "admins", "unmapped"])
    assert _roles(user) == {"platform": "lead", "payments": "viewer"}
    assert user.is_staff


def test_a_group_dropped_by_the_provider_takes_its_team_away_but_not_a_hand_made_membership(teams):
    platform, payments = teams
    user = UserFactory(email="ana@example.com")
    MembershipFactory(user=user, team=payments, role=Membership.Role.RESPONDER)  # made by an admin
    sso_memberships_sync(user=user, groups=["sre", "admins"])
    sso_memberships_sync(user=user, groups=[])
    assert _roles(user) == {"payments": "responder"}
    assert not user.is_staff


def test_the_backend_creates_the_user_without_a_password_from_the_claims(teams, settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_OP_JWKS_ENDPOINT = "http://127.0.0.1:9/jwks"
    settings.OIDC_OP_TOKEN_ENDPOINT = settings.OIDC_OP_USER_ENDPOINT = "http://127.0.0.1:9/x"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "http://127.0.0.1:9/auth"
    backend = HindsightOIDCBackend()
    user = backend.create_user({"email": "Bo@Example.com", "name": "Bo", "groups": ["pay"]})
    assert user.email == "bo@example.com"
    assert not user.has_usable_password()
    assert _roles(user) == {"payments": "viewer"}
    assert list(backend.filter_users_by_claims({"email": "BO@example.com"})) == [user]
    assert not backend.verify_claims({"email": "bo@example.com", "email_verified": False})


def test_sso_pages_are_404_while_single_sign_on_is_off():
    assert Client().get(reverse("sso_start")).status_code == 404
    assert Client().get(reverse("sso_callback")).status_code == 404


def test_local_sign_in_can_be_switched_off(responder, settings):
    settings.LOCAL_SIGN_IN = False
    page = Client().get(reverse("accounts:login")).content.decode()
    assert 'name="password"' not in page
    refused = Client().post(
        reverse("accounts:login"), {"username": "responder@example.com", "password": "pw-for-tests-123"}
    )
    assert refused.status_code == 400
    assert Client().get(reverse("accounts:password_reset")).status_code == 404
