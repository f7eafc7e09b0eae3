"""The OpenAPI schema renders without warnings and the docs page is served from vendored files."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "openapi.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/incidents/{number}/resolve/" in text
    assert "tokenAuth" in text


def test_schema_is_served(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Hindsight API"


def test_docs_page_uses_only_local_files(client):
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', page), "every asset is served by Hindsight itself"
    script = client.get("/api/docs/?script=").content.decode()
    assert "/api/schema/" in script


def test_unknown_api_url_is_a_json_404(api_for, responder):
    response = api_for(responder).get("/api/v1/incidents/not-a-number/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
