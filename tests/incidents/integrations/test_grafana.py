"""Grafana alerting webhook: Alertmanager's shape, HMAC-signed when the contact point has a secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident, IncidentStatus
from tests.incidents.integrations.conftest import post

pytestmark = pytest.mark.django_db
T0 = timezone.now() - timedelta(minutes=30)


def body(status: str = "firing") -> dict:
    return {
        "receiver": "hindsight",
        "status": status,
        "orgId": 1,
        "groupKey": '{}/{}:{alertname="CPU"}',
        "title": "[FIRING:1] CPU high",
        "message": "CPU above 90%",
        "version": "1",
        "groupLabels": {"alertname": "CPU"},
        "commonLabels": {"alertname": "CPU", "severity": "warning"},
        "commonAnnotations": {},
        "externalURL": "http://grafana.example/",
        "alerts": [
            {
                "status": status,
                "labels": {"alertname": "CPU", "severity": "warning", "grafana_folder": "infra"},
                "annotations": {"summary": "CPU above 90%"},
                "startsAt": T0.isoformat(),
                "endsAt": timezone.now().isoformat() if status == "resolved" else "0001-01-01T00:00:00Z",
                "generatorURL": "",
                "fingerprint": "c0ffee",
                "silenceURL": "http://grafana.example/alerting/silence/new",
                "dashboardURL": "http://grafana.example/d/abc",
                "panelURL": "http://grafana.example/d/abc?viewPanel=2",
                "values": {"A": 93.5},
                "valueString": "[ var='A' value=93.5 ]",
            }
        ],
    }


def sign(secret: str, raw: bytes, stamp: str | None = None) -> dict[str, str]:
    message = raw if stamp is None else stamp.encode() + b":" + raw
    headers = {
        "HTTP_X_GRAFANA_ALERTING_SIGNATURE": hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    }
    if stamp is not None:
        headers["HTTP_X_GRAFANA_ALERTING_TIMESTAMP"] = stamp
    return headers


def test_grafana_firing_then_resolved_declares_and_mitigates(integration_for):
    _, client = integration_for("grafana")
    assert post(client, body()).status_code == 201
    incident = Incident.objects.get()
    assert incident.severity == "SEV3"
    assert "viewPanel=2" in incident.timeline_entries.filter(kind="alert").get().body
    post(client, body("resolved"))
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.MONITORING


def test_a_signed_grafana_request_is_accepted_with_or_without_a_timestamp(integration_for):
    _, client = integration_for("grafana", signing_secret="s3cret")
    raw = json.dumps(body()).encode()
    assert post(client, raw, **sign("s3cret", raw)).status_code == 201
    stamp = str(int(time.time()))
    assert post(client, raw, **sign("s3cret", raw, stamp)).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_X_GRAFANA_ALERTING_SIGNATURE": "00" * 32},
        "wrong-secret",
        "stale",
    ],
)
def test_an_unsigned_or_badly_signed_grafana_request_is_refused(integration_for, headers):
    _, client = integration_for("grafana", signing_secret="s3cret")
    raw = json.dumps(body()).encode()
    if headers == "wrong-secret":
        headers = sign("other", raw)
    elif headers == "stale":
        headers = sign("s3cret", raw, str(int(time.time()) - 3600))
    response = post(client, raw, **headers)
    assert response.status_code == 403
    assert "X-Grafana-Alerting" in response.json()["detail"]
    assert Incident.objects.count() == 0


def test_a_malformed_grafana_notification_gets_field_messages(integration_for):
    _, client = integration_for("grafana")
    bad = body()
    bad["alerts"][0]["panelURL"] = "ftp://nope"
    response = post(client, bad)
    assert response.status_code == 400
    assert "panelURL" in json.dumps(response.json())
