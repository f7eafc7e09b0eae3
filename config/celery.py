"""The Celery app. Tasks live in `<app>/tasks.py`; the beat schedule is `CELERY_BEAT_SCHEDULE` in settings."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("hindsight")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["incidents.notify", "incidents.followup", "incidents.integrations.trackers"])
