"""Helpers for notification tests: run Celery tasks in-process and sweep at a frozen instant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
import time_machine

from config.celery import app as celery_app


@pytest.fixture
def eager_celery():
    """Run `apply_async` in-process, so a published notification is delivered at once."""
    from incidents.notify import delivery as notify

    notify._broker_down_until = 0.0
    celery_app.conf.task_always_eager = True
    yield celery_app
    celery_app.conf.task_always_eager = False


@pytest.fixture
def sweep_at(eager_celery, django_capture_on_commit_callbacks) -> Callable:
    """`sweep_at(when)` freezes the clock at `when` (aware), runs one reminder sweep and delivers what it
    claimed; returns the sweep's counts."""
    from incidents.notify.reminders import reminders_sweep

    def run(when: datetime, fn: Callable | None = None) -> dict:
        with time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True):
            return (fn or reminders_sweep)()

    return run
