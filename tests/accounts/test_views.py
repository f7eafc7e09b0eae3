from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def test_sign_in_with_email_and_sign_out(responder):
    client = Client()
    page = client.get(reverse("accounts:login"))
    assert page.status_code == 200
    response = client.post(
        reverse("accounts:login"), {"username": "Responder@Example.com", "password": "pw-for-tests-123"}
    )
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(responder.pk)
    client.post(reverse("accounts:logout"))
    assert SESSION_KEY not in client.session


def test_a_wrong_password_is_a_form_error(responder):
    response = Client().post(reverse("accounts:login"), {"username": responder.email, "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_pages_need_sign_in():
    response = Client().get(reverse("incidents:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def _profile(user, **changes) -> dict:
    data = {
        "display_name": user.display_name,
        "time_zone": user.time_zone,
        "digest_enabled": "on",
        "digest_weekday": user.digest_weekday,
        "digest_hour": user.digest_hour,
    }
    data.update(changes)
    return data


def test_setting_the_time_zone_on_the_profile_changes_every_time_shown(client_for, admin_user):
    incident = IncidentFactory(started_at=datetime(2017, 7, 15, 2, 0, tzinfo=UTC))
    client = client_for(admin_user)
    detail = reverse("incidents:detail", args=[incident.number])
    assert "2017-07-15 02:00 UTC" in client.get(detail).content.decode()
    response = client.post(reverse("accounts:profile"), _profile(admin_user, time_zone="Pacific/Auckland"))
    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert admin_user.time_zone == "Pacific/Auckland"
    assert "2017-07-15 14:00 NZST" in client.get(detail).content.decode()


def test_the_profile_page_shows_the_current_zone_selected(client_for, responder):
    responder.time_zone = "America/Los_Angeles"
    responder.save()
    html = client_for(responder).get(reverse("accounts:profile")).content.decode()
    assert '<option value="America/Los_Angeles" selected>' in html


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "pacific/auckland"])
def test_an_unknown_time_zone_is_a_field_error(client_for, responder, zone):
    response = client_for(responder).post(reverse("accounts:profile"), _profile(responder, time_zone=zone))
    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    responder.refresh_from_db()
    assert responder.time_zone == "UTC"


def test_a_digest_hour_out_of_range_is_a_field_error(client_for, responder):
    response = client_for(responder).post(reverse("accounts:profile"), _profile(responder, digest_hour=24))
    assert response.status_code == 200
    assert "digest_hour" in response.context["form"].errors
