"""Property-based tests (hypothesis) of the time parser, the formatters and the local-week windows.

Zones are drawn from every IANA zone `zoneinfo.available_timezones()` knows; instants from 2000-2040, half
of them within an hour of one of the zone's UTC-offset changes (found by bisection), so daylight-saving
gaps and overlaps and one-off changes (Samoa skipping 30 December 2011) are exercised. Fixed offsets from
-12:00 to +14:00 are drawn too. Runs in a few seconds: `pytest tests/properties`.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.incident.models import Incident
from incidents.notify.digests import local_week
from incidents.timefmt import format_duration, format_time
from incidents.timeparse import (
    AmbiguousTimeError,
    NonExistentTimeError,
    bare_clock_days,
    localize,
    offset_refusal,
    parse_time,
)

ZONES = sorted(zoneinfo.available_timezones())
START, END = datetime(2000, 1, 1, tzinfo=UTC), datetime(2040, 12, 31, tzinfo=UTC)
FAR_NOW = datetime(2041, 1, 1, tzinfo=UTC)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _transition_near(zone: tzinfo, around: datetime) -> datetime | None:
    """An instant within a second of an offset change of `zone` in the year after `around`, if any."""
    lo, step = around, timedelta(days=30)
    for _ in range(13):
        hi = lo + step
        if lo.astimezone(zone).utcoffset() != hi.astimezone(zone).utcoffset():
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(zone).utcoffset() == lo.astimezone(zone).utcoffset():
                    lo = mid
                else:
                    hi = mid
            return hi
        lo = hi
    return None


fixed_offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)
zones = st.one_of(st.sampled_from(ZONES).map(zoneinfo.ZoneInfo), fixed_offsets)
plain_instants = st.datetimes(
    min_value=START.replace(tzinfo=None), max_value=END.replace(tzinfo=None), timezones=st.just(UTC)
)


@st.composite
def zone_and_instant(draw: st.DrawFn) -> tuple[tzinfo, datetime]:
    zone = draw(zones)
    base = draw(plain_instants)
    if draw(st.booleans()):
        change = _transition_near(zone, base)
        if change is not None:
            base = change + timedelta(seconds=draw(st.integers(min_value=-3600, max_value=3600)))
    return zone, base.replace(microsecond=0)


def _offset_text(value: datetime, zone: tzinfo) -> str:
    """The offset part of the label with the offset (`UTC+05:45` → `+05:45`)."""
    label = format_time(value, zone, offset=True)
    found = re.search(r"UTC([+-]\d\d:\d\d)", label)
    return found.group(1) if found else "+00:00"


@SETTINGS
@given(zone_and_instant())
def test_a_time_shown_with_its_offset_reads_back_to_the_same_instant(pair):
    zone, instant = pair
    wall = format_time(instant, zone, fmt="%Y-%m-%d %H:%M:%S").rsplit(" ", 1)[0]
    parsed = parse_time(f"{wall} {_offset_text(instant, zone)}", zone=zone, now=FAR_NOW, max_future=None)
    assert parsed.instant == instant


@SETTINGS
@given(zone_and_instant())
def test_a_wall_clock_time_without_offset_is_that_instant_or_refused_naming_it(pair):
    zone, instant = pair
    wall = format_time(instant, zone, fmt="%Y-%m-%d %H:%M:%S").rsplit(" ", 1)[0]
    try:
        parsed = parse_time(wall, zone=zone, now=FAR_NOW, max_future=None)
    except (AmbiguousTimeError, NonExistentTimeError) as err:
        assert instant in err.candidates  # noqa: PT017 - only some draws raise
        assert "`" not in err.message  # noqa: PT017
    else:
        assert parsed.instant == instant


@SETTINGS
@given(zone_and_instant())
def test_the_label_is_the_local_wall_clock_with_an_abbreviation_or_an_offset(pair):
    zone, instant = pair
    label = format_time(instant, zone)
    local = instant.astimezone(zone)
    assert label.startswith(f"{local:%Y-%m-%d %H:%M} ")
    assert label.split(" ", 2)[2]  # never an empty zone label


@SETTINGS
@given(plain_instants, plain_instants)
def test_durations_are_never_negative_and_keep_every_minute(a, b):
    incident = Incident(started_at=a, detected_at=a, resolved_at=b)
    for seconds in (incident.time_to_resolve, incident.impact_duration):
        assert seconds is not None
        assert seconds >= 0
        text = format_duration(seconds)
        assert not text.startswith("-")
        numbers = dict((unit, int(n)) for n, unit in re.findall(r"(\d+) (d|h|min)", text))
        minutes = numbers.get("d", 0) * 1440 + numbers.get("h", 0) * 60 + numbers.get("min", 0)
        assert minutes == seconds // 60  # cut to the minute, never rounded up
        assert (text == "< 1 min") == (0 < seconds < 60)


@SETTINGS
@given(zone_and_instant())
def test_local_weeks_are_half_open_and_cover_every_instant_exactly_once(pair):
    zone, instant = pair
    start, end = local_week(instant, zone)
    assert start <= instant < end
    assert local_week(end, zone)[0] == end  # the next week starts where this one ends
    assert local_week(start - timedelta(microseconds=1), zone)[1] == start  # and the previous ends here
    assert start.astimezone(zone).weekday() == 0
    assert timedelta(days=5) < end - start < timedelta(days=8)


@SETTINGS
@given(st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1))
def test_one_offset_rule_accepts_exactly_minus_twelve_to_plus_fourteen(minutes):
    inside = -12 * 60 <= minutes <= 14 * 60
    hours, rest = divmod(abs(minutes), 60)
    text = f"{'-' if minutes < 0 else '+'}{hours:02d}:{rest:02d}"
    assert (offset_refusal(timedelta(minutes=minutes)) is None) == inside
    assert (offset_refusal(text) is None) == inside
    assert (offset_refusal(f"UTC{text.replace(':', '')}") is None) == inside


@SETTINGS
@given(
    zone_and_instant(),
    st.integers(min_value=0, max_value=5 * 24 * 60),
    st.integers(min_value=0, max_value=23),
    st.integers(min_value=0, max_value=59),
)
def test_a_bare_time_lands_on_a_day_of_the_span_at_that_days_offset(pair, span_minutes, hour, minute):
    zone, start = pair
    span = (start, start + timedelta(minutes=span_minutes))
    try:
        got = parse_time(f"{hour:02d}:{minute:02d}", zone=zone, now=FAR_NOW, max_future=None, bare_clock=span)
    except (AmbiguousTimeError, NonExistentTimeError):
        return  # a wall-clock time the clocks skip or repeat on the day chosen: refused, as everywhere
    local = got.instant.astimezone(zone)
    assert (local.hour, local.minute) == (hour, minute)  # the typed clock, at that day's own offset
    days = bare_clock_days(span, zone)
    assert local.date() in days
    inside = []
    for day in days:
        try:
            reading = localize(datetime.combine(day, time(hour, minute)), zone)
        except (AmbiguousTimeError, NonExistentTimeError):
            continue
        if span[0] <= reading <= span[1]:
            inside.append(reading)
    if inside:  # the first day on which the time falls within the span wins
        assert got.instant == inside[0]
