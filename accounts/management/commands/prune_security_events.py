"""Delete security events older than SECURITY_EVENT_RETENTION_DAYS (never less than a year)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from accounts.security import retention_days, security_events_prune


class Command(BaseCommand):
    help = "Delete security events older than the retention period (at least 366 days)."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = security_events_prune()
        self.stdout.write(f"Deleted {deleted} security events older than {retention_days()} days.")
