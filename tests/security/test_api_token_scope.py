"""Every unsafe method of every API endpoint refuses a read-only token (403) and an anonymous caller (401/403).

Generated from the URL configuration (the API router is included in it), so an endpoint that forgets is a
failing test. DRF checks permissions before it looks anything up, so the URL parameters need not name real
rows. The caller is an admin: nothing but the token's scope can be the reason for the refusal. Every API view
must also inherit `incidents.api.base.ApiView`, the base that gives it authentication and the token scope
(a view adds permission classes to them, never replaces them); alert intake takes integration tokens only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient
from rest_framework.views import APIView

from accounts.tokens import api_token_create
from incidents.api.auth import TokenScopePermission
from incidents.api.base import ApiView
from incidents.integrations.api import AlertIntakeView
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UNSAFE = ("post", "put", "patch", "delete")
# Views that are not a person's API: they take an integration's token, never a person's (each refuses one).
INTEGRATION_VIEWS = {AlertIntakeView: "alert intake authenticates integrations, not people"}


def _integration_view(cls: Any) -> bool:
    return any(issubclass(cls, view) for view in INTEGRATION_VIEWS)


def _api_routes(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
            yield from _api_routes(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern) and p.name and namespace == "api":
            yield f"{namespace}:{p.name}", p


def _view_class(callback: Any) -> type | None:
    return getattr(callback, "cls", None) or getattr(callback, "view_class", None)


def unsafe_endpoints() -> list[tuple[str, str, URLPattern]]:
    """(route name, method, pattern) for every unsafe method an API route answers."""
    found = []
    for name, pattern in _api_routes(get_resolver().url_patterns):
        cls = _view_class(pattern.callback)
        if cls is None or not issubclass(cls, APIView):
            continue
        actions = getattr(pattern.callback, "actions", None)
        methods = actions.keys() if actions else [m for m in UNSAFE if hasattr(cls, m)]
        found += [(name, method, pattern) for method in methods if method in UNSAFE]
    return sorted(found, key=lambda f: (f[0], f[1]))


ENDPOINTS = unsafe_endpoints()


def _url(name: str, pattern: URLPattern) -> str:
    kwargs = {}
    for param in pattern.pattern.regex.groupindex:
        kwargs[param] = (
            "json" if param == "format" else 1 if param in {"pk", "number"} or param.endswith("_id") else "x"
        )
    try:
        return reverse(name, kwargs=kwargs)
    except Exception:  # a slug-only parameter
        return reverse(name, kwargs={k: "x" if k != "format" else "json" for k in kwargs})


def test_the_walk_finds_the_writes_of_every_area():
    names = {(n, m) for n, m, _ in ENDPOINTS}
    for expected in [
        ("api:incident-list", "post"),
        ("api:incident-status", "post"),
        ("api:timeline-entry-list", "post"),
        ("api:postmortem-publish", "post"),
        ("api:action-item-list", "post"),
        ("api:policy-finding-accept-risk", "post"),
        ("api:change-list", "post"),
        ("api:webhook-list", "post"),
        ("api:webhook-detail", "delete"),
        ("api:alerts", "post"),
    ]:
        assert expected in names


@pytest.mark.parametrize(("name", "method", "pattern"), ENDPOINTS, ids=[f"{n} {m}" for n, m, _ in ENDPOINTS])
def test_a_read_only_token_and_an_anonymous_caller_are_refused(name, method, pattern):
    url = _url(name, pattern)
    admin = UserFactory(is_staff=True, is_superuser=True)
    _, raw = api_token_create(actor=admin, name="read-only", read_only=True)
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    refused = getattr(reader, method)(url, {}, format="json")
    assert refused.status_code == 403, f"{method.upper()} {url} with a read-only token: {refused.status_code}"
    if not _integration_view(_view_class(pattern.callback)):
        assert refused.json()["detail"] == TokenScopePermission.message
    anonymous = getattr(APIClient(), method)(url, {}, format="json")
    assert anonymous.status_code in (401, 403), f"{method.upper()} {url} anonymous: {anonymous.status_code}"


def test_every_api_view_inherits_the_one_base():
    wrong = []
    for name, pattern in _api_routes(get_resolver().url_patterns):
        cls = _view_class(pattern.callback)
        if cls is None or not issubclass(cls, APIView) or _integration_view(cls):
            continue
        if name in {"api:schema", "api:docs", "api:api-root"}:
            continue  # describe the API; hold no data
        if not issubclass(cls, ApiView):
            wrong.append(f"{name}: {cls.__module__}.{cls.__name__}")
    assert wrong == [], "API views that do not inherit incidents.api.base.ApiView:\n" + "\n".join(wrong)


def test_a_view_adds_permissions_and_keeps_the_base_ones():
    class Extra(ApiView, APIView):
        permission_classes = [TokenScopePermission]

    kinds = [type(p) for p in Extra().get_permissions()]
    assert kinds[: len(ApiView.base_permission_classes)] == list(ApiView.base_permission_classes)
