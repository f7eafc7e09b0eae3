"""Every field of the API's write serializers that takes a person is a `PersonField`: a whole-number id,
and one message for an id that names nobody and for a person the caller may not pick (issue 18: the
roles endpoint said `Invalid pk "100"` for a made-up id and "Choose an active person" for a real one)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from rest_framework import serializers

import incidents
from accounts.models import User
from incidents.api.fields import PersonField


def _write_serializers() -> list[type[serializers.Serializer]]:
    for module in pkgutil.walk_packages(incidents.__path__, "incidents."):
        if module.name.endswith(("serializers", "api")) or ".api." in module.name:
            importlib.import_module(module.name)
    found: list[type[serializers.Serializer]] = []
    stack: list[Any] = [serializers.Serializer]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("incidents."):
                found.append(sub)
    return found


def _person_fields(serializer_class: type[serializers.Serializer]):
    try:
        fields = serializer_class().fields
    except Exception:  # a serializer that needs arguments to build is not a write form
        return
    for name, field in fields.items():
        target = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
        if getattr(target, "read_only", False):
            continue
        queryset = getattr(target, "queryset", None)
        if queryset is not None and queryset.model is User:
            yield name, target


def test_every_person_field_of_a_write_serializer_is_a_person_field():
    checked = []
    for cls in _write_serializers():
        for name, field in _person_fields(cls):
            checked.append(f"{cls.__name__}.{name}")
            assert isinstance(field, PersonField), (
                f"{cls.__module__}.{cls.__name__}.{name} is not a PersonField"
            )
    # Never vacuous: the roles, participants, action-item and finding serializers are walked.
    assert {"RolesSerializer.scribe", "ParticipantSerializer.user", "ActionItemWriteSerializer.owner"} <= set(
        checked
    )
