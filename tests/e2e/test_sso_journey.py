"""Single sign-on end to end in a real browser against a real OpenID provider (npm `oidc-provider`).

The provider runs from `tests/integration/oidc/` (`npm install` there; `.ci/run` does it) with one client
and its development login form. The journey: sign in through the provider (authorization code with PKCE)
and land in the team the `groups` claim maps to; lose the team at the next sign-in once the provider drops
the group; a callback with a wrong `state` is refused; an expired ID token is refused.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from accounts.models import Membership, SecurityEvent, SsoGroupMapping, User
from tests.factories import TeamFactory

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "integration" / "oidc"
CLIENT_ID, CLIENT_SECRET = "hindsight-test", "hindsight-test-secret-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Provider:
    def __init__(self, port: int, process: subprocess.Popen) -> None:
        self.port, self.process = port, process
        self.issuer = f"http://127.0.0.1:{port}"

    def control(self, path: str, body: object = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        urllib.request.urlopen(
            urllib.request.Request(self.issuer + path, data=data, method="POST"), timeout=5
        )


@pytest.fixture
def oidc_provider(live_server, settings, tmp_path):
    node = shutil.which("node")
    if node is None or not (PROVIDER_DIR / "node_modules" / "oidc-provider").exists():
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("node or tests/integration/oidc/node_modules is missing (.ci/run runs npm ci there)")
        pytest.skip("run `npm ci` in tests/integration/oidc to test single sign-on")
    port = _free_port()
    users = {"ana": {"email": "ana@example.com", "name": "Ana Ops", "groups": ["sre", "hindsight-admins"]}}
    env = {
        **os.environ,
        "HS_OIDC_PORT": str(port),
        "HS_OIDC_CLIENT_ID": CLIENT_ID,
        "HS_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "HS_OIDC_REDIRECT_URI": f"{live_server.url}/oidc/callback/",
        "HS_OIDC_USERS": json.dumps(users),
    }
    log = (tmp_path / "provider.log").open("w")
    process = subprocess.Popen(
        [node, "provider.mjs"], cwd=PROVIDER_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    provider = Provider(port, process)
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"{provider.issuer}/.well-known/openid-configuration", timeout=1)
            break
        except OSError:
            assert process.poll() is None, (tmp_path / "provider.log").read_text()
            assert time.monotonic() < deadline, "oidc-provider did not start"
            time.sleep(0.2)
    settings.OIDC_ENABLED = True
    settings.OIDC_PROVIDER_NAME = "Test IdP"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{provider.issuer}/auth"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{provider.issuer}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{provider.issuer}/me"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{provider.issuer}/jwks"
    yield provider
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def _sso_sign_in(page, base: str, login: str = "ana") -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("link", name="Sign in with Test IdP").click()
    for _ in range(4):
        page.wait_for_load_state()
        if page.url.startswith(base):
            return
        if page.locator('input[name="login"]').count():
            page.fill('input[name="login"]', login)
            page.fill('input[name="password"]', "any password")
            page.locator('button[type="submit"]').first.click()
        else:
            page.locator('button[type="submit"]').first.click()
    page.wait_for_url(f"{base}/**")


@pytest.mark.console_errors_allowed(
    "the test identity provider's own sign-in page (oidc-provider's interaction page) asks for Google Fonts,"
    " which this machine cannot reach, and a favicon it does not have; Hindsight's pages stay checked",
    matching=r", on http://127\.0\.0\.1:\d+/interaction/",
)
def test_sso_sign_in_maps_groups_to_teams_and_refuses_bad_state_and_expired_tokens(
    oidc_provider, live_server, page, shot
):
    platform = TeamFactory(name="Platform", slug="platform")
    SsoGroupMapping.objects.create(group="sre", team=platform, role=Membership.Role.RESPONDER)
    SsoGroupMapping.objects.create(group="hindsight-admins", grants_admin=True)
    base = live_server.url

    _sso_sign_in(page, base)
    page.wait_for_url(f"{base}/")
    shot(page, "sso-signed-in")
    ana = User.objects.get(email="ana@example.com")
    assert ana.display_name == "Ana Ops"
    assert not ana.has_usable_password()
    assert ana.is_staff
    assert list(ana.memberships.values_list("team__slug", "role", "from_sso")) == [
        ("platform", "responder", True)
    ]

    # The provider drops Ana from both groups: at her next sign-in she loses the team and admin.
    oidc_provider.control(
        "/__test/users", {"ana": {"email": "ana@example.com", "name": "Ana Ops", "groups": []}}
    )
    page.get_by_role("button", name="Sign out").click()
    _sso_sign_in(page, base)
    page.wait_for_url(f"{base}/")
    ana.refresh_from_db()
    assert not ana.memberships.exists()
    assert not ana.is_staff

    # A callback whose state is not the one this browser was given is refused.
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{base}/oidc/callback/?code=forged-code&state=not-the-state")
    assert page.url == f"{base}/accounts/login/?sso=failed"
    assert page.goto(f"{base}/accounts/profile/").url.startswith(f"{base}/accounts/login/")

    # An ID token that has expired (the provider's clock two hours behind) is refused.
    oidc_provider.control("/__test/clock?offset=-7200")
    _sso_sign_in(page, base)
    page.wait_for_url(f"{base}/accounts/login/?sso=failed")
    assert "Single sign-on did not sign you in" in page.content()
    refusal = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SIGN_IN_FAILED, target="sso").get()
    assert "expired" in refusal.detail
    shot(page, "sso-expired-token-refused")
    assert page.goto(f"{base}/accounts/profile/").url.startswith(f"{base}/accounts/login/")
