"""Alertmanager webhook (payload version 4): declare per group, entries per alert, dedup, mitigate/resolve."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from incidents.models import AlertGroup, EntryKind, Incident, IncidentStatus
from tests.incidents.integrations.conftest import IntakeClient, post

pytestmark = pytest.mark.django_db


# Alertmanager keeps an alert's startsAt while it fires; any past time will do (only the future is refused).
T0 = timezone.now() - timedelta(minutes=30)


def _iso(when) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"


def alert(
    name: str, status: str = "firing", *, severity: str = "critical", start=None, end=None, **labels
) -> dict:
    start = start or T0
    return {
        "status": status,
        "labels": {"alertname": name, "severity": severity, **labels},
        "annotations": {"summary": f"{name} is bad", "runbook": "see wiki"},
        "startsAt": _iso(start),
        "endsAt": _iso(end) if end else "0001-01-01T00:00:00Z",
        "generatorURL": f"http://prometheus.example:9090/graph?g0.expr={name}",
        "fingerprint": f"fp-{name}-{sorted(labels.items())}",
    }


def payload(key: str, *alerts: dict, status: str | None = None) -> dict[str, Any]:
    status = status or ("firing" if any(a["status"] == "firing" for a in alerts) else "resolved")
    return {
        "version": "4",
        "groupKey": key,
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "hindsight",
        "groupLabels": {"alertname": alerts[0]["labels"]["alertname"]},
        "commonLabels": {"alertname": alerts[0]["labels"]["alertname"]},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": list(alerts),
    }


def test_a_firing_group_declares_one_incident_with_an_entry_per_alert(integration_for):
    integration, client = integration_for()
    start = timezone.now() - timedelta(minutes=7)
    body = payload(
        '{}:{alertname="Latency"}',
        alert("Latency", start=start, pod="a"),
        alert("Latency", severity="warning", start=start + timedelta(minutes=1), pod="b"),
    )
    response = post(client, body)
    assert response.status_code == 201, response.content
    assert response.json()["created"] is True
    incident = Incident.objects.get()
    assert incident.severity == "SEV1"  # the highest mapped severity of the firing alerts
    assert incident.detection_method == "alert"
    assert abs(incident.started_at - start) < timedelta(seconds=1)
    assert incident.commander is None
    assert incident.declared_by is None
    assert incident.teams.filter(slug="platform").exists()
    entries = list(incident.timeline_entries.filter(kind=EntryKind.ALERT).order_by("occurred_at"))
    assert len(entries) == 2
    assert entries[0].author_name == integration.name
    assert "**Firing**: Latency — Latency is bad" in entries[0].body
    assert "`pod=a`" in entries[0].body
    assert "runbook: see wiki" in entries[0].body
    assert 'href="http://prometheus.example:9090/graph?g0.expr=Latency"' in entries[0].body_html
    assert entries[0].evidence == "detection"


def test_repeating_the_same_notification_changes_nothing(integration_for):
    _, client = integration_for()
    body = payload("g1", alert("Disk"))
    assert post(client, body).status_code == 201
    count = Incident.objects.get().timeline_entries.count()
    for _ in range(3):
        response = post(client, body)
        assert response.status_code == 200
        assert response.json()["entries"] == 0
    assert Incident.objects.count() == 1
    assert Incident.objects.get().timeline_entries.count() == count


def test_a_new_alert_in_the_group_attaches_to_the_open_incident(integration_for):
    _, client = integration_for()
    post(client, payload("g1", alert("Disk", host="a")))
    response = post(client, payload("g1", alert("Disk", host="a"), alert("Disk", host="b")))
    assert response.status_code == 200
    assert response.json()["entries"] == 1
    assert Incident.objects.count() == 1


def test_every_alert_resolved_marks_the_incident_mitigated_not_resolved(integration_for):
    _, client = integration_for()
    start = timezone.now() - timedelta(minutes=10)
    end = timezone.now() - timedelta(minutes=1)
    post(client, payload("g1", alert("Disk", host="a", start=start), alert("Disk", host="b", start=start)))
    half = post(
        client,
        payload(
            "g1",
            alert("Disk", "resolved", host="a", start=start, end=end),
            alert("Disk", host="b", start=start),
        ),
    )
    assert half.json()["status"] == IncidentStatus.INVESTIGATING
    done = post(
        client,
        payload(
            "g1",
            alert("Disk", "resolved", host="a", start=start, end=end),
            alert("Disk", "resolved", host="b", start=start, end=end),
        ),
    )
    assert done.json()["changes"] == ["mitigated"]
    incident = Incident.objects.get()
    assert incident.status == IncidentStatus.MONITORING
    assert incident.mitigated_at is not None
    assert abs(incident.mitigated_at - end) < timedelta(seconds=1)
    assert incident.resolved_at is None
    resolved_entries = incident.timeline_entries.filter(kind=EntryKind.ALERT, body__startswith="**Resolved**")
    assert resolved_entries.count() == 2
    again = post(
        client,
        payload(
            "g1",
            alert("Disk", "resolved", host="a", start=start, end=end),
            alert("Disk", "resolved", host="b", start=start, end=end),
        ),
    )
    assert again.json()["entries"] == 0
    assert again.json()["changes"] == []


def test_the_integration_may_resolve_when_every_alert_is_resolved(integration_for):
    _, client = integration_for(resolve_when_all_resolved=True)
    start = timezone.now() - timedelta(minutes=10)
    end = timezone.now() - timedelta(minutes=2)
    post(client, payload("g1", alert("Disk", start=start)))
    post(client, payload("g1", alert("Disk", "resolved", start=start, end=end)))
    incident = Incident.objects.get()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.resolved_at is not None
    assert abs(incident.resolved_at - end) < timedelta(seconds=1)
    # Firing again after a resolve opens a new incident for the group.
    post(client, payload("g1", alert("Disk", start=timezone.now() - timedelta(seconds=5))))
    assert Incident.objects.count() == 2
    assert AlertGroup.objects.filter(is_open=True).count() == 1


def test_firing_again_after_mitigation_reopens_the_investigation(integration_for):
    _, client = integration_for()
    start = timezone.now() - timedelta(minutes=10)
    post(client, payload("g1", alert("Disk", start=start)))
    post(
        client,
        payload("g1", alert("Disk", "resolved", start=start, end=timezone.now() - timedelta(minutes=3))),
    )
    response = post(client, payload("g1", alert("Disk", start=timezone.now() - timedelta(minutes=1))))
    assert response.json()["status"] == IncidentStatus.INVESTIGATING
    assert Incident.objects.count() == 1


def test_a_late_repeat_of_the_resolved_firing_does_not_reopen_the_investigation(integration_for):
    """Only a firing with a new startsAt is a re-firing; the same occurrence again is an old report."""
    _, client = integration_for()
    start = timezone.now() - timedelta(minutes=10)
    firing = payload("g1", alert("Disk", start=start))
    assert post(client, firing).status_code == 201
    resolved = payload(
        "g1", alert("Disk", "resolved", start=start, end=timezone.now() - timedelta(minutes=3))
    )
    assert post(client, resolved).json()["status"] == IncidentStatus.MONITORING
    for _ in range(3):
        late = post(client, firing).json()
        assert (late["status"], late["entries"], late["changes"]) == (IncidentStatus.MONITORING, 0, [])
        post(client, resolved)
    older = post(client, payload("g1", alert("Disk", start=start - timedelta(minutes=5)))).json()
    assert (older["status"], older["entries"]) == (IncidentStatus.MONITORING, 0)
    incident = Incident.objects.get()
    bodies = list(incident.timeline_entries.filter(kind=EntryKind.ALERT).values_list("body", flat=True))
    assert [b.split(":")[0] for b in bodies] == ["**Firing**", "**Resolved**"]


def test_a_firing_delayed_behind_its_resolved_declares_nothing(integration_for):
    _, client = integration_for()
    start = timezone.now() - timedelta(minutes=10)
    resolved = payload(
        "g2", alert("Disk", "resolved", start=start, end=timezone.now() - timedelta(minutes=1))
    )
    assert post(client, resolved).json()["incident"] is None
    late = post(client, payload("g2", alert("Disk", start=start)))
    assert late.status_code == 200
    assert late.json()["incident"] is None
    assert not Incident.objects.exists()
    # The alert firing again later (a new startsAt) is a new incident.
    again = post(client, payload("g2", alert("Disk", start=timezone.now() - timedelta(seconds=30))))
    assert again.status_code == 201


def test_a_late_firing_after_the_incident_was_resolved_starts_nothing(integration_for):
    _, client = integration_for(resolve_when_all_resolved=True)
    start = timezone.now() - timedelta(minutes=10)
    post(client, payload("g3", alert("Disk", start=start)))
    post(client, payload("g3", alert("Disk", "resolved", start=start, end=timezone.now())))
    assert Incident.objects.get().status == IncidentStatus.RESOLVED
    assert post(client, payload("g3", alert("Disk", start=start))).json()["incident"] is None
    assert Incident.objects.count() == 1


def test_an_alert_too_long_for_one_entry_is_shortened_and_says_so(integration_for):
    _, client = integration_for()
    big = alert("Disk")
    big["annotations"] = {"summary": "s" * 9_000, "description": "d" * 9_000, "runbook": "r" * 5_000}
    response = post(client, payload("g1", big))
    assert response.status_code == 201, response.content
    body = Incident.objects.get().timeline_entries.get(kind=EntryKind.ALERT).body
    assert len(body) <= 20_000
    assert "Shortened to fit one entry" in body
    assert "[source](http://prometheus.example:9090/graph?g0.expr=Disk)" in body


def test_a_group_of_thousands_of_alerts_is_taken_with_a_bounded_number_of_entries(integration_for):
    _, client = integration_for()
    alerts = [alert("Disk", pod=f"p{i}") for i in range(1_200)]
    response = post(client, payload("g1", *alerts))
    assert response.status_code == 201, response.content[:500]
    incident = Incident.objects.get()
    assert incident.alert_groups.get().alerts.count() == 1_200
    entries = incident.timeline_entries.filter(kind=EntryKind.ALERT)
    assert entries.count() == 101
    assert entries.filter(body__startswith="1,100 more alerts").exists()


def test_resolved_for_a_group_with_no_open_incident_changes_nothing(integration_for):
    _, client = integration_for()
    response = post(client, payload("g9", alert("Disk", "resolved", end=timezone.now())))
    assert response.status_code == 200
    assert response.json()["incident"] is None
    assert Incident.objects.count() == 0


def test_severity_comes_from_the_teams_mapping_and_label(integration_for):
    _, client = integration_for(
        severity_label="priority", severity_map={"page": "SEV2"}, default_severity="SEV4"
    )
    post(client, payload("g1", alert("A", priority="page")))
    post(client, payload("g2", alert("B", priority="ticket")))
    assert dict(Incident.objects.values_list("title", "severity")) == {"A": "SEV2", "B": "SEV4"}


def test_groups_are_separate_incidents(integration_for):
    _, client = integration_for()
    for key in ("a", "b", "c"):
        post(client, payload(key, alert(f"Alert{key}")))
    assert Incident.objects.count() == 3


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda p: p.update(version="3"), "version"),
        (lambda p: p.pop("groupKey"), "groupKey"),
        (lambda p: p.update(alerts=[]), "alerts"),
        (lambda p: p["alerts"][0].update(startsAt="yesterday"), "alerts"),
        (lambda p: p["alerts"][0].update(startsAt="2999-01-01T00:00:00Z"), "alerts"),
        (lambda p: p["alerts"][0].update(status="exploded"), "alerts"),
        (lambda p: p["alerts"][0].update(generatorURL="javascript:alert(1)"), "alerts"),
        (lambda p: p["alerts"][0].update(labels=["not", "a", "map"]), "alerts"),
        (lambda p: p["alerts"][0]["labels"].update({"pod\x00name": "a"}), "alerts"),
        (lambda p: p["alerts"][0].update(endsAt=_iso(T0 - timedelta(minutes=1))), "alerts"),
        (lambda p: p.update(truncatedAlerts="x"), "truncatedAlerts"),
        (lambda p: p.update(truncatedAlerts=-1), "truncatedAlerts"),
        (lambda p: p.update(groupKey=123), "groupKey"),
    ],
)
def test_a_malformed_notification_gets_400_with_field_messages(integration_for, mutate, field):
    _, client = integration_for()
    body = payload("g1", alert("Disk"))
    mutate(body)
    response = post(client, body)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Incident.objects.count() == 0


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_a_body_that_is_not_a_json_object_gets_400(integration_for, body):
    _, client = integration_for()
    response = post(client, body)
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_the_intake_needs_the_integrations_own_token(integration_for, api_for, commander, client_for):
    _, client = integration_for()
    body = payload("g1", alert("Disk"))
    bare = IntakeClient()
    bare.url = client.url
    assert post(bare, body).status_code == 401
    wrong = IntakeClient()
    wrong.url = client.url
    wrong.credentials(HTTP_AUTHORIZATION="Bearer hsi_not-a-real-token")
    assert post(wrong, body).status_code == 401
    person = api_for(commander)
    person.url = client.url
    refused = post(person, body)
    assert refused.status_code == 403
    assert "integration's token" in refused.json()["detail"]
    assert Incident.objects.count() == 0


def test_an_integration_token_only_opens_its_own_endpoint(integration_for):
    _, grafana = integration_for("grafana")
    _, am = integration_for()
    grafana.url = am.url
    assert post(grafana, payload("g1", alert("Disk"))).status_code == 403
    assert grafana.get("/api/v1/incidents/").status_code in {401, 403}


def test_a_switched_off_integration_is_refused(integration_for):
    integration, client = integration_for()
    integration.is_active = False
    integration.save()
    assert post(client, payload("g1", alert("Disk"))).status_code == 401


def test_one_notification_resolving_two_alerts_writes_a_resolved_entry_for_each(integration_for):
    """Alertmanager sends the resolution of a whole group at once: each alert gets its Resolved entry."""
    _, client = integration_for()
    start = timezone.now() - timedelta(minutes=10)
    end = timezone.now() - timedelta(seconds=30)
    post(client, payload("g1", alert("Disk", host="a", start=start), alert("Disk", host="b", start=start)))
    done = post(
        client,
        payload(
            "g1",
            alert("Disk", "resolved", host="a", start=start, end=end),
            alert("Disk", "resolved", host="b", start=start, end=end),
        ),
    ).json()
    assert (done["status"], done["entries"], done["changes"]) == (IncidentStatus.MONITORING, 2, ["mitigated"])
    bodies = (
        Incident.objects.get().timeline_entries.filter(kind=EntryKind.ALERT).values_list("body", flat=True)
    )
    resolved = [b for b in bodies if b.startswith("**Resolved**")]
    assert len(resolved) == 2
    assert sorted("`host=b`" in b for b in resolved) == [False, True]


@pytest.mark.parametrize("resolve", [True, False])
def test_alerts_resolving_after_a_person_resolved_the_incident_change_nothing(
    integration_for, admin_user, resolve
):
    from incidents.incident.services.lifecycle import incident_resolve

    _, client = integration_for(resolve_when_all_resolved=resolve)
    start = timezone.now() - timedelta(minutes=10)
    post(client, payload("g1", alert("Disk", start=start)))
    incident = Incident.objects.get()
    by_hand = timezone.now() - timedelta(minutes=5)
    incident_resolve(incident=incident, actor=admin_user, at=by_hand)
    rows = incident.timeline_entries.count()
    answer = post(client, payload("g1", alert("Disk", "resolved", start=start, end=timezone.now())))
    assert answer.status_code < 300
    incident.refresh_from_db()
    assert (incident.status, incident.resolved_at) == (IncidentStatus.RESOLVED, by_hand)
    assert not incident.timeline_entries.filter(body__startswith="Incident resolved (2nd").exists()
    assert incident.timeline_entries.count() >= rows


def test_an_alert_resolution_dated_before_a_recorded_status_change_is_placed_after_it(
    integration_for, admin_user
):
    from incidents.incident.services.lifecycle import incident_change_status

    _, client = integration_for(resolve_when_all_resolved=True)
    start = timezone.now() - timedelta(minutes=20)
    post(client, payload("g1", alert("Disk", start=start)))
    incident = Incident.objects.get()
    identified = timezone.now() - timedelta(minutes=5)
    incident_change_status(incident=incident, actor=admin_user, status="identified", at=identified)
    # The alert ended before the person's status change: the resolution is not dated before that row.
    post(
        client,
        payload("g1", alert("Disk", "resolved", start=start, end=timezone.now() - timedelta(minutes=10))),
    )
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.resolved_at == identified
