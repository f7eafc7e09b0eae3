"""Incident events reach subscribers, the severity list and team chat, once; restricted stays private."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import time_machine
from django.core import mail

from incidents.errors import TransitionError
from incidents.incident.services.declare import incident_declare
from incidents.incident.services.lifecycle import incident_change_severity, incident_resolve
from incidents.models import Notification, SeverityMailingList, Subscription
from incidents.notify.transports import chat_payload
from incidents.timefmt import format_time
from tests.factories import ServiceFactory, UserFactory
from tests.mail import html_part

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat_server(outbound_allowed):
    """A local incoming-webhook endpoint recording the JSON bodies it receives (allowed as an outbound target)."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield outbound_allowed(f"http://127.0.0.1:{server.server_port}/hooks/abc"), received
    server.shutdown()


@pytest.fixture
def setup(team, viewer, responder, outsider, chat_server):
    service = ServiceFactory(name="Database", slug="database", team=team)
    Subscription.objects.create(user=viewer, service=service)
    Subscription.objects.create(user=outsider, service=service)  # cannot see internal incidents
    SeverityMailingList.objects.create(severity="SEV1", addresses="oncall@example.com\ndevops@example.com\n")
    team.chat_webhook_url = chat_server[0]
    team.save()
    return service


def _declare(actor, service, **kw):
    return incident_declare(
        actor=actor, title="Primary database deleted", severity="SEV1", services=[service], **kw
    )


