"""Custom fields of an incident type: asked when declaring, validated (form errors, API 400 per field), shown
and edited on the incident page, filterable on the list and the API, typed in the API, and never seen by
someone who cannot see the incident."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.incident.services.custom_values import incident_custom_fields_set
from incidents.models import CustomFieldKind, CustomFieldValue, Incident, Severity, Visibility
from incidents.permissions.checks import SYSTEM
from incidents.review.exports import export_json, export_markdown
from incidents.review.services.postmortems import postmortem_start
from tests.factories import CustomFieldFactory, IncidentFactory, IncidentTypeFactory

pytestmark = pytest.mark.django_db

K = CustomFieldKind


@pytest.fixture
def security():
    kind = IncidentTypeFactory(name="Security", slug="security", default_severity=Severity.SEV2)
    CustomFieldFactory(incident_type=kind, label="Customer ticket", key="ticket", kind=K.TEXT, required=True)
    CustomFieldFactory(incident_type=kind, label="Records exposed", key="records", kind=K.NUMBER, position=1)
    CustomFieldFactory(
        incident_type=kind,
        label="Vector",
        key="vector",
        kind=K.SELECT,
        options=["Phishing", "Leak"],
        position=2,
    )
    CustomFieldFactory(
        incident_type=kind,
        label="Regions",
        key="regions",
        kind=K.MULTI_SELECT,
        options=["EU", "US"],
        position=3,
    )
    CustomFieldFactory(incident_type=kind, label="Handler", key="handler", kind=K.USER, position=4)
    CustomFieldFactory(incident_type=kind, label="Report", key="report", kind=K.LINK, position=5)
    CustomFieldFactory(incident_type=kind, label="Disclosed on", key="disclosed", kind=K.DATE, position=6)
    return kind


def _typed(security, commander, **extra):
    incident = IncidentFactory(commander=commander, incident_type=security, **extra)
    incident.participants.add(commander)
    return incident


def test_the_declare_form_asks_the_types_fields_and_stores_them(client_for, responder, security):
    client = client_for(responder)
    form = client.get(reverse("incidents:declare"), {"incident_type": security.pk}).content.decode()
    assert 'name="cf_ticket"' in form
    assert 'name="cf_regions"' in form
    response = client.post(
        reverse("incidents:declare"),
        {
            "title": "Phished admin", "incident_type": security.pk, "cf_ticket": "ZD-7",
            "cf_records": "1200", "cf_vector": "Phishing", "cf_regions": ["EU", "US"],
            "cf_handler": str(responder.pk), "cf_report": "https://wiki.example.com/r/7",
            "cf_disclosed": "2026-11-30",
        },
    )  # fmt: skip
    assert response.status_code == 302
    incident = Incident.objects.get()
    page = client.get(reverse("incidents:detail", args=[incident.number])).content.decode()
    for shown in ("ZD-7", "1200", "Phishing", "EU, US", "Rory Responder", "2026-11-30"):
        assert shown in page
    assert 'href="https://wiki.example.com/r/7"' in page


def test_bad_values_are_form_errors_beside_each_field(client_for, responder, security):
    response = client_for(responder).post(
        reverse("incidents:declare"),
        {
            "title": "x", "incident_type": security.pk, "cf_records": "many", "cf_vector": "Smoke",
            "cf_report": "javascript:alert(1)", "cf_disclosed": "30/11/2026",
        },
    )  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 200
    assert not Incident.objects.exists()
    for message in (
        "Customer ticket is required for Security incidents.",
        "Enter a number, e.g. 42 or 3.5.",
        "Choose one of: Phishing, Leak.",
        "Enter a valid URL.",
        "Enter a date as YYYY-MM-DD.",
    ):
        assert message in body


def test_the_api_declares_with_typed_values_and_answers_them_typed(api_for, responder, security):
    api = api_for(responder)
    response = api.post(
        "/api/v1/incidents/",
        {
            "title": "Key leak", "incident_type": "security",
            "custom_fields": {"ticket": "ZD-9", "records": 12.5, "regions": ["US"], "handler": responder.pk,
                              "disclosed": "2026-11-29"},
        },
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    values = {f["key"]: f["value"] for f in response.json()["custom_fields"]}
    assert values == {
        "ticket": "ZD-9", "records": 12.5, "vector": None, "regions": ["US"],
        "handler": {"id": responder.pk, "email": "responder@example.com", "display_name": "Rory Responder"},
        "report": None, "disclosed": "2026-11-29",
    }  # fmt: skip


def test_the_api_answers_bad_values_400_keyed_by_field(api_for, responder, security):
    response = api_for(responder).post(
        "/api/v1/incidents/",
        {
            "title": "x",
            "incident_type": "security",
            "custom_fields": {"records": "1e400", "nope": 1, "regions": "EU"},
        },
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["custom_fields"]
    assert set(errors) == {"ticket", "records", "nope", "regions"}
    assert errors["regions"] == ["Send a list of options."]
    assert not Incident.objects.exists()


def test_editing_values_writes_one_timeline_entry_and_a_stale_form_is_refused(
    client_for, commander, security
):
    incident = _typed(security, commander)
    client = client_for(commander)
    url = reverse("incidents:custom_fields", args=[incident.number])
    assert client.get(url).status_code == 200
    response = client.post(url, {"version": incident.version, "cf_ticket": "ZD-1", "cf_vector": "Leak"})
    assert response.status_code == 302
    entry = incident.timeline_entries.get(body__startswith="Custom fields edited")
    assert "Customer ticket set to ZD-1" in entry.body
    assert "Vector set to Leak" in entry.body
    stale = client.post(url, {"version": incident.version, "cf_ticket": "ZD-2"})
    assert stale.status_code == 409
    assert "ZD-1" in stale.content.decode()
    incident.refresh_from_db()
    assert incident.version == 2


def test_a_viewer_cannot_edit_values(client_for, viewer, commander, security):
    incident = _typed(security, commander)
    response = client_for(viewer).post(
        reverse("incidents:custom_fields", args=[incident.number]), {"version": 1, "cf_ticket": "x"}
    )
    assert response.status_code == 403
    assert not CustomFieldValue.objects.exists()


def test_the_api_sets_values_and_refuses_a_stale_version(api_for, commander, security):
    incident = _typed(security, commander)
    api = api_for(commander)
    url = f"/api/v1/incidents/{incident.number}/custom-fields/"
    ok = api.post(url, {"values": {"records": 3, "ticket": "ZD-3"}, "version": 1}, format="json")
    assert ok.status_code == 200, ok.json()
    assert {f["key"]: f["value"] for f in ok.json()["custom_fields"]}["records"] == 3
    assert api.post(url, {"values": {"records": 4}, "version": 1}, format="json").status_code == 409
    bad = api.post(url, {"values": {"disclosed": "1960-01-01"}}, format="json")
    assert bad.status_code == 400
    assert "disclosed" in bad.json()["custom_fields"]


def test_the_list_and_the_api_filter_by_a_custom_field(client_for, api_for, commander, security):
    eu = _typed(security, commander, title="EU leak")
    us = _typed(security, commander, title="US leak")
    incident_custom_fields_set(incident=eu, actor=SYSTEM, values={"regions": ["EU"], "ticket": "ZD-100"})
    incident_custom_fields_set(incident=us, actor=SYSTEM, values={"regions": ["US"], "ticket": "ZD-200"})
    page = client_for(commander).get(
        reverse("incidents:list"), {"incident_type": "security", "cf_regions": "EU"}
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert "EU leak" in body
    assert "US leak" not in body
    api = api_for(commander)
    listed = api.get("/api/v1/incidents/", {"custom_field": "ticket:zd-2"}).json()["results"]
    assert [r["title"] for r in listed] == ["US leak"]
    assert api.get("/api/v1/incidents/", {"custom_field": "records:lots"}).status_code == 400
    searched = api.get("/api/v1/incidents/", {"search": "ZD-100"}).json()["results"]
    assert [r["title"] for r in searched] == ["EU leak"]


def test_values_of_a_restricted_incident_reach_nobody_outside_it(
    client_for, api_for, responder, commander, security
):
    hidden = _typed(security, commander, title="Quiet one", visibility=Visibility.RESTRICTED)
    incident_custom_fields_set(incident=hidden, actor=SYSTEM, values={"ticket": "SECRET-42"})
    api = api_for(responder)
    assert api.get("/api/v1/incidents/", {"custom_field": "ticket:SECRET"}).json()["results"] == []
    assert api.get("/api/v1/incidents/", {"search": "SECRET-42"}).json()["results"] == []
    page = client_for(responder).get(
        reverse("incidents:list"), {"incident_type": "security", "cf_ticket": "SECRET"}
    )
    assert "Quiet one" not in page.content.decode()
    assert (
        client_for(responder).get(reverse("incidents:custom_fields", args=[hidden.number])).status_code == 404
    )


def test_a_person_field_takes_only_people_the_writer_may_pick(
    api_for, responder, commander, security, outsider
):
    incident = _typed(security, commander)
    response = api_for(commander).post(
        f"/api/v1/incidents/{incident.number}/custom-fields/",
        {"values": {"handler": outsider.pk}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["custom_fields"]["handler"] == [
        "Choose an active person from your teams or from this incident."
    ]


@pytest.mark.parametrize("rows", [1, 12])
def test_the_list_and_the_incident_page_do_not_query_per_custom_value(
    client_for, api_for, commander, security, rows, django_assert_max_num_queries
):
    """Measured: 12 queries for the list, 8 for the API list, 12 for the CSV, 18 for the incident page
    (its "Declared" milestone, its process checklist reads the rule and the postmortem, its tasks card the tasks and the owners
    to pick, its stakeholder updates card the updates), with 1 incident as with 12 (each with a text, a multi select and a person)."""
    for n in range(rows):
        incident = _typed(security, commander, title=f"Leak {n}")
        incident_custom_fields_set(
            incident=incident,
            actor=SYSTEM,
            values={
                "ticket": f"ZD-{n}",
                "regions": ["EU", "US"],
                "handler": commander.pk,
                "disclosed": "2026-01-02",
            },
        )
    client = client_for(commander)
    api = api_for(commander)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("incidents:list"), {"incident_type": "security"}).status_code == 200
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/v1/incidents/").json()["results"]) == rows
    # The rows' types and count first; then per 1,000 rows: the rows, services, custom values (3).
    with django_assert_max_num_queries(14):
        assert b"".join(client.get(reverse("incidents:export_csv")).streaming_content).count(b"ZD-") == rows
    with django_assert_max_num_queries(19):
        assert client.get(reverse("incidents:detail", args=[incident.number])).status_code == 200


def test_the_csv_json_and_markdown_exports_carry_the_values(client_for, commander, security):
    incident = _typed(security, commander, title="Leak")
    incident_custom_fields_set(
        incident=incident, actor=SYSTEM, values={"ticket": "ZD-5", "regions": ["US", "EU"], "records": 7}
    )
    client = client_for(commander)
    rows = list(
        csv.reader(
            io.StringIO(b"".join(client.get(reverse("incidents:export_csv")).streaming_content).decode())
        )
    )
    header, row = rows[0], rows[1]
    cells = dict(zip(header, row, strict=True))
    assert (cells["type"], cells["Security: Customer ticket"], cells["Security: Regions"]) == (
        "Security",
        "ZD-5",
        "EU, US",
    )
    assert cells["Security: Records exposed"] == "7"
    pm = postmortem_start(incident=incident, actor=commander)
    data = export_json(pm, viewer=commander)["incident"]
    assert data["incident_type"] == "security"
    assert {f["key"]: f["value"] for f in data["custom_fields"]}["regions"] == ["EU", "US"]
    markdown = export_markdown(pm, viewer=commander)
    assert "## Security fields" in markdown
    assert "| Customer ticket | ZD-5 |" in markdown


def test_a_type_change_of_a_field_with_values_is_refused(client_for, admin_user, commander, security):
    incident = _typed(security, commander)
    incident_custom_fields_set(incident=incident, actor=SYSTEM, values={"records": 5})
    field = security.fields.get(key="records")
    response = client_for(admin_user).post(
        reverse("incidents:custom_field_edit", args=["security", field.pk]),
        {"label": "Records exposed", "key": "records", "kind": "text"},
    )
    assert response.status_code == 400
    assert "its kind stays" in response.content.decode()


def test_an_admin_adds_a_select_field_on_the_types_page(client_for, admin_user, security):
    response = client_for(admin_user).post(
        reverse("incidents:incident_type_edit", args=["security"]),
        {"add_field": "1", "label": "Data class", "kind": "select", "options": "Public\nSecret\n"},
    )
    assert response.status_code == 302
    field = security.fields.get(key="data_class")
    assert field.options == ["Public", "Secret"]
    empty = client_for(admin_user).post(
        reverse("incidents:incident_type_edit", args=["security"]),
        {"add_field": "1", "label": "Empty", "kind": "multi_select", "options": ""},
    )
    assert empty.status_code == 400
    assert "at least one option" in empty.content.decode()


def test_dates_before_1970_are_refused(api_for, commander, security):
    incident = _typed(security, commander)
    response = api_for(commander).post(
        f"/api/v1/incidents/{incident.number}/custom-fields/",
        {"values": {"disclosed": dt.date(1969, 12, 31).isoformat()}},
        format="json",
    )
    assert response.json()["custom_fields"]["disclosed"] == [
        "Dates before 1970 are not accepted; check the year."
    ]


def test_the_incident_csv_streams_in_chunks_the_file_a_whole_list_gave(
    client_for, commander, security, monkeypatch
):
    from incidents.csv import csv_lines
    from incidents.incident import exports, selectors
    from incidents.incident.custom_values import field_values
    from incidents.models import CustomField, Service

    service = Service.objects.create(name="Payments", slug="payments")
    earlier = Service.objects.create(name="Auth", slug="z-auth")  # first by name, last by slug
    for n in range(7):
        extra = {"resolved_at": timezone.now() - dt.timedelta(minutes=n)} if n % 3 == 1 else {}
        incident = (
            _typed(security, commander, title=f"Leak {n}", **extra)
            if n % 2
            else IncidentFactory(title=f"Plain {n}", **extra)
        )
        if n % 3 == 0:
            incident.services.add(service, earlier)
        if n % 2:
            incident_custom_fields_set(
                incident=incident, actor=SYSTEM, values={"ticket": f"ZD-{n}", "regions": ["EU", "US"]}
            )
    IncidentFactory(title="Hidden", visibility=Visibility.RESTRICTED)  # not the commander's
    monkeypatch.setattr(exports, "CHUNK", 2)  # four chunks, each with its own prefetches
    body = b"".join(client_for(commander).get(reverse("incidents:export_csv")).streaming_content)

    columns = list(CustomField.objects.filter(incident_type=security).order_by("position", "id"))
    header = [*exports.INCIDENT_CSV_HEADER, *(f"Security: {f.label}" for f in columns)]
    rows = []  # as the export built them from the whole list of models, before it streamed
    for incident in selectors.incident_list_for(commander):
        values = {fv.field.pk: fv.text for fv in field_values(incident)}
        rows.append(
            [
                incident.reference, incident.title, incident.incident_type.name if incident.incident_type else "",
                incident.severity, incident.status, incident.visibility, incident.started_at, incident.detected_at,
                incident.resolved_at, incident.impact_duration, ", ".join(s.slug for s in incident.services.all()),
                incident.commander.email if incident.commander else "", *(values.get(f.pk, "") for f in columns),
            ]
        )  # fmt: skip
    assert body == b"".join(csv_lines(header, rows))
    assert b"Hidden" not in body
    assert body.count(b"ZD-") == 3
    assert body.count(b'"z-auth, payments"') == 3
