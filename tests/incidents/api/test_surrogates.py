"""A lone surrogate in any string of a JSON body is a 400 naming the field, never a 500 (issue 15, found by
an outside tester: choice fields echoed it into an error the response could not encode)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db
LONE = '"\\ud800"'  # JSON text for a lone high surrogate, as a client sends it


def _post(api, url: str, body: str):
    return api.post(url, data=body, content_type="application/json")


def test_a_surrogate_in_a_choice_field_is_refused_on_the_field(api_for, commander, incident):
    api = api_for(commander)
    cases = [
        ("/api/v1/timeline-entries/", f'{{"incident": {incident.number}, "body": "x", "kind": {LONE}}}', "kind"),
        ("/api/v1/timeline-entries/", f'{{"incident": {incident.number}, "body": "x", "evidence": {LONE}}}', "evidence"),
        ("/api/v1/incidents/", f'{{"title": "Disk full", "severity": {LONE}}}', "severity"),
        (f"/api/v1/incidents/{incident.number}/status/", f'{{"status": {LONE}}}', "status"),
        ("/api/v1/action-items/", f'{{"incident": {incident.number}, "title": "x", "priority": {LONE}}}', "priority"),
        ("/api/v1/incidents/", f'{{"title": "x", "severity": "SEV3", "services": [{LONE}]}}', "services.0"),
    ]  # fmt: skip
    for url, body, field in cases:
        response = _post(api, url, body)
        assert response.status_code == 400, (url, field, response.status_code)
        assert response.json() == {field: ["Surrogate characters are not allowed."]}, url


def test_a_surrogate_in_a_key_is_refused_too(api_for, commander):
    response = _post(api_for(commander), "/api/v1/incidents/", '{"\\udfff": 1}')
    assert response.status_code == 400
    assert "Surrogate" in response.json()["?"][0]
