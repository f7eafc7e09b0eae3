"""Permission before input, by construction: every unsafe API action has a write check, run first.

Every API view lists a check per unsafe action in `write_checks` (`incidents.api.checks`); the common base
`incidents.api.base.ApiView` runs it after authentication and the token scope and before the handler reads
or validates the body. This module walks the URL configuration (the router included) and fails for an
unsafe action without a check; shows that such an action is refused (403) and never runs; and sends an
empty body to every unsafe endpoint as a Platform viewer (who may change nothing): 403 on what they may
see, 404 on what they may not, never a 400 with field errors, which would tell them what to send.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate

from incidents.api.base import ApiView
from incidents.models import Incident
from tests.factories import IncidentFactory, UserFactory
from tests.security.test_api_token_scope import ENDPOINTS, _integration_view, _view_class
from tests.security.test_permission_matrix import ROUTES, World, build_url
from tests.security.test_permission_matrix import world as world  # noqa: F401  (the shared module fixture)

pytestmark = pytest.mark.django_db

ROUTE = {r.name: r for r in ROUTES}
PERSON_ENDPOINTS = [e for e in ENDPOINTS if not _integration_view(_view_class(e[2].callback))]


def _action(pattern: Any, method: str) -> str:
    actions = getattr(pattern.callback, "actions", None)
    return actions[method] if actions else method


def test_every_unsafe_action_of_every_api_view_has_a_write_check():
    missing = []
    for name, method, pattern in PERSON_ENDPOINTS:
        cls = _view_class(pattern.callback)
        if _action(pattern, method) not in getattr(cls, "write_checks", {}):
            missing.append(
                f"{name} {method.upper()}: {cls.__name__}.write_checks[{_action(pattern, method)!r}]"
            )
    assert missing == [], "Unsafe API actions without a write check (incidents/api/checks.py):\n" + "\n".join(
        missing
    )


def test_the_walk_covers_the_writes_of_every_area():
    names = {(n, m) for n, m, _ in PERSON_ENDPOINTS}
    assert {
        ("api:incident-status", "post"),
        ("api:incident-participant", "delete"),
        ("api:timeline-entry-list", "post"),
        ("api:contributing-factor-detail", "patch"),
        ("api:postmortem-approve", "post"),
        ("api:action-item-list", "post"),
        ("api:action-item-tracker", "post"),
        ("api:policy-finding-verify", "post"),
        ("api:webhook-detail", "delete"),
        ("api:change-list", "post"),
        ("api:alerts", "post"),
    } <= names


class _Unchecked(ApiView, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """An API view that forgot to declare the check of its `close` action."""

    queryset = Incident.objects.all()
    lookup_field = "number"
    write_checks: ClassVar[Mapping[str, Any]] = {}
    ran: list[str] = []

    @action(detail=True, methods=["post"])
    def close(self, request: Any, number: str | None = None) -> Response:
        self.ran.append("close")
        return Response({"closed": True})


def test_an_unsafe_action_without_a_check_is_refused_and_never_runs():
    admin = UserFactory(is_staff=True, is_superuser=True)
    incident = IncidentFactory()
    request = APIRequestFactory().post(f"/x/{incident.number}/close/", {}, format="json")
    force_authenticate(request, user=admin)
    response = _Unchecked.as_view({"post": "close"})(request, number=incident.number)
    assert response.status_code == 403
    assert "No permission check" in response.data["detail"]
    assert _Unchecked.ran == []


def test_a_method_the_view_does_not_answer_stays_405():
    admin = UserFactory(is_staff=True, is_superuser=True)
    incident = IncidentFactory()
    request = APIRequestFactory().delete(f"/x/{incident.number}/")
    force_authenticate(request, user=admin)
    response = _Unchecked.as_view({"get": "retrieve"})(request, number=incident.number)
    assert response.status_code == 405


def _post_empty(world: World, persona: str, method: str, url: str, body: str = "{}") -> tuple[int, Any]:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[persona]
    with transaction.atomic():
        response = getattr(client, method)(url, data=body, content_type="application/json")
        transaction.set_rollback(True)
    return response.status_code, response.content.decode(errors="replace")


@pytest.mark.parametrize(
    ("name", "method"),
    [(n, m) for n, m, _ in PERSON_ENDPOINTS],
    ids=[f"{n} {m}" for n, m, _ in PERSON_ENDPOINTS],
)
@pytest.mark.parametrize("variant", ["internal", "restricted"])
def test_a_viewer_sending_an_empty_body_is_refused_before_any_field_error(
    world: World, name, method, variant
):
    route = ROUTE[name]
    url = build_url(route, world, variant)
    status, body = _post_empty(world, "viewer", method, url)
    # Webhooks and services are not about an incident: the restricted one hides nothing there.
    about_incident = any(p for p in route.params if p != "format") and not any(
        kind in name for kind in ("webhook", "service-detail")
    )
    expected = 404 if about_incident and variant == "restricted" else 403
    assert status == expected, f"{method.upper()} {url} as a viewer, empty body: {status} {body[:300]}"


@pytest.mark.parametrize(
    "path", ["/api/v1/timeline-entries/", "/api/v1/contributing-factors/", "/api/v1/action-items/"]
)
@pytest.mark.parametrize(
    "body",
    [
        '{"incident": "{n}"}',
        '{"incident": "{n}", "body": 7, "category": "nope"}',
        "not json",
        '{"incident": 987654}',
    ],
)
def test_a_create_naming_its_incident_asks_permission_on_it_before_validating(world: World, path, body):
    number = world.objects["internal"]["incident"].number
    status, text = _post_empty(world, "viewer", "post", path, body.replace("{n}", str(number)))
    assert status == 403, f"POST {path} {body} as a viewer: {status} {text[:300]}"


@pytest.mark.parametrize(
    "path", ["/api/v1/timeline-entries/", "/api/v1/contributing-factors/", "/api/v1/action-items/"]
)
def test_an_unknown_incident_answers_as_a_hidden_one(world: World, path):
    hidden = world.objects["restricted"]["incident"].number
    answers = {
        number: _post_empty(world, "responder", "post", path, json.dumps({"incident": number}))
        for number in (hidden, 987654)
    }
    assert answers[hidden] == answers[987654]
    assert answers[hidden][0] == 400