def test_declaring_emails_subscribers_the_severity_list_and_posts_to_chat(
    setup, responder, viewer, chat_server, eager_celery, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://hs.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        incident = _declare(responder, setup)
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == ["devops@example.com", "oncall@example.com", viewer.email]
    message = next(m for m in mail.outbox if m.to == [viewer.email])
    assert message.subject == f"[SEV1] {incident.reference} declared: Primary database deleted"
    assert f"/incidents/{incident.number}/" in html_part(message)
    started = format_time(incident.started_at, dt.UTC, fmt="%H:%M")
    assert chat_server[1] == [
        {
            "text": f"[SEV1] {incident.reference} Primary database deleted: declared, started {started}. "
            f"https://hs.example.org/incidents/{incident.number}/"
        }
    ]


def test_incident_emails_give_times_in_the_recipients_zone_and_the_list_in_utc(
    setup, responder, viewer, eager_celery, django_capture_on_commit_callbacks
):
    viewer.time_zone = "Europe/Copenhagen"
    viewer.save()
    started = dt.datetime(2026, 1, 12, 9, 0, tzinfo=dt.UTC)
    with (
        time_machine.travel(started + dt.timedelta(minutes=20), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        _declare(responder, setup, started_at=started)
    personal = next(m for m in mail.outbox if m.to == [viewer.email])
    assert "Started: 2026-01-12 10:00 CET" in personal.body
    assert "2026-01-12 10:00 CET" in html_part(personal)
    assert "09:00 UTC" not in personal.body
    listed = next(m for m in mail.outbox if m.to == ["oncall@example.com"])
    assert "Started: 2026-01-12 09:00 UTC" in listed.body
    # The services are named, in both parts.
    assert "Services: Database\n" in personal.body
    assert "QuerySet" not in personal.body + html_part(personal)
    assert "<td>Database</td>" in html_part(personal)


def test_chat_gives_the_time_in_the_teams_zone_with_utc_beside_it(
    setup, team, responder, chat_server, eager_celery, django_capture_on_commit_callbacks
):
    team.time_zone = "Europe/Copenhagen"
    team.save()
    started = dt.datetime(2026, 7, 12, 13, 55, tzinfo=dt.UTC)
    with time_machine.travel(started + dt.timedelta(hours=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            incident = _declare(responder, setup, started_at=started)
        with django_capture_on_commit_callbacks(execute=True):
            incident_resolve(incident=incident, actor=responder)
    texts = [m["text"] for m in chat_server[1]]
    assert "declared, started 15:55 CEST (13:55 UTC)." in texts[0]
    assert "resolved at 16:55 CEST (14:55 UTC)." in texts[1]


def test_chat_read_on_another_day_carries_the_date(
    setup, team, responder, chat_server, eager_celery, django_capture_on_commit_callbacks
):
    team.time_zone = "Pacific/Auckland"
    team.save()
    started = dt.datetime(2017, 1, 31, 23, 27, tzinfo=dt.UTC)
    with (
        time_machine.travel(started + dt.timedelta(days=3), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        _declare(responder, setup, started_at=started)
    assert "started 2017-02-01 12:27 NZDT (2017-01-31 23:27 UTC)." in chat_server[1][0]["text"]


def test_team_chat_never_posts_to_this_machine(
    setup, responder, chat_server, eager_celery, django_capture_on_commit_callbacks, settings
):
    settings.OUTBOUND_ALLOWED_TARGETS = []  # the receiver on 127.0.0.1 is no longer allowed
    with django_capture_on_commit_callbacks(execute=True):
        _declare(responder, setup)
    assert chat_server[1] == []
    row = Notification.objects.get(recipient=chat_server[0])
    assert row.status == "failed"
    assert "127.0.0.1" in row.last_error


def test_raising_severity_and_resolving_notify_again_but_each_event_once(
    setup, responder, commander, viewer, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_declare(actor=responder, title="Slow checkout", severity="SEV3", services=[setup])
    assert [m.to for m in mail.outbox] == [[viewer.email]]  # no SEV3 list
    with django_capture_on_commit_callbacks(execute=True):
        incident_change_severity(incident=incident, actor=responder, severity="SEV1")
    with django_capture_on_commit_callbacks(execute=True):
        incident_resolve(incident=incident, actor=responder)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(TransitionError):
        incident_resolve(incident=incident, actor=responder)  # twice is refused, nothing sent
    subjects = [m.subject for m in mail.outbox if m.to == [viewer.email]]
    assert subjects == [
        f"[SEV3] {incident.reference} declared: Slow checkout",
        f"[SEV1] {incident.reference} raised to SEV1: Slow checkout",
        f"[SEV1] {incident.reference} resolved: Slow checkout",
    ]


def test_restricted_incident_reaches_only_subscribers_who_can_see_it(
    setup, responder, viewer, chat_server, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _declare(responder, setup, visibility="restricted")
    assert mail.outbox == []  # viewer is no participant; lists and chat never hear of restricted ones
    assert chat_server[1] == []
    Notification.objects.all().delete()


def test_an_address_outside_the_allow_list_is_skipped_and_recorded(
    setup, responder, settings, eager_celery, django_capture_on_commit_callbacks
):
    SeverityMailingList.objects.filter(severity="SEV1").update(addresses="boss@realcompany.com")
    with django_capture_on_commit_callbacks(execute=True):
        _declare(responder, setup)
    row = Notification.objects.get(recipient="boss@realcompany.com")
    assert row.status == "skipped"
    assert "EMAIL_ALLOWLIST" in row.last_error
    assert all(m.to != ["boss@realcompany.com"] for m in mail.outbox)


def test_in_production_the_allow_list_does_not_apply(settings):
    from incidents.notify.delivery import recipient_allowed

    assert not recipient_allowed("boss@realcompany.com")
    settings.HINDSIGHT_ENV = "production"
    assert recipient_allowed("boss@realcompany.com")


def test_chat_payload_is_slack_compatible_or_teams_shaped():
    assert chat_payload("https://hooks.slack.com/services/T/B/X", "hi") == {"text": "hi"}
    assert chat_payload("https://mattermost.example.org/hooks/x", "hi") == {"text": "hi"}
    teams = chat_payload("https://contoso.webhook.office.com/webhookb2/x", "hi")
    assert teams["@type"] == "MessageCard"
    assert teams["text"] == "hi"
    flow = chat_payload("https://prod-1.westeurope.logic.azure.com/workflows/x", "hi")
    assert flow["attachments"][0]["content"]["body"][0]["text"] == "hi"


def test_subscriber_to_one_incident_hears_status_changes(
    setup, responder, outsider, eager_celery, django_capture_on_commit_callbacks
):
    from incidents.incident.services.lifecycle import incident_change_status

    watcher = UserFactory(email="watcher@example.com")
    from accounts.models import Membership
    from tests.factories import MembershipFactory

    MembershipFactory(user=watcher, team=setup.team, role=Membership.Role.VIEWER)
    incident = _declare(responder, setup)
    Subscription.objects.create(user=watcher, incident=incident)
    with django_capture_on_commit_callbacks(execute=True):
        incident_change_status(incident=incident, actor=responder, status="identified")
    assert [m.subject for m in mail.outbox] == [
        f"[SEV1] {incident.reference} now identified: Primary database deleted"
    ]
