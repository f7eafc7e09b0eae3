"""Edge inputs found by trying to break Hindsight: each gets a clear error, never a 500, never a duplicate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.models import Incident
from incidents.templatetags.hindsight import local_time
from incidents.timeparse import TimeParseError, parse_time

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(commander):
    client = APIClient()
    client.force_authenticate(commander)
    return client


def test_year_one_start_is_refused_by_the_api(api):
    response = api.post(
        "/api/v1/incidents/",
        {"title": "y1", "severity": "SEV4", "started_at": "0001-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert "1970" in str(response.json())
    assert not Incident.objects.filter(title="y1").exists()


def test_far_future_timeline_entry_is_refused(api, incident):
    response = api.post(
        "/api/v1/timeline-entries/",
        {"incident": incident.number, "body": "from the future", "occurred_at": "2099-01-01T00:00:00Z"},
        format="json",
    )
    assert response.status_code == 400
    assert "occurred_at" in response.json()


@pytest.mark.parametrize(
    "text", ["-1000000d", "-100000000h", "-99999999999m", "-9223372036854775808m", "1969-07-20 20:17"]
)
def test_absurd_times_are_a_parse_error_not_a_crash(text):
    with pytest.raises(TimeParseError):
        parse_time(text, zone=dt.UTC, now=timezone.now())


def test_a_stored_edge_time_renders_in_utc_west_of_utc_instead_of_crashing():
    edge = dt.datetime(1, 1, 1, 0, 10, tzinfo=dt.UTC)
    assert local_time(edge, tz=dt.timezone(dt.timedelta(hours=-8))).endswith("00:10 UTC")


def test_huge_integer_filter_is_a_clean_answer_not_a_500(api):
    response = api.get("/api/v1/action-items/?owner=99999999999999999999")
    # SQLite cannot even bind the number (400 "out of range"); PostgreSQL compares it and matches nothing.
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert response.json()["results"] == []
    else:
        assert "out of range" in str(response.json())


def test_deeply_nested_json_is_a_400(api):
    body = "[" * 100000 + "]" * 100000
    response = api.post("/api/v1/incidents/", body, content_type="application/json")
    assert response.status_code == 400


def test_double_submitted_declare_form_makes_one_incident(client_for, responder):
    client = client_for(responder)
    form = {"title": "Double click", "severity": "SEV3", "submission": "6f1d8a52-0f6e-4a55-9a9b-1f2a3b4c5d6e"}
    first = client.post(reverse("incidents:declare"), form)
    second = client.post(reverse("incidents:declare"), form)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Incident.objects.filter(title="Double click").count() == 1


# --- Found by the generated hostile-input test (tests/security/test_hostile_input.py) ------------------


def test_nul_in_a_search_is_refused_with_a_message(client_for, commander, api):
    page = client_for(commander).get("/search/", {"q": "disk\x00full"})
    assert page.status_code == 400
    assert "control character" in page.content.decode()
    response = api.get("/api/v1/incidents/", {"search": "disk\x00full"})
    assert response.status_code == 400
    assert "control character" in response.json()["detail"]


def test_a_100_kb_search_is_refused_not_a_failing_like_pattern(api):
    response = api.get("/api/v1/incidents/", {"search": "x" * 100_000})
    assert response.status_code == 400
    assert "longer than" in response.json()["detail"]


def test_a_control_character_in_a_form_field_is_refused(client_for, responder):
    response = client_for(responder).post(
        reverse("incidents:declare"), {"title": "Disk \x1b[31mfull", "severity": "SEV3"}
    )
    assert response.status_code == 400
    assert not Incident.objects.filter(title__startswith="Disk").exists()


def test_an_oversized_api_body_is_json_413(api):
    response = api.post(
        "/api/v1/incidents/", '{"title": "' + "x" * 3_000_000 + '"}', content_type="application/json"
    )
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "larger than" in response.json()["detail"]


def test_a_huge_service_id_in_the_declare_form_is_a_400_not_a_500(client_for, responder):
    response = client_for(responder).post(
        reverse("incidents:declare"),
        {"title": "Huge id", "severity": "SEV3", "services": "99999999999999999999999999"},
    )
    # SQLite cannot bind the number (400 "out of range"); PostgreSQL compares it and the form says no such choice.
    assert response.status_code in (200, 400)
    assert "out of range" in response.content.decode() or "valid choice" in response.content.decode()
    assert not Incident.objects.filter(title="Huge id").exists()


def test_year_9999_in_the_incident_list_filter_is_a_form_error(client_for, commander, incident):
    response = client_for(commander).get(reverse("incidents:list"), {"started_to": "9999-12-31"})
    assert response.status_code == 400
    assert "no later than" in response.content.decode()
    response = client_for(commander).get(reverse("incidents:list"), {"started_from": "0001-01-01"})
    assert response.status_code == 400
    assert "1970 or later" in response.content.decode()


def test_a_non_ascii_version_number_is_a_400(client_for, commander, incident):
    client = client_for(commander)
    client.post(reverse("incidents:postmortem_start", args=[incident.number]))
    response = client.get(reverse("incidents:postmortem_version", args=[incident.number]), {"n": "²"})
    assert response.status_code == 400


def test_a_non_ascii_service_id_in_the_similar_preview_is_ignored(client_for, commander):
    response = client_for(commander).get(
        reverse("incidents:similar_preview"), {"title": "database", "services": ["²", "٣"]}
    )
    assert response.status_code == 200


def test_a_huge_duration_in_the_postmortem_questions_is_a_form_error(client_for, commander, incident):
    client = client_for(commander)
    client.post(reverse("incidents:postmortem_start", args=[incident.number]))
    response = client.post(
        reverse("incidents:postmortem_questions", args=[incident.number]),
        {"unnoticed_minutes": "99999999999999999999999999"},
        follow=True,
    )
    assert response.status_code == 200
    assert "unnoticed_minutes: Ensure this value is less than or equal to" in response.content.decode()


def test_a_next_that_is_not_a_path_goes_back_to_the_reassign_page(client_for, admin_user):
    response = client_for(admin_user).post(reverse("incidents:bulk_reassign"), {"next": "-1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:reassign")


def test_a_deeply_nested_slack_export_is_an_import_problem_not_a_500(client_for, commander, incident):
    response = client_for(commander).post(
        reverse("incidents:timeline_import", args=[incident.number]),
        {"format": "slack", "content": "[" * 5000 + "]" * 5000, "zone": "UTC"},
    )
    assert response.status_code in (200, 400, 422)
    assert "nested too deeply" in response.content.decode()


def test_a_deeply_nested_postmortem_json_import_is_a_form_error(client_for, commander, incident):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(commander)
    client.post(reverse("incidents:postmortem_start", args=[incident.number]))
    upload = SimpleUploadedFile("postmortem.json", b'{"a":' * 3000 + b"1" + b"}" * 3000)
    response = client.post(
        reverse("incidents:postmortem_import", args=[incident.number]), {"file": upload, "version": "1"}
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.content.decode()
