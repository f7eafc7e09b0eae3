"""Renaming a select option keeps what incidents hold: they hold the new name, shown everywhere."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.incident.custom_values import option_renames
from incidents.incident.services.custom_values import incident_custom_fields_set
from incidents.incident.services.types import custom_field_save
from incidents.models import CustomFieldKind, CustomFieldValue
from incidents.permissions.checks import SYSTEM
from tests.factories import CustomFieldFactory, IncidentFactory, IncidentTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def region():
    kind = IncidentTypeFactory(name="Outage", slug="outage")
    return CustomFieldFactory(
        incident_type=kind,
        label="Region",
        key="region",
        kind=CustomFieldKind.SELECT,
        options=["eu-west", "us-east"],
    )


@pytest.mark.parametrize(
    ("old", "new", "renamed"),
    [
        (["a", "b"], ["a", "B"], {"b": "B"}),  # letter case
        (["a", "b"], ["a", "bee"], {"b": "bee"}),  # edited on its line
        (["a", "b"], ["a", "bee", "c"], {"b": "bee"}),  # edited, and one added
        (["a", "b"], ["a"], {}),  # removed
        (["a", "b"], ["b", "a"], {}),  # moved
        (["a", "b"], ["a", "b", "c"], {}),  # added
    ],
)
def test_an_option_edited_on_its_line_is_a_rename(old, new, renamed):
    assert option_renames(old, new) == renamed


def test_renaming_an_option_renames_what_incidents_hold(client_for, admin_user, commander, region):
    incident = IncidentFactory(
        commander=commander, incident_type=region.incident_type, title="Frankfurt down"
    )
    incident_custom_fields_set(incident=incident, actor=SYSTEM, values={"region": "eu-west"})
    response = client_for(admin_user).post(
        reverse("incidents:custom_field_edit", args=["outage", region.pk]),
        {"label": "Region", "key": "region", "kind": "select", "options": "Europe (west)\nus-east"},
    )
    assert response.status_code == 302
    assert list(CustomFieldValue.objects.values_list("text", flat=True)) == ["Europe (west)"]
    client = client_for(commander)
    assert "Europe (west)" in client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    listed = client.get(reverse("incidents:list"), {"incident_type": "outage", "cf_region": "Europe (west)"})
    assert "Frankfurt down" in listed.content.decode()


def test_renaming_a_multi_select_option_keeps_the_others(admin_user, commander):
    kind = IncidentTypeFactory(name="Data", slug="data")
    field = CustomFieldFactory(
        incident_type=kind,
        label="Stores",
        key="stores",
        kind=CustomFieldKind.MULTI_SELECT,
        options=["pg", "s3"],
    )
    incident = IncidentFactory(commander=commander, incident_type=kind)
    incident_custom_fields_set(incident=incident, actor=SYSTEM, values={"stores": ["pg", "s3"]})
    custom_field_save(
        actor=admin_user, incident_type=kind, field=field, label="Stores", key="stores",
        kind=CustomFieldKind.MULTI_SELECT, options="PostgreSQL\ns3",
    )  # fmt: skip
    assert sorted(CustomFieldValue.objects.values_list("text", flat=True)) == ["PostgreSQL", "s3"]
