"""Weekly digests: per user at their local weekday and hour, per team to its leads.

A digest is claimed as `digest.weekly` / `user:<id>` / `<ISO year>-W<week>` of the user's local date
when it is sent, so one goes out per local week however often the sweep runs, across daylight-saving
changes and with two beats. It reports the previous local week, half-open:
`[Monday 00:00, next Monday 00:00)` in the user's zone. Its content is built at send time through the
permission scopes, so a restricted incident the user cannot see never appears, not even as a count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from django.utils import timezone

from incidents.notify import selectors
from incidents.notify.claims import Wanted, notifications_claim_many
from incidents.notify.delivery import notifications_publish
from incidents.notify.reminders import _zone


@dataclass(frozen=True)
class DigestWindow:
    """What a digest covers, as the reader reads it (all local dates in the reader's zone):

    - the recap: local dates `first`..`last` (Monday..Sunday of last week; for an on-demand digest, the
      week in progress, Monday..today), the UTC-aware half-open range `[start, end)` (`end` is next
      Monday 00:00, or now for the week in progress);
    - the look ahead: overdue items (due before `today`) and items due `today`..`ahead_until` (the next
      seven days, today included).
    `today` is the reader's local date when the digest is built."""

    today: date
    first: date
    last: date
    start: datetime
    end: datetime
    in_progress: bool = False

    @property
    def ahead_until(self) -> date:
        """The last local date of the look ahead: today + 6 days."""
        return self.today + timedelta(days=6)

    @property
    def period(self) -> str:
        """The ISO week of the send date, e.g. `2026-W11`: one digest per local week."""
        year, week, _ = self.today.isocalendar()
        return f"{year}-W{week:02d}"


def digest_window(now: datetime, time_zone: str, *, in_progress: bool = False) -> DigestWindow:
    """The previous local week for a user in `time_zone` at instant `now` (`in_progress`: the week in
    progress, Monday 00:00 to `now`, as an on-demand digest reports).

    Local midnight is resolved with zoneinfo (fold=0), so a Monday whose midnight is skipped or repeated
    by a daylight-saving change still gives a valid instant.
    """
    zone = _zone(time_zone)
    today = now.astimezone(zone).date()
    this_monday = today - timedelta(days=today.weekday())
    first = this_monday - timedelta(days=7)
    if in_progress:
        return DigestWindow(
            today=today,
            first=this_monday,
            last=today,
            start=local_midnight(this_monday, zone),
            end=now.astimezone(UTC),
            in_progress=True,
        )
    return DigestWindow(
        today=today,
        first=first,
        last=this_monday - timedelta(days=1),
        start=local_midnight(first, zone),
        end=local_midnight(this_monday, zone),
    )


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """The first instant (UTC-aware) of local date `day` in `zone`: 00:00, or the first time after a
    daylight-saving gap that swallows midnight (zoneinfo's fold=0 reads a skipped time at the old offset)."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def local_week(instant: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """The local week (Monday to Sunday in `zone`) holding aware `instant`, as the half-open UTC range
    `[Monday 00:00, next Monday 00:00)`. Consecutive weeks abut, so every instant is in exactly one."""
    today = instant.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    return local_midnight(monday, zone), local_midnight(monday + timedelta(days=7), zone)


def digests_due(*, now: datetime) -> list[Wanted]:
    """Digests whose local weekday and hour have come at `now`: each user's weekly digest and, for team
    leads, a team digest per team they lead (same week period)."""
    wanted: list[Wanted] = []
    due_users: dict[int, tuple[str, str]] = {}
    for tz in selectors.digest_time_zones():
        local = now.astimezone(_zone(tz))
        window = digest_window(now, tz)
        for row in selectors.digest_due_user_rows(time_zone=tz, weekday=local.weekday(), hour=local.hour):
            wanted.append(
                Wanted(row["email"], "digest.weekly", f"user:{row['id']}", window.period, row["id"])
            )
            due_users[row["id"]] = (row["email"], window.period)
    if due_users:
        for team_id, leads in selectors.team_leads_by_team().items():
            for user_id, email in leads:
                if user_id in due_users:
                    wanted.append(
                        Wanted(email, "digest.team", f"team:{team_id}", due_users[user_id][1], user_id)
                    )
    return wanted


def digests_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Claim every digest due at `now` and publish the new claims on commit. Safe to run concurrently."""
    now = now or timezone.now()
    ids = notifications_claim_many(digests_due(now=now))
    notifications_publish(ids)
    return {"claimed": len(ids)}


def digest_context(user: Any, *, now: datetime, in_progress: bool = False) -> dict[str, Any]:
    """Everything the weekly digest template needs for `user` at `now` (permission-scoped), plus
    `is_empty`. Use for sending and for `send_digests --dry-run` (`in_progress`: the week so far)."""
    window = digest_window(now, user.time_zone, in_progress=in_progress)
    content = selectors.digest_content_for(
        user,
        today=window.today,
        window_start=window.start,
        window_end=window.end,
        ahead_until=window.ahead_until,
        now=now,
    )
    return {
        "user": user,
        "window": window,
        **content,
        "is_empty": not any(content.values()),
    }
