"""Integrations and a client that posts as one; a team lead and a recording tracker server (the tracker
tests' set-up beside them: tracker_setup.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Membership
from incidents.integrations.services.configuration import alert_integration_create
from tests.factories import MembershipFactory, UserFactory
from tests.incidents.integrations import github_contract, jira_contract
from tests.recording_server import RecordingServer


class IntakeClient(APIClient):
    """An API client that knows the intake endpoint it posts to and the raw token it was given."""

    url: str = ""
    raw_token: str = ""


@pytest.fixture
def integration_for(admin_user, team) -> Callable[..., tuple[Any, IntakeClient]]:
    """`integration_for(kind, **settings)` → (integration, client posting with its token to its endpoint)."""

    def make(kind: str = "alertmanager", **extra: Any) -> tuple[Any, IntakeClient]:
        extra.setdefault("name", f"{kind}-{len(extra)}-{id(extra)}")
        integration, raw = alert_integration_create(actor=admin_user, kind=kind, team=team, **extra)
        client = IntakeClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        client.url = reverse(f"api:integration-{kind}")
        client.raw_token = raw
        return integration, client

    return make


def post(client: IntakeClient, payload: Any, **headers: Any) -> Any:
    body = payload if isinstance(payload, bytes | str) else json.dumps(payload)
    return client.post(client.url, data=body, content_type="application/json", **headers)


@pytest.fixture
def lead(team):
    """Lee Lead, a lead of `team` (who sets its tracker)."""
    user = UserFactory(email="lead@example.com", display_name="Lee Lead")
    MembershipFactory(user=user, team=team, role=Membership.Role.LEAD)
    return user


@pytest.fixture
def tracker_server(outbound_allowed):
    """A recording server on loopback standing in for a tracker's REST API (outbound requests allowed).
    Every GitHub request it received is checked against GitHub's published description when the test
    ends (github_contract.py), every Jira request against the shapes of Jira's (jira_contract.py): a
    request the tracker does not describe fails the test."""
    with RecordingServer() as server:
        outbound_allowed(server.url)
        yield server
    violations = github_contract.recorded_request_violations(server)
    assert not violations, "Requests GitHub's API description does not allow:\n" + "\n".join(violations)
    violations = jira_contract.contract_violations(server)
    assert not violations, "Requests Jira's API description does not allow:\n" + "\n".join(violations)
