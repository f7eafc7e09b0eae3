"""A session whose account must still set up two-factor sign-in does not reach the API (nor do its pages)."""

from __future__ import annotations

import re

import pyotp
import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authentication import SessionAuthentication as DrfSessionAuthentication

from incidents.api.auth import SessionAuthentication
from incidents.models import Incident

pytestmark = pytest.mark.django_db


def _signed_in_with_password_only(user) -> Client:
    user.totp_required = True
    user.save()
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("accounts:login"))
    response = client.post(
        reverse("accounts:login"),
        {
            "username": user.email,
            "password": "pw-for-tests-123",
            "csrfmiddlewaretoken": page.cookies["csrftoken"].value,
        },
    )
    assert response.status_code == 302
    return client


def test_a_session_pending_two_factor_set_up_gets_403_on_the_api(responder):
    client = _signed_in_with_password_only(responder)
    assert client.get(reverse("incidents:dashboard"))["Location"] == reverse("accounts:two_factor")
    listing = client.get("/api/v1/incidents/")
    assert listing.status_code == 403
    assert "two-factor" in listing.json()["detail"]
    declare = client.post("/api/v1/incidents/", {"title": "Checkout failing", "severity": "SEV2"},
                          content_type="application/json", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)  # fmt: skip
    assert declare.status_code == 403
    assert not Incident.objects.exists()
    # Once set up, the same session uses the API.
    page = client.get(reverse("accounts:two_factor")).content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    client.post(reverse("accounts:two_factor"), {"code": pyotp.TOTP(secret).now(),
                                                 "csrfmiddlewaretoken": client.cookies["csrftoken"].value})  # fmt: skip
    assert client.get("/api/v1/incidents/").status_code == 200


def _views(resolver: URLResolver | URLPattern, prefix: str = ""):
    if isinstance(resolver, URLResolver):
        for child in resolver.url_patterns:
            yield from _views(child, prefix + str(resolver.pattern))
    else:
        yield prefix + str(resolver.pattern), resolver.callback


def test_every_api_view_authenticates_sessions_through_the_one_class():
    """No endpoint can forget the two-factor rule: a plain DRF SessionAuthentication is nowhere."""
    checked = 0
    for route, callback in _views(get_resolver()):
        cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        classes = getattr(cls, "authentication_classes", None)
        if classes is None:
            continue
        checked += 1
        plain = [
            c
            for c in classes
            if issubclass(c, DrfSessionAuthentication) and not issubclass(c, SessionAuthentication)
        ]
        assert not plain, f"{route} authenticates sessions with {plain}"
    assert checked > 20
