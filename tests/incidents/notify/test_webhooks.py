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
from incidents.notify import webhooks
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
def eager(monkeypatch):
    """Run queued deliveries inline, retries included (Celery's eager `apply` follows `retry`)."""
    monkeypatch.setattr(webhooks, "_enqueue", lambda pk: webhooks.deliver_webhook.apply(args=(pk,)))


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
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 2, 200)
    assert receiver.requests[0][0]["X-Hindsight-Delivery"] == delivery.event_id
    log = api_for(admin_user).get(f"/api/v1/webhooks/{registered.json()['id']}/deliveries/").json()
    assert log["results"][0]["status"] == "delivered"


def test_old_timestamp_fails_the_documented_check():
    verify = readme_recipe()
    body = b'{"id":"x"}'
    ts = "1000000000"
    headers = {"X-Hindsight-Timestamp": ts, "X-Hindsight-Signature": webhooks.signature(SECRET, ts, body)}
    assert not verify(SECRET, headers, body)


def test_a_receiver_that_keeps_failing_marks_the_delivery_failed(
    eager, django_capture_on_commit_callbacks, outbound_allowed
):
    from incidents.incident.services import incident_declare

    WebhookEndpoint.objects.create(url="http://127.0.0.1:9/", events=["incident.declared"], secret=SECRET)
    with Receiver([500] * 10, allowed=outbound_allowed) as receiver:
        WebhookEndpoint.objects.update(url=receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            incident_declare(actor=None, title="Disk full", severity="SEV3")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.attempts == webhooks.MAX_ATTEMPTS
    assert delivery.response_code == 500
    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS


def test_backoff_never_exceeds_sixty_seconds():
    delays = [webhooks.backoff_seconds(n) for n in range(1, 12)]
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
    monkeypatch.setattr(webhooks, "_enqueue", lambda pk: None)
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

    from incidents.models import WebhookDelivery, WebhookEndpoint
    from incidents.notify import webhooks

    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 443))],
    )
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.rebound.example/x", events=["incident.declared"], secret=SECRET
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event="incident.declared", event_id="e1", payload={}
    )
    assert webhooks.attempt_delivery(delivery) is False
    delivery.refresh_from_db()
    assert "10.1.2.3" in delivery.last_error
    assert delivery.response_code is None
