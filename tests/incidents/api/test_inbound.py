"""Inbound: alerts declare idempotently by dedup key; deploys land on open incidents and the change log;
bots post timeline entries."""

from __future__ import annotations

import pytest

from incidents.models import ChangeEvent, EntryKind, EntrySource, Incident, IncidentStatus
from tests.factories import IncidentFactory, ServiceFactory

pytestmark = pytest.mark.django_db

ALERT = {"dedup_key": "prometheus:HighErrorRate:checkout", "title": "High error rate", "severity": "SEV2"}


def test_the_same_alert_posted_twice_gives_one_incident(api_for, responder):
    client = api_for(responder)
    ServiceFactory(slug="checkout")
    first = client.post("/api/v1/alerts/", {**ALERT, "services": ["checkout"]}, format="json")
    second = client.post("/api/v1/alerts/", {**ALERT, "title": "High error rate (again)"}, format="json")

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["number"] == second.json()["number"]
    assert Incident.objects.filter(dedup_key=ALERT["dedup_key"]).count() == 1
    incident = Incident.objects.get()
    assert incident.title == "High error rate"
    assert incident.detection_method == "alert"
    assert list(incident.services.values_list("slug", flat=True)) == ["checkout"]


def test_alert_without_dedup_key_is_a_field_error(api_for, responder):
    response = api_for(responder).post("/api/v1/alerts/", {"title": "x"}, format="json")
    assert response.status_code == 400
    assert "dedup_key" in response.json()
    assert not Incident.objects.exists()


def test_deploy_lands_on_active_incidents_of_its_service_and_in_its_change_log(api_for, responder):
    web = ServiceFactory(slug="web")
    other = ServiceFactory(slug="other")
    active = IncidentFactory(status=IncidentStatus.INVESTIGATING)
    active.services.add(web)
    resolved = IncidentFactory(status=IncidentStatus.RESOLVED)
    resolved.services.add(web)
    elsewhere = IncidentFactory()
    elsewhere.services.add(other)
    client = api_for(responder)

    response = client.post(
        "/api/v1/changes/",
        {
            "service": "web",
            "summary": "deploy 2026.11.30-2",
            "commit_range": "a1b2c3d..e4f5a6b",
            "diff_url": "https://git.example.com/compare/a1b2c3d...e4f5a6b",
            "feature_flag": "new-checkout",
            "author": "ci-bot",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["incidents"] == [active.number]
    entry = active.timeline_entries.get(kind=EntryKind.CHANGE)
    assert entry.source == EntrySource.API
    assert "a1b2c3d..e4f5a6b" in entry.body
    assert "new-checkout" in entry.body
    assert 'href="https://git.example.com/compare/a1b2c3d...e4f5a6b"' in entry.body_html
    assert not resolved.timeline_entries.filter(kind=EntryKind.CHANGE).exists()
    assert not elsewhere.timeline_entries.filter(kind=EntryKind.CHANGE).exists()
    log = client.get("/api/v1/services/web/changes/").json()["results"]
    assert [c["summary"] for c in log] == ["deploy 2026.11.30-2"]
    assert client.get("/api/v1/services/other/changes/").json()["results"] == []


def test_change_needs_to_say_what_changed(api_for, responder):
    ServiceFactory(slug="web")
    response = api_for(responder).post(
        "/api/v1/changes/", {"service": "web", "summary": "deploy"}, format="json"
    )
    assert response.status_code == 400
    assert "commit_range" in response.json()
    assert not ChangeEvent.objects.exists()


def test_bot_entry_shows_who_it_relays_for(api_for, responder, incident):
    response = api_for(responder).post(
        "/api/v1/timeline-entries/",
        {
            "incident": incident.number,
            "body": "Failover started",
            "kind": "action",
            "author_name": "chat: @sam",
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["display_author"] == "Rory Responder"
    assert response.json()["author_name"] == "chat: @sam"
    assert response.json()["source"] == "api"


def test_timeline_pages_by_cursor_in_occurred_order_and_since_returns_only_newer(
    api_for, responder, incident
):
    import datetime as dt

    client = api_for(responder)
    base = incident.started_at
    # Posted out of order: the list comes back in (occurred_at, id) order.
    for minutes in (30, 10, 20, 10):
        client.post(
            "/api/v1/timeline-entries/",
            {
                "incident": incident.number,
                "body": f"at +{minutes}",
                "occurred_at": (base + dt.timedelta(minutes=minutes)).isoformat(),
            },
            format="json",
        )
    page = client.get(f"/api/v1/timeline-entries/?incident={incident.number}&page_size=2").json()
    bodies = [e["body"] for e in page["results"]]
    nxt = client.get(page["next"]).json()
    bodies += [e["body"] for e in nxt["results"]]
    assert bodies == ["at +10", "at +10", "at +20", "at +30"]
    last_seen = max(e["updated_at"] for e in nxt["results"] + page["results"])
    client.post("/api/v1/timeline-entries/", {"incident": incident.number, "body": "late"}, format="json")
    fresh = client.get(f"/api/v1/timeline-entries/?incident={incident.number}", {"since": last_seen}).json()
    assert [e["body"] for e in fresh["results"]] == ["late"]


def test_time_filters_accept_odd_offsets_and_refuse_out_of_range(api_for, responder, incident):
    """Offsets in use, however odd (Chatham +13:45, the Marquesas -09:30), query in UTC; one no place uses
    (-23:33: outside -12:00 .. +14:00, the rule of every time Hindsight reads) is a 400 naming it."""
    client = api_for(responder)
    odd = client.get("/api/v1/incidents/", {"started_before": "2999-11-18T01:48:23-09:30"})
    assert odd.status_code == 200
    assert [i["number"] for i in odd.json()["results"]] == [incident.number]
    chatham = client.get("/api/v1/incidents/", {"started_after": "1999-11-18T01:48:23+13:45"})
    assert [i["number"] for i in chatham.json()["results"]] == [incident.number]
    unused = client.get("/api/v1/incidents/", {"started_before": "2999-11-18T01:48:23-23:33"})
    assert unused.status_code == 400
    assert "-23:33 is not a UTC offset in use" in unused.json()["started_before"][0]
    out = client.get("/api/v1/incidents/", {"started_after": "0001-01-01T00:00:00+13:59"})
    assert out.status_code == 400


def test_a_change_in_the_future_is_refused_even_when_no_incident_is_active(api_for, responder):
    ServiceFactory(slug="web")
    response = api_for(responder).post(
        "/api/v1/changes/",
        {
            "service": "web",
            "summary": "deploy",
            "commit_range": "a..b",
            "occurred_at": "2099-01-01T00:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "in the future" in " ".join(response.json()["occurred_at"])
    assert not ChangeEvent.objects.exists()
