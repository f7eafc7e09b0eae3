"""Integrations and a client that posts as one."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from incidents.integrations.services import alert_integration_create


@pytest.fixture
def integration_for(admin_user, team) -> Callable[..., tuple[Any, APIClient]]:
    """`integration_for(kind, **settings)` → (integration, client posting with its token to its endpoint)."""

    def make(kind: str = "alertmanager", **extra: Any) -> tuple[Any, APIClient]:
        extra.setdefault("name", f"{kind}-{len(extra)}-{id(extra)}")
        integration, raw = alert_integration_create(actor=admin_user, kind=kind, team=team, **extra)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        client.url = reverse(f"api:integration-{kind}")  # type: ignore[attr-defined]
        client.raw_token = raw  # type: ignore[attr-defined]
        return integration, client

    return make


def post(client: APIClient, payload: Any, **headers: str) -> Any:
    body = payload if isinstance(payload, bytes | str) else json.dumps(payload)
    return client.post(client.url, data=body, content_type="application/json", **headers)  # type: ignore[attr-defined]
