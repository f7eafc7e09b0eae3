"""When a write happened: now, or the time a backfill or the demo gives (`at=`): reviews, factors and
action items the demo records in the past."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def happened_at(at: datetime | None) -> datetime:
    """When a write happened: `at` (aware: a backfill or the demo recording the past), else now.
    Raises ValueError for a naive or future `at` (a caller's mistake, never user input)."""
    now = timezone.now()
    if at is None:
        return now
    if timezone.is_naive(at) or at > now:
        raise ValueError(f"`at` must be aware and not in the future, got {at!r}")
    return at
