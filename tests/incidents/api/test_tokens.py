"""API tokens: created on the profile page, shown once, stored hashed, read-only or read-write, revocable."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def create_on_profile(client_for, user, name: str, access: str) -> str:
    page = client_for(user).post("/accounts/profile/tokens/", {"name": name, "access": access})
    assert page.status_code == 200
    match = re.search(r'<code id="new-token">(hst_[^<]+)</code>', page.content.decode())
    assert match, "the new token is shown on the page"
    return match.group(1)


def test_token_is_shown_once_and_stored_hashed(client_for, responder):
    raw = create_on_profile(client_for, responder, "deploy-bot", "write")
    token = ApiToken.objects.get(user=responder)
    assert token.name == "deploy-bot"
    assert not token.read_only
    assert raw not in (token.key_hash, token.key_prefix)
    assert token.key_hash == ApiToken.hash_key(raw)
    profile = client_for(responder).get("/accounts/profile/").content.decode()
    assert "deploy-bot" in profile
    assert raw not in profile
    assert token.key_prefix in profile


def test_a_token_with_no_name_is_refused_with_a_message(client_for, responder):
    page = client_for(responder).post("/accounts/profile/tokens/", {"name": "", "access": "read"})
    assert page.status_code == 400
    assert not ApiToken.objects.exists()


def test_read_only_token_reads_but_cannot_write(client_for, responder, incident):
    client = bearer(create_on_profile(client_for, responder, "dashboard", "read"))
    assert client.get(f"/api/v1/incidents/{incident.number}/").status_code == 200
    response = client.post(
        "/api/v1/timeline-entries/", {"incident": incident.number, "body": "x"}, format="json"
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert not incident.timeline_entries.filter(body="x").exists()


def test_last_used_time_is_recorded(client_for, responder):
    raw = create_on_profile(client_for, responder, "cli", "read")
    assert ApiToken.objects.get().last_used_at is None
    bearer(raw).get("/api/v1/users/me/")
    assert ApiToken.objects.get().last_used_at is not None


def test_revoked_token_and_deactivated_user_get_401(client_for, responder, commander):
    raw = create_on_profile(client_for, responder, "cli", "write")
    token = ApiToken.objects.get(user=responder)
    client_for(responder).post(f"/accounts/profile/tokens/{token.pk}/revoke/")
    assert bearer(raw).get("/api/v1/users/me/").status_code == 401

    other = create_on_profile(client_for, commander, "cli", "write")
    commander.is_active = False
    commander.save()
    assert bearer(other).get("/api/v1/users/me/").status_code == 401


def test_someone_elses_token_cannot_be_revoked(client_for, responder, commander):
    create_on_profile(client_for, responder, "cli", "write")
    token = ApiToken.objects.get(user=responder)
    assert client_for(commander).post(f"/accounts/profile/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_garbage_and_unknown_tokens_get_401(db):
    assert bearer("hst_nope").get("/api/v1/users/me/").status_code == 401
    assert bearer("not-even-a-token").get("/api/v1/users/me/").status_code == 401
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer")
    assert client.get("/api/v1/users/me/").status_code == 401


def test_throttling_is_per_token(client_for, responder, settings):
    settings.HINDSIGHT_API_THROTTLE_RATE = "3/min"
    cache.clear()
    first = bearer(create_on_profile(client_for, responder, "a", "read"))
    second = bearer(create_on_profile(client_for, responder, "b", "read"))
    with time_machine.travel("2026-11-30 12:00:00+00:00", tick=False):
        codes = [first.get("/api/v1/users/me/").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert second.get("/api/v1/users/me/").status_code == 200
    cache.clear()
