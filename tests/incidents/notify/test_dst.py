"""Daylight-saving changes: one reminder per local day, one digest per local week, no crash.

America/New_York springs forward on Sunday 8 March 2026 (02:00 does not exist) and falls back on
Sunday 1 November 2026 (01:00-01:59 happens twice); Europe/Berlin falls back on Sunday 25 October 2026
(02:00-02:59 twice). The sweeps run every 20-30 minutes of UTC time across each change.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter

import pytest
import time_machine
from django.core import mail

from incidents.models import Notification
from incidents.notify.digests import digest_window, digests_sweep
from tests.factories import ActionItemFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGES = [
    ("America/New_York", dt.date(2026, 3, 8)),
    ("America/New_York", dt.date(2026, 11, 1)),
    ("Europe/Berlin", dt.date(2026, 10, 25)),
]


def _every(start: dt.datetime, end: dt.datetime, minutes: int):
    t = start
    while t < end:
        yield t
        t += dt.timedelta(minutes=minutes)


@pytest.mark.parametrize(("zone", "change_day"), CHANGES, ids=[f"{z}-{d}" for z, d in CHANGES])
def test_one_reminder_per_local_day_across_a_dst_change(zone, change_day, sweep_at):
    tz = zoneinfo.ZoneInfo(zone)
    owner = UserFactory(email="owner@example.com", time_zone=zone)
    # Due the day after the change: due soon on change-2, due today on change+1, overdue from change+2.
    due = change_day + dt.timedelta(days=1)
    ActionItemFactory(owner=owner, due_date=due, title="Fix the prompt")
    start = dt.datetime.combine(change_day - dt.timedelta(days=3), dt.time(0), tzinfo=dt.UTC)
    sent_on: list[dt.date] = []
    for when in _every(start, start + dt.timedelta(days=6), 60):
        before = len(mail.outbox)
        sweep_at(when)
        sent_on += [when.astimezone(tz).date()] * (len(mail.outbox) - before)
    per_day = Counter(sent_on)
    assert max(per_day.values()) == 1, per_day
    assert [m.subject.split('" ', 1)[1] for m in mail.outbox] == [
        "is due in 3 days",
        "is due today",
        "is overdue by 1 day",
    ]
    assert sent_on == [due - dt.timedelta(days=3), due, due + dt.timedelta(days=1)]


@pytest.mark.parametrize(
    ("zone", "change_day", "hour"),
    [
        ("America/New_York", dt.date(2026, 3, 8), 2),  # 02:00 does not exist that Sunday
        ("America/New_York", dt.date(2026, 11, 1), 1),  # 01:00 happens twice
        ("Europe/Berlin", dt.date(2026, 10, 25), 2),  # 02:00 happens twice
    ],
)
def test_one_digest_per_local_week_across_a_dst_change(
    zone, change_day, hour, eager_celery, django_capture_on_commit_callbacks
):
    tz = zoneinfo.ZoneInfo(zone)
    user = UserFactory(email="digest@example.com", time_zone=zone, digest_weekday=6, digest_hour=hour)
    ActionItemFactory(owner=user, due_date=change_day + dt.timedelta(days=60), title="Something due")
    ActionItemFactory(owner=user, due_date=change_day, title="Due on the change day")
    start = dt.datetime.combine(change_day - dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
    sent_at: list[dt.datetime] = []
    # Saturday before the change to the Sunday after it: two digest days.
    for when in _every(start, start + dt.timedelta(days=9), 30):
        before = len(mail.outbox)
        with time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True):
            digests_sweep()
        sent_at += [when] * (len(mail.outbox) - before)
    local = [t.astimezone(tz) for t in sent_at]
    assert [t.date() for t in local] == [change_day, change_day + dt.timedelta(days=7)]
    assert all(t.hour >= hour for t in local)
    assert Notification.objects.filter(kind="digest.weekly", status="sent").count() == 2
    first = mail.outbox[0]
    window = digest_window(sent_at[0], zone)
    assert window.first == change_day - dt.timedelta(days=13)
    assert first.subject == (
        f"Hindsight: last week ({window.first:%a} {window.first.day} {window.first:%b} – "
        f"{window.last:%a} {window.last.day} {window.last:%b}) and the next seven days"
    )
    assert "Due in the next seven days" in first.body


@pytest.mark.parametrize(
    ("zone", "local_naive"),
    [
        ("America/New_York", dt.datetime(2026, 11, 1, 1, 30)),
        ("Europe/Berlin", dt.datetime(2026, 10, 25, 2, 30)),
        ("America/New_York", dt.datetime(2026, 3, 8, 3, 30)),
    ],
)
@pytest.mark.parametrize("fold", [0, 1])
def test_digest_window_is_half_open_local_week_in_a_repeated_hour(zone, local_naive, fold):
    tz = zoneinfo.ZoneInfo(zone)
    now = local_naive.replace(tzinfo=tz, fold=fold)
    window = digest_window(now, zone)
    assert window.first.weekday() == 0
    assert window.last.weekday() == 6
    assert (window.last - window.first).days == 6
    assert window.start.astimezone(tz).time() == dt.time(0)
    assert window.end.astimezone(tz).time() == dt.time(0)
    assert window.end.astimezone(tz).date() == window.last + dt.timedelta(days=1)
