"""Insights filter by an option of a custom select field and group response times by its options, within
the viewer's scope; the query count does not grow with the incidents."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.incident.services.custom_values import incident_custom_fields_set
from incidents.incident.services.types import custom_field_save
from incidents.models import CustomFieldKind, Visibility
from incidents.permissions.checks import SYSTEM
from tests.factories import CustomFieldFactory, IncidentFactory, IncidentTypeFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
QUERY = {"start": "2026-03-01", "custom_field": "security.vector"}


@pytest.fixture
def security():
    kind = IncidentTypeFactory(name="Security", slug="security")
    CustomFieldFactory(
        incident_type=kind,
        label="Vector",
        key="vector",
        kind=CustomFieldKind.SELECT,
        options=["Phishing", "Leak"],
    )
    return kind


def _incident(security, i, vector, **extra):
    incident = IncidentFactory(
        incident_type=security,
        started_at=START + dt.timedelta(days=i),
        detected_at=START + dt.timedelta(days=i, minutes=10 * (i + 1)),
        resolved_at=START + dt.timedelta(days=i, hours=1),
        **extra,
    )
    if vector:
        incident_custom_fields_set(incident=incident, actor=SYSTEM, values={"vector": vector})
    return incident


def _csv(client, figure, params):
    response = client.get(reverse("incidents:insights_csv", args=[figure]), params)
    assert response.status_code == 200, response.content[:300]
    return list(csv.reader(io.StringIO(response.getvalue().decode())))


def _detect_rows(rows):
    """Option -> incidents measured for time to detect."""
    return {r[0]: int(r[2]) for r in rows[1:] if r[1] == "Time to detect"}


def test_response_times_are_grouped_by_the_fields_options(client_for, viewer, security):
    _incident(security, 0, "Phishing")
    _incident(security, 1, "Phishing")
    _incident(security, 2, "Leak")
    _incident(security, 3, None)
    IncidentFactory(started_at=START)  # no type: not counted
    rows = _csv(client_for(viewer), "durations-custom-field", QUERY)
    assert rows[0][0] == "Vector"
    assert _detect_rows(rows) == {"Phishing": 2, "Leak": 1, "(none)": 1}
    page = client_for(viewer).get(reverse("incidents:insights"), QUERY).content.decode()
    assert "Response times by Vector (Security incidents)" in page
    assert '<option value="security.vector" selected>Security: Vector</option>' in page


def test_a_field_value_filters_every_figure(client_for, viewer, security):
    _incident(security, 0, "Phishing")
    _incident(security, 1, "Leak")
    client = client_for(viewer)
    rows = _csv(client, "incidents", {**QUERY, "custom_value": "phishing"})
    assert sum(int(r[-1]) for r in rows[1:]) == 1
    assert _detect_rows(_csv(client, "durations-custom-field", {**QUERY, "custom_value": "leak"})) == {
        "Leak": 1
    }


def test_a_value_that_is_no_option_or_without_a_field_is_a_form_error(client_for, viewer, security):
    client = client_for(viewer)
    response = client.get(reverse("incidents:insights"), {**QUERY, "custom_value": "Smishing"})
    assert response.status_code == 400
    assert "Choose one of: Phishing, Leak." in response.content.decode()
    response = client.get(reverse("incidents:insights"), {"custom_value": "Leak"})
    assert response.status_code == 400
    assert "Choose the field this value is an option of." in response.content.decode()


def test_restricted_incidents_outside_the_viewer_are_not_counted(client_for, viewer, commander, security):
    _incident(security, 0, "Phishing")
    hidden = _incident(security, 1, "Phishing", visibility=Visibility.RESTRICTED, commander=commander)
    hidden.participants.add(commander)
    assert _detect_rows(_csv(client_for(viewer), "durations-custom-field", QUERY)) == {"Phishing": 1}
    assert _detect_rows(_csv(client_for(commander), "durations-custom-field", QUERY)) == {"Phishing": 2}


def test_a_renamed_option_is_grouped_under_its_new_name(client_for, viewer, admin_user, security):
    _incident(security, 0, "Phishing")
    client = client_for(viewer)
    assert _detect_rows(_csv(client, "durations-custom-field", QUERY)) == {"Phishing": 1}
    field = security.fields.get()
    custom_field_save(
        actor=admin_user, incident_type=security, field=field, label="Vector", key="vector",
        kind=CustomFieldKind.SELECT, options="Social engineering\nLeak",
    )  # fmt: skip
    assert _detect_rows(_csv(client, "durations-custom-field", QUERY)) == {"Social engineering": 1}
    page = client.get(reverse("incidents:insights"), QUERY).content.decode()
    assert "Social engineering" in page


def test_the_grouped_page_takes_the_same_queries_for_one_incident_as_for_twelve(client_for, viewer, security):
    client = client_for(viewer)
    _incident(security, 0, "Phishing")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("incidents:insights"), {**QUERY, "custom_value": ""}).status_code == 200
        return len(ctx.captured_queries)

    one = count()
    for i in range(1, 12):
        _incident(security, i, ["Phishing", "Leak", None][i % 3])
    assert count() == one
