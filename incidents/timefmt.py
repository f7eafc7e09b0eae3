"""How Hindsight shows a duration and an instant: one rule each, used by pages, emails, chat, exports and PDF.

Durations (`format_duration`), the rule the pages state:

| seconds | shown as |
| --- | --- |
| None | `unknown` |
| 0 (or a negative value, which no derived duration produces) | `0 min` |
| more than 0 and under 60 (0.001 as well as 59.9) | `< 1 min` |
| under an hour | `47 min` |
| under a day | `18 h 47 min`, `3 h 0 min` |
| a day or more | `1 d 0 h 11 min`, `2 d 4 h 30 min` |

Every unit from the largest down to minutes is always written, so no minute is ever dropped, and the value is
cut, never rounded up (24 h 59 min 59 s is `1 d 0 h 59 min`). Seconds are not shown: the API carries them.

Instants (`format_time`): the wall-clock time in the viewer's (or recipient's) zone with the zone's
abbreviation, `2017-02-01 12:27 NZDT`; `offset=True` adds the UTC offset, `2017-02-01 12:27 NZDT, UTC+13:00`
(exports, PDF, plain-text email); `time_html` gives a `<time>` element with the offset on hover. A zone
whose abbreviation is only a number (`-03`) is written as its UTC offset, and UTC itself is written `UTC`
alone (not `UTC, UTC+00:00`), so the label never says the same thing twice. A naive datetime is a bug and
raises ValueError.

Two instants side by side (`format_times`, for every "old → new"): each as `format_time` writes it, except
that when both would read the same (they differ within one minute) both get their seconds
(`03:35:10 NPT → 03:35:50 NPT`), and their microseconds when they differ within one second, so a change
never reads as no change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

DURATION_RULE = (
    "Durations are cut to whole minutes, never rounded up; every unit down to minutes is written "
    "(1 d 0 h 11 min); under a minute is “< 1 min”."
)

DATE_MINUTE = "%Y-%m-%d %H:%M"
DATE_SECOND = "%Y-%m-%d %H:%M:%S"
CLOCK = "%H:%M"


def format_duration(seconds: float | None) -> str:
    """Seconds as `1 d 0 h 11 min`, `18 h 47 min`, `3 min`, `< 1 min`, `0 min`; None gives `unknown`.

    The rule is the module docstring's: cut to the minute, every unit down to minutes written; a negative
    value is shown as `0 min` (derived durations are never negative; see `incidents.incident.durations`).
    """
    if seconds is None:
        return "unknown"
    if seconds <= 0:
        return "0 min"
    if seconds < 60:  # anything above zero and under a minute, 0.001 s as well as 59.9 s
        return "< 1 min"
    total = int(seconds)  # int() truncates toward zero: never rounded up
    days, rem = divmod(total, 86400)
    hours, rem = divmod(rem, 3600)
    minutes = rem // 60
    if days:
        return f"{days} d {hours} h {minutes} min"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def offset_label(delta: timedelta | None) -> str:
    """A UTC offset as `UTC+02:00`, `UTC-03:30`, `UTC+00:00`."""
    minutes = int((delta or timedelta(0)).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h:02d}:{m:02d}"


def zone_name(zone: tzinfo) -> str:
    """The IANA name of `zone` when it has one (`America/New_York`), else its `str()`."""
    return getattr(zone, "key", None) or str(zone)


def _day(day: date, today: date) -> str:
    return f"{day.day} {day:%b}" + ("" if day.year == today.year else f" {day.year}")


def _offset_change(day: date, zone: tzinfo) -> tuple[timedelta, timedelta, datetime] | None:
    """The UTC offset change within local `day` in `zone`: (offset before, offset after, the instant of
    the change, aware UTC), or None when the day has one offset (the first change of a day with two)."""
    # From the last second of the day before: a change at midnight (clocks from 00:00 to 01:00) is this day's.
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC) - timedelta(seconds=1)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    before, after = start.astimezone(zone).utcoffset(), end.astimezone(zone).utcoffset()
    if before is None or after is None or before == after:
        return None
    while end - start > timedelta(seconds=1):  # the first instant at the new offset, to the second
        mid = start + (end - start) / 2
        if mid.astimezone(zone).utcoffset() == before:
            start = mid
        else:
            end = mid
    return before, after, end.replace(microsecond=0)


def _day_offsets(day: date, zone: tzinfo) -> str:
    """The UTC offset a bare clock time on local `day` has: `UTC+01:00` (at local noon), or on a
    daylight-saving change day both, with the wall-clock hour between them: `UTC+02:00 before 02:00 and
    UTC+01:00 from 03:00 (02:00–03:00 happens twice)`, `UTC+01:00 before 02:00 and UTC+02:00 from 03:00
    (02:00–03:00 does not exist)`."""
    change = _offset_change(day, zone)
    if change is None:
        return offset_label(datetime.combine(day, time(12), tzinfo=zone).utcoffset())
    before, after, at = change
    walls = sorted(((at + before).replace(tzinfo=None), (at + after).replace(tzinfo=None)))
    low, high = (f"{w:%H:%M}" for w in walls)
    what = "happens twice" if after < before else "does not exist"
    if walls[0].date() < day or (walls[0].date() == day and walls[0].time() == time(0) and after > before):
        return f"{offset_label(after)} ({low}–{high} {what})"  # nothing of the day is before the change
    return f"{offset_label(before)} before {low} and {offset_label(after)} from {high} ({low}–{high} {what})"


def typed_times_label(zone: tzinfo, days: Sequence[date], *, today: date) -> str:
    """What a time box says about the times typed into it: the zone, the UTC offset of each day a bare
    clock time is read on (at local noon) and those days, `times in Europe/Copenhagen, UTC+01:00, on 3 Mar`
    (`today (3 Mar)` when the only day is `today`; the year when it is not `today`'s; several days as
    `on 3 Mar to 4 Mar, the first day the time falls within the incident`, split by offset where a
    daylight-saving change lies between them; UTC itself without its offset, `times in UTC, today (30 Nov)`).
    A daylight-saving change day names both its offsets and the hour between them (`_day_offsets`:
    `times in Europe/Berlin, UTC+02:00 before 02:00 and UTC+01:00 from 03:00 (02:00–03:00 happens twice),
    on 25 Oct`), so the label never gives a time the offset it does not have. `days` is in order and not
    empty."""
    runs: list[tuple[str, list[date]]] = []
    for day in days:
        label = _day_offsets(day, zone)
        if runs and runs[-1][0] == label and " from " not in label:
            runs[-1][1].append(day)
        else:
            runs.append((label, [day]))

    def on(run: list[date]) -> str:
        if len(run) == 1 and run[0] == today:
            return f"today ({_day(today, today)})"
        if len(run) == 1:
            return f"on {_day(run[0], today)}"
        return f"on {_day(run[0], today)} to {_day(run[-1], today)}"

    name = zone_name(zone)
    if len(runs) == 1 and runs[0][0] == "UTC+00:00" and name in {"UTC", "Etc/UTC"}:
        where = on(runs[0][1])  # `times in UTC, today`: not `UTC, UTC+00:00`
    else:
        where = ", ".join(
            f"{label} {on(run)}" if len(runs) > 1 else f"{label}, {on(run)}" for label, run in runs
        )
    text = f"times in {name}, {where}"
    if len(days) > 1:
        text += ", the first day the time falls within the incident"
    return text


def to_zone(value: datetime, zone: tzinfo | None = None) -> datetime:
    """`value` (aware) in `zone` (default: the active zone); UTC when the zone cannot show it (year 1 or 9999)."""
    if timezone.is_naive(value):
        raise ValueError("a naive datetime reached a formatter; times are stored aware (UTC)")
    target = zone or timezone.get_current_timezone()
    try:
        return value.astimezone(target)
    except (OverflowError, ValueError):
        return value.astimezone(UTC)


def zone_label(local: datetime) -> str:
    """The abbreviation of `local`'s zone at that instant (`CEST`), or its offset when it has none (`UTC-03:00`)."""
    name = local.tzname() or ""
    if not name or name[0] in "+-" or name[0].isdigit():
        return offset_label(local.utcoffset())
    return name


