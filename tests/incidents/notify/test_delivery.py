"""Delivery: the claim decides, the lease guards a retry, transient errors retry, permanent ones stay."""

from __future__ import annotations

import ast
import datetime as dt
import smtplib
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse

from incidents.models import Notification
from incidents.notify import delivery as notify
from incidents.notify.claims import notification_claim
from incidents.notify.delivery import TransientSendError, backoff_seconds, notification_deliver
from tests.factories import ActionItemFactory, UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def claimed():
    owner = UserFactory(email="owner@example.com")
    item = ActionItemFactory(owner=owner, due_date=dt.datetime.now(dt.UTC).date())
    return notification_claim(
        recipient=owner.email,
        kind="reminder.due_today",
        object_key=f"action_item:{item.pk}",
        period=item.due_date.isoformat(),
        user=owner,
    )


def test_a_second_claim_of_the_same_delivery_gets_nothing(claimed):
    again = notification_claim(
        recipient=claimed.recipient, kind=claimed.kind, object_key=claimed.object_key, period=claimed.period
    )
    assert again is None
    assert Notification.objects.count() == 1


def test_running_the_send_twice_sends_one_email(claimed):
    assert notification_deliver(notification_id=claimed.pk) == "sent"
    assert notification_deliver(notification_id=claimed.pk) == "busy"
    assert len(mail.outbox) == 1
    claimed.refresh_from_db()
    assert claimed.status == "sent"
    assert claimed.sent_at is not None
    assert claimed.attempts == 1


def test_a_row_held_by_a_live_worker_is_not_sent_again_until_its_lease_expires(claimed, settings):
    Notification.objects.filter(pk=claimed.pk).update(
        status="sending", locked_until=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)
    )
    assert notification_deliver(notification_id=claimed.pk) == "busy"
    Notification.objects.filter(pk=claimed.pk).update(
        locked_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    )
    assert notification_deliver(notification_id=claimed.pk) == "sent"
    assert len(mail.outbox) == 1


class FailingBackend(BaseEmailBackend):
    """An email backend that raises `FailingBackend.error` for every send."""

    error: Exception = OSError("unset")

    def send_messages(self, email_messages):
        raise FailingBackend.error


@pytest.fixture
def fail_with(settings):
    def use(exc: Exception) -> None:
        FailingBackend.error = exc
        settings.EMAIL_BACKEND = "tests.incidents.notify.test_delivery.FailingBackend"

    return use


def test_a_transient_smtp_error_puts_the_row_back_to_pending(claimed, settings, fail_with):
    fail_with(ConnectionRefusedError("refused"))
    with pytest.raises(TransientSendError):
        notification_deliver(notification_id=claimed.pk)
    claimed.refresh_from_db()
    assert claimed.status == "pending"
    assert "refused" in claimed.last_error


def test_a_permanent_smtp_error_is_recorded_as_failed(claimed, fail_with):
    refused = smtplib.SMTPRecipientsRefused({"owner@example.com": (550, b"no such user")})
    fail_with(refused)
    assert notification_deliver(notification_id=claimed.pk) == "failed"
    claimed.refresh_from_db()
    assert claimed.status == "failed"
    assert "550" in claimed.last_error


def test_transient_errors_give_up_after_the_maximum_attempts(claimed, settings, fail_with):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    fail_with(TimeoutError())
    with pytest.raises(TransientSendError):
        notification_deliver(notification_id=claimed.pk)
    assert notification_deliver(notification_id=claimed.pk) == "failed"
    claimed.refresh_from_db()
    assert claimed.status == "failed"
    assert "Gave up after 2 attempts" in claimed.last_error


def test_backoff_doubles_and_never_exceeds_a_minute(settings):
    settings.NOTIFY_RETRY_BASE_SECONDS = 10
    assert [backoff_seconds(n) for n in range(6)] == [10, 20, 40, 60, 60, 60]


def test_no_task_is_scheduled_with_an_eta_or_a_countdown_over_a_minute():
    """Scan the code: `eta=` is never used; `countdown=` is a constant ≤ 60 or `backoff_seconds(...)`."""
    problems = []
    files = [p for d in ("incidents", "accounts", "config", "scripts") for p in (ROOT / d).rglob("*.py")]
    assert len(files) > 10
    for path in files:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                if kw.arg == "eta":
                    problems.append(f"{where}: eta= (use a sweep)")
                elif kw.arg == "countdown":
                    value = kw.value
                    if isinstance(value, ast.Constant) and isinstance(value.value, int | float):
                        if value.value > 60:
                            problems.append(f"{where}: countdown={value.value}")
                    elif not (
                        isinstance(value, ast.Call)
                        and getattr(value.func, "attr", getattr(value.func, "id", "")) == "backoff_seconds"
                    ):
                        problems.append(f"{where}: countdown is not a constant or backoff_seconds()")
    assert problems == []


