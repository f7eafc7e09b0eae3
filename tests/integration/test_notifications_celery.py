"""Exactly once, for real: a Celery worker and beat on Redis, an SMTP server (aiosmtpd) counting mail.

Drills: two beat processes at once; the worker SIGKILLed in the middle of a batch and restarted; the
SMTP server down for a sweep and back; Redis (our own server on a private port) restarted between
sweeps. After each drill every expected message has arrived exactly once. Bounded to well under 2 min.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings

from incidents.models import Notification
from tests.factories import ActionItemFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """An SMTP server on a fixed port standing in for a mailbox: it keeps one copy per Message-ID, as mail
    systems do, and also counts what came over the wire. `delay` slows each DATA (before the message counts
    as accepted) so a kill can land in the middle of a batch.

    A worker killed after the server took the message but before the worker recorded it resends the same
    message (same Message-ID): `wire_copies` shows those resends; `count` and `duplicates` are what the
    person would see in their mailbox.
    """

    def __init__(self, port: int, delay: float = 0.0) -> None:
        self.port = port
        self.delay = delay
        self.received: dict[str, tuple[str, str]] = {}  # Message-ID -> (recipient, subject)
        self.wire: list[str] = []
        self.lock = threading.Lock()
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.delay:
            await asyncio.sleep(self.delay)
        parsed = email.message_from_bytes(envelope.content)
        subject = " ".join((parsed["Subject"] or "").split())
        message_id = parsed["Message-ID"] or f"<missing-{len(self.wire)}>"
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.wire.append(message_id)
                self.received.setdefault(f"{message_id} {rcpt}", (rcpt, subject))
        return "250 Message accepted"

    def count(self, prefix: str = "") -> int:
        with self.lock:
            return sum(1 for rcpt, _ in self.received.values() if rcpt.startswith(prefix))

    def duplicates(self) -> dict:
        """The same notification delivered as two different messages (distinct Message-IDs)."""
        with self.lock:
            return {k: v for k, v in Counter(self.received.values()).items() if v > 1}

    def wire_copies(self) -> int:
        """Messages that crossed the wire again with a Message-ID already accepted."""
        with self.lock:
            return len(self.wire) - len(set(self.wire))

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


class Fleet:
    """The worker and beat processes this test started (and only those), each in its own session."""

    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.env = env
        self.tmp = tmp
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> None:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def worker(self, name: str = "worker") -> None:
        self.start(
            name,
            "worker",
            "--pool=threads",
            "--concurrency=2",
            "-l",
            "INFO",
            "-n",
            f"{name}-{uuid.uuid4().hex[:6]}@%h",
        )

    def beat(self, name: str) -> None:
        self.start(name, "beat", "-l", "INFO", "-s", str(self.tmp / f"{name}-schedule"))

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.kill(name, signal.SIGTERM)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.tmp.glob("*.log")))


def wait_until(predicate, timeout: float, what: str, fleet: Fleet | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}" + (f"\n{fleet.logs()}" if fleet else ""))


def database_url() -> str:
    db = django_settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    auth = f"{user}:{db['PASSWORD']}@" if db.get("PASSWORD") else f"{user}@"
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def fleet_env(broker_url: str, smtp_port: int, tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.integration.notify_settings",
        HS_IT_PREFIX=f"hs-it-{uuid.uuid4().hex[:8]}:",
        DATABASE_URL=database_url(),
        CONN_MAX_AGE="0",
        CELERY_BROKER_URL=broker_url,
        REDIS_URL=broker_url,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        EMAIL_TIMEOUT="5",
        HINDSIGHT_ENV="test",
        HINDSIGHT_VAR_DIR=str(tmp / "var"),
        NOTIFY_SWEEP_SECONDS="2",
        NOTIFY_LEASE_SECONDS="4",
        NOTIFY_REPUBLISH_AFTER_SECONDS="3",
        NOTIFY_RETRY_BASE_SECONDS="1",
        NOTIFY_MAX_ATTEMPTS="50",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    return env


def overdue_items(prefix: str, n: int) -> None:
    """`n` owners (digests off) with one action item each, overdue on their (UTC) date."""
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    for i in range(n):
        owner = UserFactory(email=f"{prefix}{i}@example.com", digest_enabled=False)
        ActionItemFactory(owner=owner, incident=None, due_date=yesterday, title=f"{prefix} item {i}")


def test_two_beats_a_killed_worker_and_smtp_down_each_message_arrives_once(
    requires_redis, requires_postgres, tmp_path
):
    smtp = SmtpSink(free_port())
    smtp.start()
    fleet = Fleet(fleet_env(os.environ["REDIS_URL"], smtp.port, tmp_path), tmp_path)
    started = time.monotonic()
    try:
        # 1. Two beat processes at once.
        overdue_items("a", 15)
        fleet.worker()
        fleet.beat("beat1")
        fleet.beat("beat2")
        wait_until(lambda: smtp.count("a") >= 15, 45, "batch a", fleet)
        time.sleep(5)  # two or three more sweeps from each beat
        assert smtp.count("a") == 15
        assert smtp.duplicates() == {}
        fleet.kill("beat2")

        # 2. The worker SIGKILLed in the middle of a batch, then restarted.
        smtp.delay = 0.4
        overdue_items("b", 15)
        wait_until(lambda: smtp.count("b") >= 3, 30, "the first of batch b", fleet)
        fleet.kill("worker")
        got_before_kill = smtp.count("b")
        assert got_before_kill < 15
        fleet.worker("worker2")
        wait_until(lambda: smtp.count("b") >= 15, 45, "the rest of batch b", fleet)
        smtp.delay = 0.0

        # 3. The SMTP server down for a sweep and back.
        smtp.stop()
        overdue_items("c", 10)
        wait_until(
            lambda: Notification.objects.filter(recipient__startswith="c", attempts__gte=1).count() >= 10,
            30,
            "failed attempts of batch c",
            fleet,
        )
        assert Notification.objects.filter(recipient__startswith="c", status="sent").count() == 0
        smtp.start()
        wait_until(lambda: smtp.count("c") >= 10, 45, "batch c after SMTP came back", fleet)
        time.sleep(5)

        counts = {p: smtp.count(p) for p in "abc"}
        print(
            f"\nintegration counts: {counts}, batch b before kill: {got_before_kill}, "
            f"duplicates: {smtp.duplicates()}, resent over the wire after the kill: {smtp.wire_copies()}, "
            f"{time.monotonic() - started:.0f} s"
        )
        assert counts == {"a": 15, "b": 15, "c": 10}
        assert smtp.duplicates() == {}
        assert Notification.objects.filter(status="sent").count() == 40
    finally:
        fleet.stop_all()
        smtp.stop()


@pytest.fixture
def private_redis(tmp_path):
    """Our own redis-server on a private port (never the shared one), restartable by the test."""
    binary = shutil.which("redis-server")
    if not binary:
        pytest.skip("redis-server is not installed")
    port = free_port()

    def start() -> subprocess.Popen:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return proc
            except OSError:
                time.sleep(0.1)
        pytest.fail("private redis-server did not start")

    state = {"proc": start()}

    def restart_after(pause: float, during=None) -> None:
        state["proc"].kill()
        state["proc"].wait(timeout=10)
        if during:
            during()
        time.sleep(pause)
        state["proc"] = start()

    yield {"url": f"redis://127.0.0.1:{port}/0", "restart_after": restart_after}
    state["proc"].kill()
    state["proc"].wait(timeout=10)


def test_redis_restarted_between_sweeps_each_message_arrives_once(
    requires_redis, requires_postgres, private_redis, tmp_path
):
    smtp = SmtpSink(free_port())
    smtp.start()
    fleet = Fleet(fleet_env(private_redis["url"], smtp.port, tmp_path), tmp_path)
    try:
        overdue_items("d", 10)
        fleet.worker()
        fleet.beat("beat")
        wait_until(lambda: smtp.count("d") >= 10, 45, "batch d", fleet)
        # Redis goes away (losing every queued message) while new work is committed, then returns.
        private_redis["restart_after"](3, during=lambda: overdue_items("e", 10))
        wait_until(lambda: smtp.count("e") >= 10, 60, "batch e after Redis came back", fleet)
        time.sleep(4)
        counts = {p: smtp.count(p) for p in "de"}
        print(f"\nintegration counts after Redis restart: {counts}, duplicates: {smtp.duplicates()}")
        assert counts == {"d": 10, "e": 10}
        assert smtp.duplicates() == {}
    finally:
        fleet.stop_all()
        smtp.stop()
