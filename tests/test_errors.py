"""A database outage answers a clean 503 with Retry-After (page and API), other errors a bare 500."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import path

from config.urls import urlpatterns as base_urlpatterns


def _db_down(request):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def _boom(request):
    raise RuntimeError("SELECT secret FROM settings")


urlpatterns = [
    path("db-down/", _db_down),
    path("api/db-down/", _db_down),
    path("boom/", _boom),
    *base_urlpatterns,
]
handler500 = "config.errors.server_error"


@pytest.fixture
def client(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    return Client(raise_request_exception=False)


def test_page_during_database_outage_is_503_with_retry_after(client):
    response = client.get("/db-down/")
    assert response.status_code == 503
    assert response["Retry-After"] == "15"
    assert "Nothing you saved has been lost" in response.content.decode()
    assert "Connection refused" not in response.content.decode()


def test_api_during_database_outage_is_json_503(client):
    response = client.get("/api/db-down/")
    assert response.status_code == 503
    assert response.json()["detail"].startswith("The database is unavailable")


def test_other_errors_are_a_500_without_details(client):
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "SELECT secret" not in response.content.decode()