@pytest.fixture
def stalled_broker():
    """A TCP server that accepts connections and never answers: a stalled Redis."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    server.close()


def _use_broker(app: Any, url: str, options: dict[str, Any]) -> None:
    """Point Celery at `url` and drop its pooled connections, so the next publish dials that broker."""
    app.conf.update(broker_url=url, broker_transport_options=options)
    app._pool = None  # Celery's private connection pool
    app.amqp._producer_pool = None


@pytest.mark.parametrize("broker", ["stopped", "stalled"])
def test_with_the_broker_down_declaring_succeeds_within_2_seconds_and_the_sweep_sends_later(
    responder, team, settings, django_capture_on_commit_callbacks, broker, stalled_broker
):
    from config.celery import app
    from incidents.incident.services.declare import incident_declare
    from incidents.models import Subscription
    from incidents.notify.reminders import reminders_sweep
    from tests.factories import MembershipFactory, ServiceFactory

    service = ServiceFactory(team=team)
    for n in range(5):
        member = MembershipFactory(user=UserFactory(email=f"sub{n}@example.com"), team=team).user
        Subscription.objects.create(user=member, service=service)
    old_url, old_opts = app.conf.broker_url, app.conf.broker_transport_options
    # Stopped: nothing listens on port 1. Stalled: connections are accepted and never answered.
    _use_broker(
        app,
        "redis://127.0.0.1:1/0" if broker == "stopped" else stalled_broker,
        settings.CELERY_BROKER_TRANSPORT_OPTIONS
        | {"socket_timeout": 2, "socket_connect_timeout": 2, "max_retries": 1},
    )
    notify._broker_down_until = 0.0
    reverse("incidents:dashboard")  # load the URLconf now: a cold import is not what this test times
    try:
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            incident = incident_declare(
                actor=responder, title="Broker down", severity="SEV2", services=[service]
            )
        elapsed = time.monotonic() - started
    finally:
        _use_broker(app, old_url, old_opts)
        notify._broker_down_until = 0.0
    assert incident.pk
    assert elapsed < 2.0
    assert Notification.objects.filter(status="pending").count() == 5
    # The broker is back (eager here); the next sweep after a minute sends each pending row once.
    app.conf.task_always_eager = True
    try:
        Notification.objects.update(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2))
        with django_capture_on_commit_callbacks(execute=True):
            reminders_sweep()
            reminders_sweep()
    finally:
        app.conf.task_always_eager = False
    assert sorted(m.to[0] for m in mail.outbox) == [f"sub{n}@example.com" for n in range(5)]


def test_admin_shows_failed_deliveries_with_their_error_and_can_retry_them(
    claimed, admin_user, client_for, fail_with, settings, django_capture_on_commit_callbacks
):
    refused = smtplib.SMTPRecipientsRefused({"owner@example.com": (550, b"mailbox unavailable")})
    fail_with(refused)
    notification_deliver(notification_id=claimed.pk)
    client = client_for(admin_user)
    page = client.get("/admin/incidents/notification/?status__exact=failed").content.decode()
    assert "owner@example.com" in page
    assert "mailbox unavailable" in page
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/admin/incidents/notification/",
                {"action": "retry_deliveries", "_selected_action": [claimed.pk]},
            )
    finally:
        app.conf.task_always_eager = False
    assert response.status_code == 302
    claimed.refresh_from_db()
    assert claimed.status == "sent"
    assert [m.to for m in mail.outbox] == [["owner@example.com"]]


def test_every_attempt_of_a_delivery_carries_the_same_message_id(claimed, settings):
    """A resend after an unknown outcome (worker killed between the server's acceptance and the row's
    update) must be recognisable as the same message, so mail systems keep one copy."""
    settings.SITE_URL = "https://hindsight.example.org"
    assert notification_deliver(notification_id=claimed.pk) == "sent"
    # The worker died before recording the send: the lease ran out and the row is pending again.
    Notification.objects.filter(pk=claimed.pk).update(locked_until=None, status="pending")
    assert notification_deliver(notification_id=claimed.pk) == "sent"
    ids = [m.message()["Message-ID"] for m in mail.outbox]
    assert ids == [f"<notification-{claimed.pk}@hindsight.example.org>"] * 2
