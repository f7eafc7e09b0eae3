"""Outbound webhooks: signed with the README's recipe, retried on a 500, logged; overdue sweep sends once."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import time_machine

from incidents.models import WebhookDelivery, WebhookEndpoint
from incidents.notify import delivery, transports, webhooks
from incidents.permissions.checks import SYSTEM
from tests.factories import ActionItemFactory

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[3] / "README.md"
SECRET = "whsec-test-0123456789abcdef"


def readme_recipe():
    """The verification function exactly as documented in the README's API section."""
    text = README.read_text()
    block = re.search(r"<!-- webhook-verify[^>]*-->\s*```python\n(.*?)```", text, re.S)
    assert block, "the README's webhook verification recipe is missing"
    namespace: dict = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)  # noqa: S102 - our own README
    return namespace["verify_hindsight_signature"]


class Receiver:
    """An HTTP server on 127.0.0.1 answering with `codes` in turn (then 200) and recording requests.

    Outbound requests to it are refused like any loopback target unless the test allows it
    (`allowed=outbound_allowed`, the fixture)."""

    def __init__(self, codes: list[int], allowed=None):
        self.codes = list(codes)
        self.requests: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers.items()), body))
                self.send_response(receiver.codes.pop(0) if receiver.codes else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

        if allowed is not None:
            allowed(self.url)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hook"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def eager(eager_celery):
    """Run queued deliveries inline, retries included (Celery's eager `apply` follows `retry`)."""
    return eager_celery


def test_declared_incident_is_delivered_signed_and_retried_after_a_500(
    api_for, admin_user, responder, eager, django_capture_on_commit_callbacks, outbound_allowed
):
    verify = readme_recipe()
    with Receiver([500], allowed=outbound_allowed) as receiver:
        registered = api_for(admin_user).post(
            "/api/v1/webhooks/",
            {"url": receiver.url, "events": ["incident.declared"], "secret": SECRET},
            format="json",
        )
        assert registered.status_code == 201
        with django_capture_on_commit_callbacks(execute=True):
            declared = api_for(responder).post(
                "/api/v1/incidents/", {"title": "Checkout 502s", "severity": "SEV2"}, format="json"
            )
        assert declared.status_code == 201

    assert len(receiver.requests) == 2  # the 500, then the retry
    for headers, body in receiver.requests:
        assert verify(SECRET, headers, body)
        assert not verify("some-other-secret-000000", headers, body)
        assert not verify(SECRET, headers, body + b" ")
        assert headers["X-Hindsight-Event"] == "incident.declared"
    payload = json.loads(receiver.requests[-1][1])
    assert payload["event"] == "incident.declared"
    assert payload["data"]["incident"]["number"] == declared.json()["number"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("sent", 2, 200)
    assert receiver.requests[0][0]["X-Hindsight-Delivery"] == delivery.event_id
    log = api_for(admin_user).get(f"/api/v1/webhooks/{registered.json()['id']}/deliveries/").json()
    assert log["results"][0]["status"] == "sent"
    assert log["results"][0]["sent_at"] is not None


def test_old_timestamp_fails_the_documented_check():
    verify = readme_recipe()
    body = b'{"id":"x"}'
    ts = "1000000000"
    headers = {"X-Hindsight-Timestamp": ts, "X-Hindsight-Signature": transports.signature(SECRET, ts, body)}
    assert not verify(SECRET, headers, body)


def test_a_receiver_that_keeps_failing_marks_the_delivery_failed(
    eager, django_capture_on_commit_callbacks, outbound_allowed
):
    from incidents.incident.services.declare import incident_declare

    WebhookEndpoint.objects.create(url="http://127.0.0.1:9/", events=["incident.declared"], secret=SECRET)
    with Receiver([500] * 10, allowed=outbound_allowed) as receiver:
        WebhookEndpoint.objects.update(url=receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            incident_declare(actor=SYSTEM, title="Disk full", severity="SEV3")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.attempts == webhooks.WEBHOOK_MAX_ATTEMPTS
    assert delivery.response_code == 500
    assert len(receiver.requests) == webhooks.WEBHOOK_MAX_ATTEMPTS


def test_backoff_never_exceeds_sixty_seconds():
    delays = [delivery.backoff_seconds(n, base=delivery.WEBHOOK_RETRY_BASE_SECONDS) for n in range(12)]
    assert delays[:5] == [5, 10, 20, 40, 60]
    assert max(delays) == 60


def test_endpoint_not_subscribed_gets_nothing(django_capture_on_commit_callbacks, api_for, responder):
    WebhookEndpoint.objects.create(
        url="https://hooks.example.com/x", events=["finding.reopened"], secret=SECRET
    )
    with django_capture_on_commit_callbacks(execute=True):
        api_for(responder).post("/api/v1/incidents/", {"title": "x", "severity": "SEV4"}, format="json")
    assert not WebhookDelivery.objects.exists()


def test_overdue_sweep_records_each_item_once_per_due_date(responder, monkeypatch):
    monkeypatch.setattr(webhooks, "records_publish", lambda task, ids: None)
    WebhookEndpoint.objects.create(
        url="https://hooks.example.com/x", events=["action_item.overdue"], secret=SECRET
    )
    responder.time_zone = "Pacific/Auckland"
    responder.save()
    item = ActionItemFactory(owner=responder, due_date=dt.date(2026, 6, 10))
    # 2026-06-10 11:30 UTC is 23:30 on the 10th in Auckland: due today, not overdue yet.
    with time_machine.travel(dt.datetime(2026, 6, 10, 11, 30, tzinfo=dt.UTC)):
        assert webhooks.webhooks_overdue_sweep() == 0
    with time_machine.travel(dt.datetime(2026, 6, 10, 12, 30, tzinfo=dt.UTC)):
        assert webhooks.webhooks_overdue_sweep() == 1
        assert webhooks.webhooks_overdue_sweep() == 0  # a second beat sends nothing twice
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "action_item.overdue"
    assert delivery.payload["data"]["action_item"]["id"] == item.pk


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/",
        "http://localhost/",
        "http://127.0.0.1:8791/",
        "http://[::1]/",
        "http://10.0.0.1/",
        "http://192.168.1.5/hook",
    ],
)
def test_webhooks_to_internal_addresses_are_refused(settings, api_for, admin_user, url):
    from incidents.models import WebhookEndpoint

    response = api_for(admin_user).post(
        "/api/v1/webhooks/", {"url": url, "events": ["incident.declared"]}, format="json"
    )
    assert response.status_code == 400
    assert "url" in response.json()
    assert not WebhookEndpoint.objects.filter(url=url).exists()


def test_delivery_to_a_name_resolving_to_an_internal_address_is_not_sent(settings, monkeypatch):
    import socket

    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 443))],
    )
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.rebound.example/x", events=["incident.declared"], secret=SECRET
    )
    row = WebhookDelivery.objects.create(
        endpoint=endpoint, event="incident.declared", event_id="e1", payload={}
    )
    assert delivery.webhook_deliver(delivery_id=row.pk) == "failed"  # refused: never retried
    row.refresh_from_db()
    assert row.status == "failed"
    assert "10.1.2.3" in row.last_error
    assert row.response_code is None
    assert row.attempts == 1


