"""Alert notifications for several groups arriving at once, through the live server (real threads).

Alertmanager notifies each group on its own, so a storm sends many requests at the same moment. Each must
succeed (no 503) and leave its group's incident with one Firing and one Resolved entry per alert.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.integrations.services.configuration import alert_integration_create
from incidents.models import EntryKind, Incident, IncidentStatus
from tests.incidents.integrations.test_alertmanager import alert, payload

GROUPS = {f"Group{g}": [f"host-{i}" for i in range(1 + g % 3)] for g in range(6)}


@pytest.mark.django_db(transaction=True)
def test_concurrent_notifications_of_six_groups_all_succeed_and_each_alert_gets_its_entries(
    live_server, admin_user, team
):
    _, token = alert_integration_create(actor=admin_user, name="storm", kind="alertmanager", team=team)
    url = f"{live_server.url}/api/v1/integrations/alertmanager/"
    start = timezone.now() - timedelta(minutes=5)
    statuses: list[int] = []

    def send(body: dict) -> None:
        request = urllib.request.Request(
            url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    def wave(status: str) -> None:
        end = timezone.now() - timedelta(seconds=1) if status == "resolved" else None
        threads = [
            threading.Thread(
                target=send,
                args=(payload(g, *[alert(g, status, host=h, start=start, end=end) for h in hosts]),),
            )
            for g, hosts in GROUPS.items()
            for _ in range(2)  # each notification twice, as a retry would
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    wave("firing")
    wave("resolved")
    assert sorted(set(statuses)) == [200, 201], statuses
    assert statuses.count(201) == len(GROUPS)
    assert Incident.objects.count() == len(GROUPS)
    for incident in Incident.objects.prefetch_related("alert_groups"):
        hosts = GROUPS[incident.alert_groups.get().group_key]
        bodies = list(incident.timeline_entries.filter(kind=EntryKind.ALERT).values_list("body", flat=True))
        assert incident.status == IncidentStatus.MONITORING, bodies
        assert sum(b.startswith("**Firing**") for b in bodies) == len(hosts), bodies
        assert sum(b.startswith("**Resolved**") for b in bodies) == len(hosts), bodies