def format_time(
    value: datetime | None,
    zone: tzinfo | None = None,
    *,
    fmt: str = DATE_MINUTE,
    offset: bool = False,
    empty: str = "unknown",
) -> str:
    """`value` (aware) in `zone` (default: the active zone) as `2017-02-01 12:27 NZDT`.

    `fmt` is a strftime pattern for the wall-clock part (`CLOCK` gives `12:27 NZDT`); `offset=True` appends
    `, UTC+13:00`. None gives `empty`. Minutes are cut, never rounded (12:27:59 is 12:27).
    """
    if value is None:
        return empty
    local = to_zone(value, zone)
    label = zone_label(local)
    text = f"{local.strftime(fmt)} {label}"
    if offset:
        off = offset_label(local.utcoffset())
        # The label already says it: an offset label (`UTC-03:00`), or UTC itself.
        if off != label and not (label == "UTC" and off == "UTC+00:00"):
            text += f", {off}"
    return text


def format_times(
    a: datetime | None,
    b: datetime | None,
    zone: tzinfo | None = None,
    *,
    fmt: str = DATE_MINUTE,
    offset: bool = False,
    empty: str = "unknown",
) -> tuple[str, str]:
    """`a` and `b` as `format_time` writes them, to be read side by side (`old → new`): when the two labels
    would be the same although the instants differ (one minute holds both), both carry their seconds
    (`2026-11-01 03:35:10 NPT`), and their microseconds when one second holds both. Same arguments as
    `format_time`; `fmt` must contain `%M`."""
    pair = (format_time(a, zone, fmt=fmt, offset=offset, empty=empty),
            format_time(b, zone, fmt=fmt, offset=offset, empty=empty))  # fmt: skip
    if a is None or b is None or a == b or pair[0] != pair[1]:
        return pair
    for finer in (fmt.replace("%M", "%M:%S"), fmt.replace("%M", "%M:%S.%f")):
        pair = (
            format_time(a, zone, fmt=finer, offset=offset),
            format_time(b, zone, fmt=finer, offset=offset),
        )
        if pair[0] != pair[1]:
            break
    return pair