# --- Typed payloads --------------------------------------------------------------------------------------


@pytest.fixture
def recorded(monkeypatch):
    """An endpoint subscribed to every event whose deliveries are recorded and not sent; returns the bodies."""
    monkeypatch.setattr(webhooks, "records_publish", lambda task, ids: None)
    WebhookEndpoint.objects.create(
        url="https://hooks.example.com/x", events=list(webhooks.EVENTS), secret=SECRET
    )
    return lambda: [d.payload for d in WebhookDelivery.objects.order_by("id")]


def _status_moves(commander, incident):
    from incidents.incident.services.lifecycle import (
        incident_change_status,
        incident_reopen,
        incident_resolve,
    )

    incident_change_status(incident=incident, actor=commander, status="identified")
    incident_change_status(incident=incident, actor=commander, status="monitoring")
    incident_resolve(incident=incident, actor=commander)
    incident_change_status(incident=incident, actor=commander, status="postmortem")
    incident_reopen(incident=incident, actor=commander, reason="It came back")


def test_status_changes_carry_old_and_new_as_codes_whoever_emits_them(
    commander, incident, recorded, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _status_moves(commander, incident)
    got = [
        (b["event"], b["data"]["old"], b["data"]["new"], b["data"]["incident"]["status"]) for b in recorded()
    ]
    assert got == [
        ("incident.status_changed", "investigating", "identified", "identified"),
        ("incident.status_changed", "identified", "monitoring", "monitoring"),
        ("incident.status_changed", "monitoring", "resolved", "resolved"),
        ("incident.status_changed", "resolved", "postmortem", "postmortem"),
        ("incident.status_changed", "postmortem", "investigating", "investigating"),
    ]
    resolved = recorded()[2]["data"]
    assert resolved["resolved_at"] is not None
    assert len({b["id"] for b in recorded()}) == 5


def _published(incident, commander, responder):
    from incidents.incident.services.lifecycle import incident_resolve
    from incidents.review.services import postmortems, reviews

    incident_resolve(incident=incident, actor=commander)
    pm = postmortems.postmortem_start(incident=incident, actor=commander)
    pm = postmortems.postmortem_save(
        postmortem=pm,
        actor=commander,
        sections={"trigger": "The renewal job had no alert."},
        expected_version=pm.version,
    )
    pm, _ = reviews.postmortem_request_review(postmortem=pm, actor=commander, reviewers=[responder])
    reviews.postmortem_review_decide(
        postmortem=pm, actor=responder, decision="approved", expected_version=pm.version
    )
    pm.refresh_from_db()
    return reviews.postmortem_publish(postmortem=pm, actor=commander)


def _update_posted(incident, commander):
    """Post one stakeholder update on `incident` as `commander` (the `incident.update_posted` event)."""
    from django.utils import timezone

    from incidents.incident.services.updates import stakeholder_update_post

    return stakeholder_update_post(
        incident=incident,
        actor=commander,
        status="identified",
        customer_impact="Checkout fails for **some** customers.",
        doing="Rolling back the config push.",
        next_update_at=timezone.now() + dt.timedelta(minutes=30),
    )


def test_every_event_body_has_its_version_and_the_documented_fields(
    commander, responder, incident, recorded, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://hindsight.example.com"
    from incidents.followup.services import findings
    from incidents.incident.services.declare import incident_declare
    from incidents.models import FindingStatus
    from tests.factories import PolicyFindingFactory

    with django_capture_on_commit_callbacks(execute=True):
        declared = incident_declare(actor=commander, title="Checkout 502s", severity="SEV2")
        _status_moves(commander, incident)
        update = _update_posted(incident, commander)
        postmortem = _published(incident, commander, responder)
        finding = PolicyFindingFactory(status=FindingStatus.CLOSED)
        findings.policy_finding_seen_again(finding=finding, incident=incident, actor=commander)
    item = ActionItemFactory(owner=commander, incident=incident, due_date=dt.date(2020, 1, 1))
    webhooks.webhooks_overdue_sweep()
    bodies = recorded()
    assert {b["event"] for b in bodies} == set(webhooks.EVENTS)
    documented = readme_schema()
    for body in bodies:
        assert set(body) == {"id", "event", "version", "created_at", "data"}
        version, fields = documented[body["event"]]
        assert body["version"] == version
        # Key order is not part of a JSON object (PostgreSQL's jsonb stores keys in its own order): compare as sets.
        assert sorted(body["data"]) == sorted(fields), body["event"]
        for name in ("incident", "postmortem", "action_item", "finding", "update"):
            if body["data"].get(name) is not None:
                assert sorted(body["data"][name]) == sorted(documented[name][1]), name
    by_event = {b["event"]: b["data"] for b in bodies}
    assert by_event["incident.declared"]["incident"]["number"] == declared.number
    assert by_event["incident.declared"]["declared_by"] == commander.email
    assert by_event["postmortem.published"]["postmortem"]["id"] == postmortem.pk
    assert by_event["postmortem.published"]["incident"]["status"] == "resolved"
    assert by_event["postmortem.published"]["postmortem"]["url"] == (
        f"https://hindsight.example.com/incidents/{incident.number}/postmortem/"
    )
    assert by_event["incident.declared"]["incident"]["api_url"] == (
        f"https://hindsight.example.com/api/v1/incidents/{declared.number}/"
    )
    assert by_event["incident.update_posted"]["update"] == {
        "id": update.pk,
        "status": "identified",
        "customer_impact": "Checkout fails for **some** customers.",
        "doing": "Rolling back the config push.",
        "next_update_at": update.next_update_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "posted_at": update.posted_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "posted_by": commander.email,
    }
    assert by_event["incident.update_posted"]["incident"]["number"] == incident.number
    assert by_event["action_item.overdue"]["action_item"]["id"] == item.pk
    assert by_event["action_item.overdue"]["incident"]["number"] == incident.number
    assert by_event["finding.reopened"]["finding"] == {
        "id": finding.pk,
        "title": finding.title,
        "area": finding.area,
        "status": "open",
        "api_url": f"https://hindsight.example.com/api/v1/policy-findings/{finding.pk}/",
    }


def readme_schema() -> dict[str, tuple[int | None, list[str]]]:
    """The README's webhook tables: event -> (version, data fields) and object -> (None, fields)."""
    text = README.read_text()
    section = text[text.index("<!-- webhook-schema") : text.index("<!-- webhook-verify")]
    found: dict[str, tuple[int | None, list[str]]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("| `"):
            continue
        name = cells[0].strip("`")
        version = int(cells[1]) if len(cells) == 3 else None
        fields = re.findall(r"(?:^|, )`(\w+)`", cells[-1])
        found[name] = (version, fields)
    return found


def test_the_readme_documents_every_payload_class_with_its_fields():
    import dataclasses

    from incidents.notify import payloads

    documented = readme_schema()
    for cls in payloads.PAYLOADS:
        version, fields = documented[cls.EVENT]
        assert version == cls.VERSION, cls.EVENT
        assert fields == [f.name for f in dataclasses.fields(cls)], cls.EVENT
    for name, cls in {
        "incident": payloads.IncidentRef,
        "postmortem": payloads.PostmortemRef,
        "action_item": payloads.ActionItemRef,
        "finding": payloads.FindingRef,
        "update": payloads.UpdateRef,
    }.items():
        assert documented[name][1] == [f.name for f in dataclasses.fields(cls)], name
    assert sorted(k for k, (v, _) in documented.items() if v is not None) == sorted(payloads.EVENTS)


# --- One delivery record: lease, sent once, republished when the broker lost it ------------------------


def test_a_webhook_is_posted_once_however_often_its_task_runs(outbound_allowed):
    with Receiver([]) as receiver:
        endpoint = WebhookEndpoint.objects.create(
            url=outbound_allowed(receiver.url), events=["incident.declared"], secret=SECRET
        )
        row = WebhookDelivery.objects.create(
            endpoint=endpoint, event="incident.declared", event_id="e1", payload={}
        )
        assert delivery.webhook_deliver(delivery_id=row.pk) == "sent"
        assert delivery.webhook_deliver(delivery_id=row.pk) == "busy"
    assert len(receiver.requests) == 1


def test_a_webhook_the_broker_lost_is_republished_by_the_sweep_and_sent_once(outbound_allowed, eager_celery):
    with Receiver([]) as receiver:
        endpoint = WebhookEndpoint.objects.create(
            url=outbound_allowed(receiver.url), events=["incident.declared"], secret=SECRET
        )
        row = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event="incident.declared",
            event_id="lost",
            payload={},
            created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
        )
        assert delivery.deliveries_republish_stale() == 1
        assert delivery.deliveries_republish_stale() == 0
    row.refresh_from_db()
    assert (row.status, row.attempts, len(receiver.requests)) == ("sent", 1, 1)


# --- Restricted incidents: only to endpoints an admin opened to them ---------------------------------------


def test_no_event_kind_carries_a_restricted_incident_unless_the_endpoint_includes_them(
    commander, responder, incident, monkeypatch, django_capture_on_commit_callbacks
):
    """Walk every event kind on a restricted incident (and an item and finding of one): the endpoint left at
    the default gets none of them, the one with "Include restricted incidents" gets every kind."""
    from incidents.followup.services import findings
    from incidents.incident.services.declare import incident_declare
    from incidents.models import FindingStatus, Visibility
    from tests.factories import PolicyFindingFactory

    monkeypatch.setattr(webhooks, "records_publish", lambda task, ids: None)
    default = WebhookEndpoint.objects.create(
        url="https://a.example.com/x", events=list(webhooks.EVENTS), secret=SECRET
    )
    opened = WebhookEndpoint.objects.create(
        url="https://b.example.com/x", events=list(webhooks.EVENTS), secret=SECRET, include_restricted=True
    )
    incident.visibility = Visibility.RESTRICTED
    incident.save()
    incident.participants.add(responder)
    with django_capture_on_commit_callbacks(execute=True):
        incident_declare(
            actor=commander, title="Leaked keys", severity="SEV1", visibility=Visibility.RESTRICTED
        )
        _status_moves(commander, incident)
        _update_posted(incident, commander)
        _published(incident, commander, responder)
        finding = PolicyFindingFactory(status=FindingStatus.CLOSED)
        findings.policy_finding_seen_again(finding=finding, incident=incident, actor=commander)
    ActionItemFactory(owner=commander, incident=incident, due_date=dt.date(2020, 1, 1))
    ActionItemFactory(owner=commander, incident=None, finding=finding, due_date=dt.date(2020, 1, 2))
    webhooks.webhooks_overdue_sweep()

    sent = list(WebhookDelivery.objects.filter(endpoint=opened).values_list("event", flat=True))
    assert set(sent) == set(webhooks.EVENTS)  # every kind was walked
    assert sent.count("action_item.overdue") == 2  # the item on the incident and the finding's item
    assert not WebhookDelivery.objects.filter(endpoint=default).exists()


def test_an_event_naming_something_of_unknown_kind_cannot_be_dispatched():
    import dataclasses
    from typing import ClassVar

    from incidents.notify import payloads

    @dataclasses.dataclass(frozen=True)
    class Mystery:
        id: int

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class NewEvent:
        EVENT: ClassVar[str] = "mystery.happened"
        thing: Mystery

    with pytest.raises(TypeError, match="thing"):
        payloads.subjects_of(NewEvent(thing=Mystery(id=1)))  # type: ignore[arg-type]


def test_only_admins_set_include_restricted_and_the_api_shows_it(api_for, admin_user, commander):
    created = api_for(admin_user).post(
        "/api/v1/webhooks/",
        {"url": "https://hooks.example.com/y", "events": ["incident.declared"]},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["include_restricted"] is False  # off unless chosen
    url = f"/api/v1/webhooks/{created.json()['id']}/"
    assert api_for(commander).patch(url, {"include_restricted": True}, format="json").status_code in (
        403,
        404,
    )
    assert (
        api_for(admin_user, read_only=True)
        .patch(url, {"include_restricted": True}, format="json")
        .status_code
        == 403
    )
    assert (
        api_for(admin_user)
        .patch(url, {"include_restricted": True}, format="json")
        .json()["include_restricted"]
    )
    assert WebhookEndpoint.objects.get().include_restricted


def test_a_delivery_recorded_before_the_incident_became_restricted_is_not_sent(
    commander, incident, monkeypatch, outbound_allowed
):
    from incidents.models import Visibility
    from incidents.notify import payloads

    monkeypatch.setattr(webhooks, "records_publish", lambda task, ids: None)  # the broker holds them for now
    with Receiver([], allowed=outbound_allowed) as receiver:
        default = WebhookEndpoint.objects.create(
            url=receiver.url, events=["incident.declared"], secret=SECRET
        )
        opened = WebhookEndpoint.objects.create(
            url=receiver.url, events=["incident.declared"], secret=SECRET, include_restricted=True
        )
        webhooks.webhook_dispatch(payloads.IncidentDeclared.of(incident))
        incident.visibility = Visibility.RESTRICTED
        incident.save()
        held = WebhookDelivery.objects.get(endpoint=default)
        assert delivery.webhook_deliver(delivery_id=held.pk) == "skipped"
        assert delivery.webhook_deliver(delivery_id=WebhookDelivery.objects.get(endpoint=opened).pk) == "sent"
    assert len(receiver.requests) == 1
    held.refresh_from_db()
    assert "restricted" in held.last_error


def test_a_stored_body_naming_an_unknown_kind_of_object_counts_as_restricted():
    from incidents.notify import payloads

    assert payloads.subjects_of_body({"incident": {"number": 4}, "reason": "x"}).incident_numbers == {4}
    assert payloads.subjects_of_body({"runbook": {"id": 1}}) is None
    assert payloads.subjects_of_body("not an object") is None
