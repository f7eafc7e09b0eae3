"""API helpers: clients signed in by session or by token, for the conftest personas."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from accounts.tokens import api_token_create


@pytest.fixture
def api_for() -> Callable[..., APIClient]:
    """`api_for(user)` gives an APIClient using a fresh read-write token of `user` (anonymous for None);
    `api_for(user, read_only=True)` a read-only token."""

    made = itertools.count(1)

    def make(user, *, read_only: bool = False) -> APIClient:
        client = APIClient()
        if user is not None:
            _, raw = api_token_create(actor=user, name=f"test-token-{next(made)}", read_only=read_only)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make
