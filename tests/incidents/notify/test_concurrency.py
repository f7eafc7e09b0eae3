"""Two sweeps (and two digest runs) at the same time on PostgreSQL send each email once."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
import time_machine
from django.core import mail
from django.db import connection

from incidents.models import Notification
from incidents.notify.digests import digests_sweep
from incidents.notify.reminders import reminders_sweep
from tests.factories import ActionItemFactory, UserFactory

NOW = dt.datetime(2026, 6, 15, 9, 30, tzinfo=dt.UTC)  # a Monday, after 09:00 UTC


def _run_twice_at_once(fn) -> list[BaseException]:
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work():
        try:
            barrier.wait()
            fn()
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    with time_machine.travel(NOW, tick=False):
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    return errors


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_and_digest_runs_send_each_email_once(requires_postgres, eager_celery):
    owners = [UserFactory(email=f"owner{n}@example.com") for n in range(30)]
    for n, owner in enumerate(owners):
        ActionItemFactory(owner=owner, incident=None, due_date=dt.date(2026, 6, 10 + n % 8))
    assert _run_twice_at_once(reminders_sweep) == []
    assert _run_twice_at_once(digests_sweep) == []
    per_message = Counter((m.to[0], m.subject) for m in mail.outbox)
    assert per_message
    assert max(per_message.values()) == 1
    reminders = [m for m in mail.outbox if m.subject.startswith("Action item")]
    digests = [m for m in mail.outbox if m.subject.startswith("Hindsight: last week")]
    assert len(reminders) == 30
    assert len(digests) == 30
    assert Notification.objects.filter(status="sent").count() == 60
