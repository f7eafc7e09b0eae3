"""The real Prometheus Alertmanager (Debian's `prometheus-alertmanager`) sending to Hindsight's live server.

Alertmanager gets a config whose only receiver is this test's live server, with the integration token as
its bearer credential and short group/repeat intervals. The test posts alerts to Alertmanager's own API
(`/api/v2/alerts`) in three groups, keeps them firing for a minute (Alertmanager repeats each group's
notification every few seconds), then resolves them, and checks that Hindsight made exactly three
incidents, each with one firing and one resolved entry per alert, all mitigated and none resolved.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from incidents.integrations.services.configuration import alert_integration_create
from incidents.models import AlertGroup, EntryKind, Incident, IncidentStatus

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
FIRING_SECONDS = float(os.environ.get("HINDSIGHT_AM_FIRING_SECONDS", "60"))
GROUPS = {
    "DiskFull": [{"instance": "db-1"}, {"instance": "db-2"}],
    "HighLatency": [{"instance": "api-1"}],
    "QueueBacklog": [{"instance": "worker-1"}, {"instance": "worker-2"}, {"instance": "worker-3"}],
}
SEVERITY = {"DiskFull": "critical", "HighLatency": "warning", "QueueBacklog": "info"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(url: str, data: Any = None, timeout: float = 5) -> Any:
    body = None if data is None else json.dumps(data).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        text = response.read().decode()
    try:
        return json.loads(text)
    except ValueError:
        return text


def _alerts(ends_at: datetime | None = None) -> list[dict[str, Any]]:
    out = []
    for name, instances in GROUPS.items():
        for labels in instances:
            alert: dict[str, Any] = {
                "labels": {"alertname": name, "severity": SEVERITY[name], "job": "hindsight-it", **labels},
                "annotations": {"summary": f"{name} on {labels['instance']}"},
                "generatorURL": f"http://prometheus.invalid:9090/graph?g0.expr={name}",
            }
            if ends_at is not None:
                alert["endsAt"] = ends_at.isoformat().replace("+00:00", "Z")
            out.append(alert)
    return out


def _notifications_sent(base: str) -> float:
    metrics = _request(f"{base}/metrics")
    total = 0.0
    for line in metrics.splitlines():
        if line.startswith("alertmanager_notifications_total") and 'integration="webhook"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


@pytest.fixture
def alertmanager_binary() -> str:
    if BINARY is None:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(
                "prometheus-alertmanager is not installed but REQUIRE_SERVICES=1 (.ci/run installs it)."
            )
        pytest.skip("prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)")
    return BINARY


@pytest.mark.django_db(transaction=True)
def test_real_alertmanager_three_groups_firing_repeated_then_resolved_give_three_mitigated_incidents(
    alertmanager_binary, live_server, admin_user, team, tmp_path: Path
):
    integration, token = alert_integration_create(
        actor=admin_user, name="it-alertmanager", kind="alertmanager", team=team
    )
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        f"""
route:
  receiver: hindsight
  group_by: [alertname]
  group_wait: 1s
  group_interval: 3s
  repeat_interval: 6s
receivers:
  - name: hindsight
    webhook_configs:
      - url: {live_server.url}/api/v1/integrations/alertmanager/
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""
    )
    log = (tmp_path / "alertmanager.log").open("w")
    process = subprocess.Popen(
        [
            alertmanager_binary,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=debug",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if "OK" in str(_request(f"{base}/-/ready", timeout=1)):
                    break
            except OSError:
                pass
            assert process.poll() is None, (tmp_path / "alertmanager.log").read_text()
            assert time.monotonic() < deadline, "Alertmanager did not become ready"
            time.sleep(0.2)

        started = time.monotonic()
        while time.monotonic() - started < FIRING_SECONDS:
            _request(f"{base}/api/v2/alerts", _alerts())  # Prometheus re-sends firing alerts like this
            time.sleep(5)
        firing_sent = _notifications_sent(base)
        # Each group was notified several times (repeats), yet each is one incident.
        assert firing_sent >= 2 * len(GROUPS), (tmp_path / "alertmanager.log").read_text()[-3000:]
        assert Incident.objects.count() == len(GROUPS)
        assert set(Incident.objects.values_list("status", flat=True)) == {IncidentStatus.INVESTIGATING}

        _request(f"{base}/api/v2/alerts", _alerts(ends_at=datetime.now(tz=UTC)))
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            if Incident.objects.filter(status=IncidentStatus.MONITORING).count() == len(GROUPS):
                break
            time.sleep(0.5)
        time.sleep(7)  # one more repeat/group interval: late repeats must change nothing either
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()

    incidents = list(Incident.objects.order_by("number"))
    assert len(incidents) == len(GROUPS), [i.title for i in incidents]
    assert AlertGroup.objects.filter(integration=integration).count() == len(GROUPS)
    severities = {"critical": "SEV1", "warning": "SEV3", "info": "SEV4"}
    for incident in incidents:
        name = next(
            n
            for n in GROUPS
            if n in incident.title or incident.alert_groups.get().group_key.endswith(f'alertname="{n}"}}')
        )
        count = len(GROUPS[name])
        assert incident.status == IncidentStatus.MONITORING, incident
        assert incident.mitigated_at is not None
        assert incident.resolved_at is None
        assert incident.severity == severities[SEVERITY[name]]
        entries = incident.timeline_entries.filter(kind=EntryKind.ALERT)
        firing = [e.body for e in entries if e.body.startswith("**Firing**")]
        resolved = [e.body for e in entries if e.body.startswith("**Resolved**")]
        assert len(firing) == count, firing
        assert len(resolved) == count, resolved
        for labels in GROUPS[name]:
            assert any(f"`instance={labels['instance']}`" in b for b in firing)
        assert all("[source](http://prometheus.invalid:9090/graph?g0.expr=" in b for b in firing)
        statuses = list(incident.timeline_entries.filter(kind="status_change").values_list("body", flat=True))
        assert sum(s.startswith("Status changed") and s.endswith("to Monitoring") for s in statuses) == 1, (
            statuses
        )
        assert sum(s.startswith("Mitigated") for s in statuses) == 1, statuses  # one automatic mitigation row
