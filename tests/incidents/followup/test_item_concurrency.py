"""Three people save the same action item at once from the same version, on PostgreSQL with real threads:
one edit wins, the others get 409 with the current item, and nothing is overwritten in silence."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.tokens import api_token_create
from incidents.models import ActionItem
from tests.factories import ActionItemFactory


def _parallel_patch(path: str, bodies: list[dict[str, Any]], token: str) -> list[tuple[int, Any]]:
    """PATCH each body from its own thread, all released at once; (status, json) each."""
    barrier = threading.Barrier(len(bodies))
    results: list[tuple[int, Any] | None] = [None] * len(bodies)
    errors: list[BaseException] = []

    def patch(i: int) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait(timeout=30)
            response = client.patch(path, bodies[i], format="json")
            results[i] = (response.status_code, response.json())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=patch, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    return [r for r in results if r is not None]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rounds", range(5))
def test_parallel_edits_from_one_version_let_one_win_and_the_others_get_409(
    requires_postgres, responder, incident, rounds
):
    item = ActionItemFactory(incident=incident, title="Add a canary")
    _, token = api_token_create(actor=responder, name="race", read_only=False)
    bodies = [{"title": f"Edit {i}", "version": item.version} for i in range(3)]

    results = _parallel_patch(f"/api/v1/action-items/{item.pk}/", bodies, token)

    assert Counter(code for code, _ in results) == {200: 1, 409: 2}, results
    stored = ActionItem.objects.get(pk=item.pk)
    (winner,) = [body for code, body in results if code == 200]
    assert (stored.title, stored.version) == (winner["title"], item.version + 1)
    assert stored.history.count() == 2  # created, and the one edit that won
