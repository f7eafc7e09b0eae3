"""`manage.py sweep_reminders`: run one reminder sweep now (what beat runs every few minutes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from incidents.notify.reminders import reminders_sweep


class Command(BaseCommand):
    help = "Run one follow-up reminder sweep now; each reminder is still sent at most once."

    def handle(self, *args: Any, **options: Any) -> None:
        result = reminders_sweep()
        self.stdout.write(
            f"Claimed {result['claimed']} new reminder(s) from {result['considered']} due; "
            f"republished {result['republished']} pending notification(s)."
        )
