"""Read the times responders type: `14:05`, `-5m`, `yesterday 23:40`, ISO-8601 with or without an offset.

Times without an offset are read as wall-clock times in the user's zone (an IANA `ZoneInfo`). A wall-clock
time that does not exist (the clocks jumped forward) or happens twice (the clocks went back) is refused
with `AmbiguousTimeError` / `NonExistentTimeError`, whose message names both possible instants, unless an
offset is given (`02:30 -05:00`, `2025-03-09T02:30:00-05:00`, `...Z`). Every result is an aware datetime
in UTC.

Accepted forms (case-insensitive, surrounding blanks ignored):

| form | meaning |
| --- | --- |
| empty, `now` | now |
| `-5m`, `-90s`, `-1h30m`, `-2d`, `5 min ago`, `1h ago` | that long before now |
| `14:05`, `14:05:30`, `9:05` | today at that time; if that is more than `max_future` ahead, yesterday (with `bare_clock`: see below) |
| `today 09:00`, `yesterday 23:40` | that day (in the user's zone) at that time |
| `2025-03-10 14:05`, `2025-03-10T14:05:30` | that wall-clock time in the user's zone |
| any of the clock forms followed by `Z`, `UTC`, `+02:00`, `-0500`, `+02` | that time at that offset |

A bare clock time (no `today`, `yesterday` or date) given with `bare_clock=(first, last)` (two aware instants)
is read on one of the local days from `first`'s to `last`'s instead of today, at that day's own UTC offset:
the first of those days on which the time falls between `first` and `last` (inclusive); when it falls
inside on none, the day whose reading lies nearest the span (the earlier on a tie). The timeline edit form
passes the entry's own instant twice (its day), quick add on a resolved incident its start and resolution
(`incidents.timeline.selectors.bare_clock_span`). A reading more than `max_future` ahead is never chosen;
when every day's is, the rule above (today, else yesterday) applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from incidents.timefmt import CLOCK, format_time, offset_label, zone_name

# A span of two aware instants (`first`, `last`) whose local days a bare clock time is read on.
BareClock = tuple[datetime, datetime]
# Beyond this many days a span's bare clock times are read on its first and last days only.
MAX_BARE_CLOCK_DAYS = 400

DEFAULT_MAX_FUTURE = timedelta(minutes=5)

# `UTC+13:45` (how every label writes an offset) reads back as well as `+13:45`.
_OFFSET = r"(?P<offset>z|(?:utc|gmt)?[+-]\d{2}(?::?\d{2})?|utc|gmt)"
_CLOCK = r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,6}))?)?"
_CLOCK_RE = re.compile(rf"^(?:(?P<day>today|yesterday)\s+)?{_CLOCK}\s*{_OFFSET}?$")
_ISO_RE = re.compile(rf"^(?P<date>\d{{4}}-\d{{2}}-\d{{2}})(?:t|\s+){_CLOCK}\s*{_OFFSET}?$")
# A date or clock followed by something offset-like that `_OFFSET` does not take (`+05:30:15`): its refusal
# is the one offset rule's (`offset_refusal`), not "cannot read".
_BAD_OFFSET_RE = re.compile(
    rf"^(?:\d{{4}}-\d{{2}}-\d{{2}}(?:t|\s+)|(?:today|yesterday)\s+)?{_CLOCK}\s*(?P<tail>(?:utc|gmt)?[+-]\S*)$"
)
_REL_PART = re.compile(
    r"(?P<n>\d+)\s*(?P<unit>d|days?|h|hrs?|hours?|m|mins?|minutes?|s|secs?|seconds?)(?=\d|\s|$)"
)
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


# The earliest time Hindsight accepts anywhere (forms, API, imports): earlier values are typing mistakes.
EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)


class TimeParseError(ValueError):
    """The text is not a time we can read; `str(err)` is a message for the user."""

    def __init__(self, message: str, candidates: tuple[datetime, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.candidates = candidates


class AmbiguousTimeError(TimeParseError):
    """The wall-clock time happens twice (clocks went back); `candidates` are both instants, earlier first."""


class NonExistentTimeError(TimeParseError):
    """The wall-clock time never happens (clocks jumped forward); `candidates` are both readings."""


@dataclass(frozen=True)
class ParsedTime:
    """A parsed time: `instant` (aware, UTC) and whether the text carried its own offset."""

    instant: datetime
    explicit_offset: bool


def _fmt_local(value: datetime, zone: tzinfo, fmt: str = "%Y-%m-%d %H:%M", *, offset: bool = False) -> str:
    """`format_time`'s label (`2026-11-02 00:45 UTC+13:45`), with the seconds when the instant has them
    (and its UTC offset with `offset`: `2026-10-25 01:30 CEST, UTC+02:00`)."""
    if value.astimezone(zone).second:
        fmt = fmt.replace("%H:%M", "%H:%M:%S")
    return format_time(value, zone, fmt=fmt, offset=offset)


def _fmt_offset(delta: timedelta | None) -> str:
    """An offset as typed after a time (`+13:45`): `offset_label` without its `UTC`."""
    return offset_label(delta).removeprefix("UTC")


def localize(wall: datetime, zone: tzinfo) -> datetime:
    """Attach `zone` to the naive wall-clock time `wall`; return it aware, in UTC.

    Raises NonExistentTimeError for a time inside a daylight-saving gap and AmbiguousTimeError for a
    time in an overlap; both messages name the two possible instants (in the zone and in UTC) and the
    offsets that would pick each.
    """
    if wall.tzinfo is not None:
        raise ValueError("localize() takes a naive wall-clock time")
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC)
    a, b = first.astimezone(UTC), second.astimezone(UTC)
    earlier, later = sorted([(a, first.utcoffset()), (b, second.utcoffset())], key=lambda p: p[0])
    wall_text = wall.strftime("%Y-%m-%d %H:%M" + (":%S" if wall.second else ""))

    def hint(offset: timedelta | None) -> str:
        return f'Add the offset you mean, for example "{wall_text} {_fmt_offset(offset)}".'

    round_trip = a.astimezone(zone).replace(tzinfo=None)
    if round_trip != wall:
        # A skipped time read at each offset lands on a real instant with its own (other) label: say
        # which offset gives which instant, never a label beside an offset it does not have.
        readings = "; ".join(
            f"with offset {_fmt_offset(offset)} it is {_fmt_local(instant, zone)} ({format_time(instant, UTC, fmt=CLOCK)})"
            for instant, offset in (earlier, later)
        )
        raise NonExistentTimeError(
            f"{wall_text} does not exist in {zone_name(zone)}: the clocks jumped forward. "
            f"{readings[0].upper()}{readings[1:]}. {hint(later[1])}",
            (earlier[0], later[0]),
        )
    options = " or ".join(
        f"{_fmt_local(instant, zone)} ({format_time(instant, UTC, fmt=CLOCK)}, offset {_fmt_offset(offset)})"
        for instant, offset in (earlier, later)
    )
    raise AmbiguousTimeError(
        f"{wall_text} happens twice in {zone_name(zone)}: the clocks went back. "
        f"It could mean {options}. {hint(earlier[1])}",
        (earlier[0], later[0]),
    )


# The UTC offsets in use anywhere: Baker Island's -12:00 to Kiribati's +14:00 (whole minutes).
MIN_OFFSET = timedelta(hours=-12)
MAX_OFFSET = timedelta(hours=14)
_OFFSET_TEXT = re.compile(
    r"^(?:utc|gmt)?(?P<sign>[+-])(?P<hours>\d{2})(?::?(?P<minutes>\d{2})(?::?(?P<seconds>\d{2}(?:[.,]\d+)?))?)?$",
    re.I,
)


def offset_refusal(offset: timedelta | str | None) -> str | None:
    """Why `offset` cannot be the UTC offset of a time given to Hindsight, or None when it can: the one
    offset rule of every time input (query parameters, API bodies, quick add, the edit form, imports,
    typed boxes). An offset lies between -12:00 and +14:00 in whole minutes (one with seconds, `+05:30:15`,
    is refused naming it and its minutes); `offset` is a timedelta (an
    aware datetime's `utcoffset()`) or the text after a time (`Z`, `UTC`, `+02:00`, `-0500`, `+02`,
    `UTC+05:45`; case-insensitive). None is no offset, which this rule does not judge."""
    if offset is None:
        return None
    typed: str | None = None
    if isinstance(offset, str):
        typed = offset.strip()
        if typed.lower() in {"z", "utc", "gmt"}:
            return None
        m = _OFFSET_TEXT.match(typed)
        if m is None:
            return f"{typed[:20]} is not a UTC offset (use e.g. +02:00 or -05:00)."
        hours, minutes = int(m["hours"]), int(m["minutes"] or 0)
        if minutes > 59:
            return f"{typed} is not a UTC offset: its minutes go up to 59 (use e.g. +05:45)."
        if m["seconds"] is not None:
            minute = f"{m['sign']}{m['hours']}:{m['minutes']}"
            return (
                f"{typed} is not a UTC offset in use: offsets are whole hours and minutes ({minute}, not "
                f"{typed}), between -12:00 and +14:00."
            )
        delta = (-1 if m["sign"] == "-" else 1) * timedelta(hours=hours, minutes=minutes)
    else:
        delta = offset
    if delta % timedelta(minutes=1) or not MIN_OFFSET <= delta <= MAX_OFFSET:
        shown = typed or offset_label(delta)
        return f"{shown} is not a UTC offset in use: offsets lie between -12:00 and +14:00."
    return None


def parse_offset(text: str | None) -> tzinfo | None:
    """A lower-case offset (`z`, `utc`, `gmt`, `+02:00`, `-0500`, `+02`) as a fixed zone; None for None.
    Raises TimeParseError for an offset `offset_refusal` refuses (outside -12:00 .. +14:00)."""
    if text is None:
        return None
    if text in {"z", "utc", "gmt"}:
        return UTC
    why = offset_refusal(text)
    if why is not None:
        raise TimeParseError(why)
    text = text.removeprefix("utc").removeprefix("gmt")
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0)))


def _clock(match: re.Match[str]) -> time:
    hour, minute = int(match["hour"]), int(match["minute"])
    second = int(match["second"] or 0)
    micro = int((match["fraction"] or "0").ljust(6, "0"))
    if hour > 23 or minute > 59 or second > 59:
        raise TimeParseError(f"{match.group(0).strip()} is not a time of day (00:00 to 23:59).")
    return time(hour, minute, second, micro)


def _combine(day: date, clock: time, offset: tzinfo | None, zone: tzinfo) -> datetime:
    wall = datetime.combine(day, clock)
    if offset is not None:
        return wall.replace(tzinfo=offset).astimezone(UTC)
    return localize(wall, zone)


def _relative(text: str) -> timedelta | None:
    body = text
    if body.startswith("-"):
        body = body[1:].strip()
    elif body.endswith("ago"):
        body = body[: -len("ago")].strip()
    else:
        return None
    if not body:
        return None
    total, pos = 0, 0
    compact = body.replace(" ", "") if re.fullmatch(r"[\d\sa-z]+", body) else body
    while pos < len(compact):
        m = _REL_PART.match(compact, pos)
        if not m:
            return None
        total += int(m["n"]) * _UNIT_SECONDS[m["unit"][0]]
        pos = m.end()
    return timedelta(seconds=total)


def parse_time(
    text: str | None,
    *,
    zone: tzinfo,
    now: datetime,
    max_future: timedelta | None = DEFAULT_MAX_FUTURE,
    bare_clock: BareClock | None = None,
) -> ParsedTime:
    """Read `text` as a time for a user in `zone` at `now` (aware). Returns a ParsedTime in UTC.

    `max_future` bounds how far ahead of `now` the result may be (None: no bound); a bare clock time
    that would be further ahead is read as yesterday's. `bare_clock` (two aware instants) reads a bare
    clock time on the days of that span instead (the module docstring's rule). Times before 1970 are
    refused. Raises TimeParseError (or its DST subclasses) with a message meant for the user, never
    anything else.
    """
    try:
        parsed = _parse_time(text, zone=zone, now=now, max_future=max_future, bare_clock=bare_clock)
    except (OverflowError, ArithmeticError):
        raise TimeParseError(f"{(text or '').strip()!r} is too far from now to be a time.") from None
    if parsed.instant < EARLIEST_TIME:
        raise TimeParseError("Times before 1970 are not accepted; check the year.")
    return parsed


def _parse_time(
    text: str | None,
    *,
    zone: tzinfo,
    now: datetime,
    max_future: timedelta | None = DEFAULT_MAX_FUTURE,
    bare_clock: BareClock | None = None,
) -> ParsedTime:
    """`parse_time` without its range checks (same arguments and errors)."""
    if now.tzinfo is None:
        raise ValueError("now must be aware")
    raw = (text or "").strip()
    lowered = re.sub(r"\s+", " ", raw.lower())
    if lowered in {"", "now"}:
        return ParsedTime(now.astimezone(UTC), explicit_offset=False)

    delta = _relative(lowered)
    if delta is not None:
        return ParsedTime((now - delta).astimezone(UTC), explicit_offset=True)

    result: datetime
    m = _ISO_RE.match(lowered)
    if m:
        try:
            day = date.fromisoformat(m["date"])
        except ValueError:
            raise TimeParseError(f"{m['date']} is not a calendar date (YYYY-MM-DD).") from None
        offset = parse_offset(m["offset"])
        result = _combine(day, _clock(m), offset, zone)
    else:
        m = _CLOCK_RE.match(lowered)
        if not m:
            bad = _BAD_OFFSET_RE.match(lowered)
            why = offset_refusal(raw[raw.lower().rindex(bad["tail"]) :]) if bad else None
            if why is not None:
                raise TimeParseError(why)
            raise TimeParseError(
                f"Cannot read {raw!r} as a time. Use 14:05, -5m, yesterday 23:40 or 2025-03-10T14:05+02:00."
            )
        offset = parse_offset(m["offset"])
        clock = _clock(m)
        limit = None if max_future is None else now + max_future
        on_span = None
        if m["day"] is None and bare_clock is not None:
            on_span = _on_span_days(clock, offset, zone, bare_clock, limit)
        if on_span is not None:
            result = on_span
        else:
            day = now.astimezone(offset or zone).date()
            if m["day"] == "yesterday":
                day -= timedelta(days=1)
            result = _combine(day, clock, offset, zone)
            if m["day"] is None and limit is not None and result > limit:
                result = _combine(day - timedelta(days=1), clock, offset, zone)
    if max_future is not None and result > now + max_future:
        raise TimeParseError(
            f"{_fmt_local(result, zone)} is in the future; timeline entries record what already happened."
        )
    return ParsedTime(result, explicit_offset=m["offset"] is not None)


def bare_clock_days(span: BareClock, zone: tzinfo) -> list[date]:
    """The local days (in `zone`) a bare clock time is read on for `span`: `first`'s day to `last`'s, in
    order; only those two when the span covers more than `MAX_BARE_CLOCK_DAYS`."""
    first, last = (value.astimezone(zone).date() for value in span)
    if last < first:
        first, last = last, first
    count = (last - first).days + 1
    if count > MAX_BARE_CLOCK_DAYS:
        return [first, last]
    return [first + timedelta(days=n) for n in range(count)]


def _distance(instant: datetime, span: BareClock) -> timedelta:
    first, last = min(span), max(span)
    if instant < first:
        return first - instant
    return max(instant - last, timedelta(0))


def _on_span_days(
    clock: time, offset: tzinfo | None, zone: tzinfo, span: BareClock, limit: datetime | None
) -> datetime | None:
    """`clock` on the first day of `span` whose reading falls inside it, else on the day whose reading is
    nearest; None when every day's reading is after `limit`. A day on which the wall-clock time does not
    exist or happens twice raises its DST error when it is the day chosen."""
    first, last = min(span), max(span)
    readings: list[tuple[datetime, TimeParseError | None]] = []
    for day in bare_clock_days(span, offset or zone):
        try:
            instant, error = _combine(day, clock, offset, zone), None
        except TimeParseError as exc:
            instant, error = exc.candidates[0], exc
            if any(first <= c <= last for c in exc.candidates):
                raise
        if limit is not None and instant > limit:
            continue
        if error is None and first <= instant <= last:
            return instant
        readings.append((instant, error))
    if not readings:
        return None
    instant, error = min(readings, key=lambda r: _distance(r[0], span))  # min keeps the earlier on a tie
    if error is not None:
        raise error
    return instant


def describe(instant: datetime, zone: tzinfo, *, offset: bool = False) -> str:
    """`2025-03-10 14:05 NZDT`: how a parsed time is shown back before saving; with `offset`, the UTC
    offset of that instant too (`2026-10-25 01:30 CEST, UTC+02:00`: on a daylight-saving change day the
    one the typed time has)."""
    return _fmt_local(instant, zone, offset=offset)
