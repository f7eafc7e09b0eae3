"""Declarations and alerts arriving at once: unique incident numbers, one incident per key, and 200 (never a
4xx or 5xx) for every duplicate, on PostgreSQL with real threads. The drill does the same through gunicorn
(`benchmarks/drill.py declare`)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from rest_framework.test import APIClient

from accounts.tokens import api_token_create
from incidents.incident.services.declare import incident_declare, incident_declare_once
from incidents.models import Incident, IncidentCounter
from tests.factories import IncidentFactory


def _parallel(
    requests: list[tuple[str, dict[str, Any], dict[str, str]]], token: str
) -> list[tuple[int, Any]]:
    """POST every (path, body, headers) from its own thread, all released at once; (status, json) each."""
    barrier = threading.Barrier(len(requests))
    results: list[tuple[int, Any] | None] = [None] * len(requests)
    errors: list[BaseException] = []

    def post(i: int) -> None:
        path, body, headers = requests[i]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait(timeout=30)
            response = client.post(path, body, format="json", headers=headers)
            results[i] = (response.status_code, response.json())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_parallel_declarations_and_alerts_on_postgresql_all_succeed_with_unique_numbers(
    requires_postgres, responder
):
    _, token = api_token_create(actor=responder, name="storm", read_only=False)
    declarations: list[tuple[str, dict[str, Any], dict[str, str]]] = [
        ("/api/v1/incidents/", {"title": f"Declared {i}", "severity": "SEV3"},
         {"Idempotency-Key": f"decl-{i % 5}"} if i % 2 else {})
        for i in range(20)
    ]  # fmt: skip
    alerts: list[tuple[str, dict[str, Any], dict[str, str]]] = [
        (
            "/api/v1/alerts/",
            {"dedup_key": f"dup-{i // 2 % 4}" if i % 2 else f"alone-{i}", "title": f"Alert {i}"},
            {},
        )
        for i in range(20)
    ]

    results = _parallel(declarations + alerts, token)

    statuses = Counter(code for code, _ in results)
    # 10 plain declarations + 5 keys, 10 lone alerts + 4 keys: created once each; the rest are repeats.
    assert statuses == {201: 29, 200: 11}, [body for code, body in results if code not in (200, 201)]
    numbers = {body["number"] for _, body in results}
    assert len(numbers) == 29
    assert Incident.objects.count() == 29
    assert sorted(Incident.objects.values_list("number", flat=True)) == list(range(1, 30))
    by_key = {body["number"] for (_, b, h), (_, body) in zip(declarations + alerts, results, strict=True)
              if h.get("Idempotency-Key") == "decl-1" or b.get("dedup_key") == "dup-1"}  # fmt: skip
    assert len(by_key) == 2  # every duplicate answered with the one incident of its key


pytestmark = pytest.mark.django_db


def test_numbers_follow_the_highest_given_even_by_an_import(responder):
    IncidentFactory(number=41)
    assert incident_declare(actor=responder, title="Next", severity="SEV3").number == 42
    assert incident_declare(actor=responder, title="And next", severity="SEV3").number == 43
    assert IncidentCounter.objects.get(name="incident").value == 43


def test_a_declaration_that_fails_gives_its_number_back(responder):
    first = incident_declare(actor=responder, title="First", severity="SEV3")
    with pytest.raises(ValidationError, match="at most 200 characters"):
        incident_declare(actor=responder, title="x" * 201, severity="SEV3")  # refused after taking a number
    assert incident_declare(actor=responder, title="Second", severity="SEV3").number == first.number + 1


def test_a_repeated_key_returns_the_incident_and_takes_no_number(responder):
    first, created = incident_declare_once(actor=responder, title="Disk full", severity="SEV2", dedup_key="k")
    again, created_again = incident_declare_once(
        actor=responder, title="Other", severity="SEV1", dedup_key="k"
    )
    following = incident_declare(actor=responder, title="Next", severity="SEV3")
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert again.title == "Disk full"
    assert following.number == first.number + 1


def test_api_declaration_with_an_idempotency_key_is_declared_once_per_caller(api_for, responder, commander):
    body = {"title": "Checkout down", "severity": "SEV1"}
    mine = api_for(responder)
    first = mine.post("/api/v1/incidents/", body, format="json", headers={"Idempotency-Key": "abc"})
    again = mine.post("/api/v1/incidents/", body, format="json", headers={"Idempotency-Key": "abc"})
    theirs = api_for(commander).post(
        "/api/v1/incidents/", body, format="json", headers={"Idempotency-Key": "abc"}
    )
    plain = mine.post("/api/v1/incidents/", body, format="json")
    assert [r.status_code for r in (first, again, theirs, plain)] == [201, 200, 201, 201]
    assert first.json()["number"] == again.json()["number"]
    assert len({r.json()["number"] for r in (first, theirs, plain)}) == 3


def test_a_bad_idempotency_key_is_a_field_error(api_for, responder):
    response = api_for(responder).post(
        "/api/v1/incidents/", {"title": "x", "severity": "SEV3"}, format="json",
        headers={"Idempotency-Key": "k" * 101},
    )  # fmt: skip
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not Incident.objects.exists()
