"""The API is strict and stable about times: an input without an offset is refused naming its field, and
every output is UTC with `Z` whether the caller signed in with a token or a browser session."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from rest_framework import serializers

import incidents
from incidents.api.fields import UtcDateTimeField
from incidents.models import Incident

pytestmark = pytest.mark.django_db


def _all_serializer_classes() -> list[type[serializers.Serializer]]:
    for mod in pkgutil.walk_packages(incidents.__path__, "incidents."):
        if mod.name.rsplit(".", 1)[-1] in {"serializers", "api", "fields", "base"}:
            importlib.import_module(mod.name)
    found: list[type[serializers.Serializer]] = []
    todo: list[type[serializers.Serializer]] = [serializers.Serializer]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith(("incidents.", "accounts.")):
                found.append(sub)
    return found


def test_every_api_date_time_field_is_the_strict_utc_one():
    plain = []
    classes = _all_serializer_classes()
    assert len(classes) > 30  # the walk found the project's serializers
    for cls in classes:
        if issubclass(cls, serializers.ModelSerializer) and not hasattr(cls, "Meta"):
            continue  # an abstract base (ReadModelSerializer); its subclasses are checked
        for name, f in cls().fields.items():
            if isinstance(f, serializers.DateTimeField) and not isinstance(f, UtcDateTimeField):
                plain.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert plain == []


def test_a_time_without_an_offset_is_refused_naming_the_field(api_for, commander, incident):
    api = api_for(commander)
    response = api.post(
        "/api/v1/timeline-entries/",
        {"incident": incident.number, "body": "Failover", "occurred_at": "2026-07-12T13:55:00"},
        format="json",
    )
    assert response.status_code == 400
    assert "occurred_at" in response.json()
    assert "offset" in str(response.json()["occurred_at"])
    patch = api.patch(
        f"/api/v1/incidents/{incident.number}/", {"detected_at": "2026-07-12 13:55"}, format="json"
    )
    assert patch.status_code == 400
    assert list(patch.json()) == ["detected_at"] or "detected_at" in patch.json()


def test_the_since_filter_refuses_a_time_without_an_offset(api_for, commander, incident):
    response = api_for(commander).get(
        "/api/v1/timeline-entries/", {"incident": incident.number, "since": "2026-07-12T13:55:00"}
    )
    assert response.status_code == 400
    assert "since" in response.json()


def test_output_is_utc_with_z_for_a_token_and_for_a_session_alike(api_for, client_for, commander, incident):
    commander.time_zone = "Pacific/Auckland"
    commander.save()
    path = f"/api/v1/incidents/{incident.number}/"
    by_token = api_for(commander).get(path)
    by_session = client_for(commander).get(path)
    assert by_token.status_code == by_session.status_code == 200
    assert by_token.json()["started_at"].endswith("Z")
    assert by_session.json()["started_at"] == by_token.json()["started_at"]
    assert by_session["ETag"] == by_token["ETag"]
    # A `since` copied from a response is accepted as it is.
    since = by_session.json()["started_at"]
    listed = client_for(commander).get(
        "/api/v1/timeline-entries/", {"incident": incident.number, "since": since}
    )
    assert listed.status_code == 200
    assert Incident.objects.filter(pk=incident.pk).exists()
