"""The time parser: what responders type, read in their own zone, DST gaps and overlaps refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from incidents.timeparse import (
    AmbiguousTimeError,
    NonExistentTimeError,
    TimeParseError,
    describe,
    localize,
    parse_time,
)

NY = ZoneInfo("America/New_York")
AKL = ZoneInfo("Pacific/Auckland")
SYD = ZoneInfo("Australia/Sydney")
# 2025-03-10 16:30 in New York (EDT, UTC-4) is 20:30 UTC.
NOW = datetime(2025, 3, 10, 20, 30, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def read(text: str, zone=NY, now=NOW, **kw) -> datetime:
    return parse_time(text, zone=zone, now=now, **kw).instant


@pytest.mark.parametrize("text", ["", "  ", "now", "NOW", None])
def test_empty_and_now_mean_now(text):
    assert read(text) == NOW


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("-5m", timedelta(minutes=5)),
        ("- 5m", timedelta(minutes=5)),
        ("-90s", timedelta(seconds=90)),
        ("-2h", timedelta(hours=2)),
        ("-1h30m", timedelta(hours=1, minutes=30)),
        ("-1 h 30 min", timedelta(hours=1, minutes=30)),
        ("-2d", timedelta(days=2)),
        ("5 min ago", timedelta(minutes=5)),
        ("1h ago", timedelta(hours=1)),
        ("10 minutes ago", timedelta(minutes=10)),
    ],
)
def test_relative_times_count_back_from_now(text, delta):
    assert read(text) == NOW - delta


def test_clock_time_is_read_in_the_users_zone():
    # 14:05 EDT (UTC-4) on 10 March 2025.
    assert read("14:05") == utc(2025, 3, 10, 18, 5)
    assert read("14:05:30") == utc(2025, 3, 10, 18, 5, 30)
    assert read("9:05") == utc(2025, 3, 10, 13, 5)


def test_same_clock_time_differs_by_zone():
    now = utc(2025, 3, 10, 0, 30)  # 13:30 NZDT on 10 March in Auckland
    assert read("13:00", zone=AKL, now=now) == utc(2025, 3, 10, 0, 0)
    assert read("13:00", zone=ZoneInfo("UTC"), now=utc(2025, 3, 10, 13, 30)) == utc(2025, 3, 10, 13, 0)


def test_clock_time_later_than_now_means_yesterday():
    # At 16:30 local, "23:40" has not happened today: it was last night.
    assert read("23:40") == utc(2025, 3, 10, 3, 40)  # 2025-03-09 23:40 EDT


def test_clock_time_a_minute_ahead_stays_today():
    # Clocks drift; a couple of minutes ahead is still today's time.
    assert read("16:32") == utc(2025, 3, 10, 20, 32)


def test_yesterday_and_today_prefixes():
    assert read("yesterday 23:40") == utc(2025, 3, 10, 3, 40)
    assert read("today 09:00") == utc(2025, 3, 10, 13, 0)
    # DST began at 02:00 on 9 March, so 08:15 that day is EDT (UTC-4).
    assert read("Yesterday 08:15") == utc(2025, 3, 9, 12, 15)


def test_iso_without_offset_is_local_wall_time():
    assert read("2025-03-10 14:05") == utc(2025, 3, 10, 18, 5)
    assert read("2025-03-10T14:05:33") == utc(2025, 3, 10, 18, 5, 33)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-10T14:05:00+02:00", utc(2025, 3, 10, 12, 5)),
        ("2025-03-10T14:05Z", utc(2025, 3, 10, 14, 5)),
        ("2025-03-10 14:05 -05:00", utc(2025, 3, 10, 19, 5)),
        ("2025-03-10T14:05:00.250+0530", datetime(2025, 3, 10, 8, 35, 0, 250000, tzinfo=UTC)),
        ("2025-03-10 14:05 UTC", utc(2025, 3, 10, 14, 5)),
        ("14:05 +02", utc(2025, 3, 10, 12, 5)),
    ],
)
def test_iso_with_offset_is_that_instant_whatever_the_users_zone(text, expected):
    assert read(text, zone=NY) == expected
    assert read(text, zone=AKL, now=NOW) == expected


def test_dst_gap_in_new_york_is_refused_naming_both_instants():
    # 2025-03-09 02:30 never happened in New York: clocks went from 02:00 EST to 03:00 EDT.
    with pytest.raises(NonExistentTimeError) as exc:
        read("2025-03-09 02:30")
    message = str(exc.value)
    assert "does not exist in America/New_York" in message
    assert "With offset -04:00 it is 2025-03-09 01:30 EST (06:30 UTC)" in message
    assert "with offset -05:00 it is 2025-03-09 03:30 EDT (07:30 UTC)" in message
    # No label beside an offset it does not have, and no Markdown backticks in a plain message.
    assert "EST (06:30 UTC, offset -04:00)" not in message
    assert "`" not in message
    assert exc.value.candidates == (utc(2025, 3, 9, 6, 30), utc(2025, 3, 9, 7, 30))


def test_dst_gap_is_accepted_with_an_offset():
    assert read("2025-03-09 02:30 -05:00") == utc(2025, 3, 9, 7, 30)
    assert read("2025-03-09T02:30-04:00") == utc(2025, 3, 9, 6, 30)


def test_ambiguous_time_in_new_york_is_refused_naming_both_instants():
    # 2025-11-02 01:30 happened twice: first in EDT (05:30 UTC), then in EST (06:30 UTC).
    with pytest.raises(AmbiguousTimeError) as exc:
        read("2025-11-02 01:30", now=utc(2025, 11, 3, 12, 0))
    message = str(exc.value)
    assert "happens twice in America/New_York" in message
    assert "01:30 EDT (05:30 UTC, offset -04:00)" in message
    assert "01:30 EST (06:30 UTC, offset -05:00)" in message
    assert exc.value.candidates == (utc(2025, 11, 2, 5, 30), utc(2025, 11, 2, 6, 30))


def test_ambiguous_time_is_accepted_with_an_offset():
    now = utc(2025, 11, 3, 12, 0)
    assert read("2025-11-02 01:30 -04:00", now=now) == utc(2025, 11, 2, 5, 30)
    assert read("2025-11-02T01:30:00-05:00", now=now) == utc(2025, 11, 2, 6, 30)


def test_bare_clock_time_in_a_dst_gap_is_refused_too():
    now = utc(2025, 3, 9, 15, 0)  # 11:00 EDT on the day the clocks jumped
    with pytest.raises(NonExistentTimeError):
        read("02:30", now=now)
    assert read("02:30 -05:00", now=now) == utc(2025, 3, 9, 7, 30)


def test_yesterday_in_an_overlap_is_refused():
    now = utc(2025, 11, 3, 15, 0)  # 2025-11-03 10:00 EST
    with pytest.raises(AmbiguousTimeError):
        read("yesterday 01:30", now=now)


@pytest.mark.parametrize(
    "text",
    ["soon", "25:00", "14:60", "2025-02-30 10:00", "2025-03-10 14:05 +25:00", "14h05", "-5x", "+5m", "ago"],
)
def test_unreadable_input_is_refused_with_a_message(text):
    with pytest.raises(TimeParseError) as exc:
        read(text)
    assert str(exc.value)


def test_future_time_is_refused():
    with pytest.raises(TimeParseError, match="in the future"):
        read("2025-03-11 09:00")


def test_future_allowed_when_asked():
    assert read("2025-03-11 09:00", max_future=None) == utc(2025, 3, 11, 13, 0)


def test_explicit_offset_is_reported():
    assert parse_time("14:05 Z", zone=NY, now=NOW).explicit_offset is True
    assert parse_time("14:05", zone=NY, now=NOW).explicit_offset is False


def test_localize_keeps_unambiguous_times():
    assert localize(datetime(2025, 7, 1, 12, 0), NY) == utc(2025, 7, 1, 16, 0)  # noqa: DTZ001


def test_describe_shows_the_zone_label():
    assert describe(utc(2025, 3, 10, 1, 5), AKL) == "2025-03-10 14:05 NZDT"
    assert describe(utc(2025, 3, 9, 19, 5), SYD) == "2025-03-10 06:05 AEDT"


# --- bare_clock: a bare time on the days of a span (issue 16) ---------------------------------------------

CPH = ZoneInfo("Europe/Copenhagen")
SPAN = (datetime(2019, 3, 3, 22, 10, tzinfo=UTC), datetime(2019, 3, 4, 1, 40, tzinfo=UTC))
LATER = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("23:30", datetime(2019, 3, 3, 22, 30, tzinfo=UTC)),
        ("00:05", datetime(2019, 3, 3, 23, 5, tzinfo=UTC)),
        ("02:40", datetime(2019, 3, 4, 1, 40, tzinfo=UTC)),  # the resolution itself is inside
        ("22:00", datetime(2019, 3, 3, 21, 0, tzinfo=UTC)),  # before the start: nearest, 3 Mar
        ("12:00", datetime(2019, 3, 4, 11, 0, tzinfo=UTC)),  # 9 h 20 min after beats 12 h 10 min before
        ("23:30 +00:00", datetime(2019, 3, 3, 23, 30, tzinfo=UTC)),  # an offset's own day
        ("yesterday 10:00", datetime(2026, 11, 29, 9, 0, tzinfo=UTC)),  # a day word keeps its meaning
    ],
)
def test_a_bare_clock_time_is_read_on_the_span_day_it_falls_in(text, expected):
    assert parse_time(text, zone=CPH, now=LATER, bare_clock=SPAN).instant == expected


def test_a_bare_clock_time_uses_the_offset_of_the_day_it_is_read_on():
    summer = datetime(2026, 7, 12, 13, 55, tzinfo=UTC)
    got = parse_time("14:05", zone=CPH, now=LATER, bare_clock=(summer, summer)).instant
    assert got == datetime(2026, 7, 12, 12, 5, tzinfo=UTC)  # CEST, UTC+02:00


def test_a_bare_clock_time_in_the_gap_of_the_span_day_is_refused():
    night = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET, the night the clocks jump
    with pytest.raises(NonExistentTimeError):
        parse_time("02:30", zone=CPH, now=LATER, bare_clock=(night, night + timedelta(hours=3)))


def test_a_span_reading_in_the_future_falls_back_to_today_or_yesterday():
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 10:00 CET
    span = (now - timedelta(hours=1), now)
    got = parse_time("11:00", zone=CPH, now=now, bare_clock=span).instant
    assert got == datetime(2026, 11, 29, 10, 0, tzinfo=UTC)  # as without a span