def format_chat_time(value: datetime, zone: tzinfo, *, now: datetime | None = None) -> str:
    """An instant as every chat message writes it: in `zone` (the team's) with UTC beside it,
    `14:02 CET (13:02 UTC)`; the date when it is not today in `zone` (`2026-11-29 14:02 CET (13:02 UTC)`)
    and on the UTC side when UTC's date differs (`00:30 CET (2026-11-29 23:30 UTC)`); a UTC zone gives
    `13:02 UTC` alone. `now` (default: now) says which day is today."""
    local = to_zone(value, zone)
    today = to_zone(now or timezone.now(), zone).date()
    label = format_time(value, zone, fmt=CLOCK if local.date() == today else DATE_MINUTE)
    if zone_label(local) == "UTC":
        return label
    utc = value.astimezone(UTC)
    return f"{label} ({format_time(value, UTC, fmt=CLOCK if utc.date() == local.date() else DATE_MINUTE)})"


def time_html(
    value: datetime | None, zone: tzinfo | None = None, *, fmt: str = DATE_MINUTE, empty: str = "unknown"
) -> SafeString | str:
    """A `<time>` element: the `format_time` label, the instant as ISO-8601 with the local offset in
    `datetime` and the zone's UTC offset on hover
    (`<time datetime="2026-07-12T15:55:00+02:00" title="UTC+02:00">15:55 CEST</time>`)."""
    if value is None:
        return empty
    local = to_zone(value, zone)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        local.replace(microsecond=0).isoformat(),
        offset_label(local.utcoffset()),
        format_time(value, zone, fmt=fmt),
    )


def format_utc(value: datetime | None) -> str | None:
    """An instant as the API writes it: ISO-8601 in UTC with `Z` (`2017-01-31T23:27:00Z`), microseconds kept
    when present; None stays None."""
    if value is None:
        return None
    if timezone.is_naive(value):
        raise ValueError("a naive datetime reached a formatter; times are stored aware (UTC)")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
