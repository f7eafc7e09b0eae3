"""Claims: a delivery happens only after its `Notification` row is INSERTed (unique on recipient, kind,
object and period). A conflict on that key means someone (another sweep, a second beat, a retried task)
already claimed it, so there is nothing to do.

The check for existing claims looks rows up by that whole key, through the unique index, so its cost
depends on how many deliveries a sweep wants, not on how many were ever sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from incidents.models import DeliveryStatus, Notification

CHUNK = 500


def notification_claim(
    *,
    recipient: str,
    kind: str,
    object_key: str,
    period: str,
    user: Any = None,
    user_id: int | None = None,
    subject: str = "",
) -> Notification | None:
    """Claim one delivery by INSERTing its row; None when it was already claimed.

    The unique constraint (recipient, kind, object_key, period) decides: on PostgreSQL a concurrent
    claimer blocks until the first commits and then gets the conflict, so exactly one wins.
    """
    try:
        with transaction.atomic():
            return Notification.objects.create(
                recipient=recipient[:254],
                user_id=getattr(user, "pk", None) or user_id,
                kind=kind,
                object_key=object_key[:100],
                period=period[:40],
                subject=subject[:255],
            )
    except IntegrityError:
        return None


@dataclass(frozen=True)
class Wanted:
    """A delivery a sweep would like to make; `snapshot` and `event_at` (aware) are stored on the row
    as they are (an incident event's state: `event_state.py`), not part of its key."""

    recipient: str
    kind: str
    object_key: str
    period: str
    user_id: int | None = None
    snapshot: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    event_at: datetime | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """The delivery key as stored (each part cut to its column's length)."""
        return (self.recipient[:254], self.kind[:40], self.object_key[:100], self.period[:40])


def notifications_claim_many(wanted: Iterable[Wanted]) -> list[int]:
    """Claim each wanted delivery not yet claimed; returns the ids of the rows this call inserted.

    Per 500 wanted rows: one SELECT skips those already claimed (the common case for a sweep that runs
    every few minutes, see `claimed_keys`), then one `INSERT ... ON CONFLICT DO NOTHING RETURNING id`
    claims the rest; only rows this statement inserted come back, so a concurrent claimer (which waits
    on PostgreSQL for the first to commit) gets nothing for them. Rows are inserted in key order so two
    claimers never deadlock.
    """
    wanted = sorted({w.key: w for w in wanted}.values(), key=lambda w: w.key)
    ids: list[int] = []
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        existing = claimed_keys([w.key for w in chunk])
        missing = [w for w in chunk if w.key not in existing]
        if missing:
            ids += _insert_claims(missing)
    return ids


def claimed_keys(keys: list[tuple[str, str, str, str]]) -> set[tuple[str, str, str, str]]:
    """Which of `keys` (recipient, kind, object key, period; at most a few hundred) are claimed already.

    A join of the keys (a VALUES list) with the table on the whole delivery key, so the database looks
    each one up in the unique index (`unique_delivery`): one index probe per key, whatever the table's
    size. Filtering on kind and object alone would read every period ever sent for those objects.
    """
    if not keys:
        return set()
    table = Notification._meta.db_table
    values = ", ".join(["(%s, %s, %s, %s)"] * len(keys))
    sql = (
        f"SELECT n.recipient, n.kind, n.object_key, n.period FROM {table} n "  # noqa: S608 - fixed names
        f"JOIN (VALUES {values}) AS wanted ON n.recipient = wanted.column1 AND n.kind = wanted.column2 "
        "AND n.object_key = wanted.column3 AND n.period = wanted.column4"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [part for key in keys for part in key])
        return {(row[0], row[1], row[2], row[3]) for row in cursor.fetchall()}


def _insert_claims(rows: list[Wanted]) -> list[int]:
    table = Notification._meta.db_table
    columns = (
        "recipient", "user_id", "kind", "object_key", "period", "subject", "status", "attempts",
        "last_error", "created_at", "snapshot", "event_at",
    )  # fmt: skip
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    snapshot_field = Notification._meta.get_field("snapshot")
    params: list[Any] = []
    for w in rows:
        recipient, kind, object_key, period = w.key
        snapshot = snapshot_field.get_db_prep_save(w.snapshot or {}, connection)
        event_at = connection.ops.adapt_datetimefield_value(w.event_at)
        params += [recipient, w.user_id, kind, object_key, period, "", DeliveryStatus.PENDING, 0, "", now]
        params += [snapshot, event_at]
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {placeholders} "  # noqa: S608 - fixed names
        "ON CONFLICT (recipient, kind, object_key, period) DO NOTHING RETURNING id"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]
