"""The one duration rule and the one time label (incidents/timefmt.py)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from incidents.timefmt import (
    format_duration,
    format_time,
    format_times,
    format_utc,
    time_html,
    typed_times_label,
)

COPENHAGEN = zoneinfo.ZoneInfo("Europe/Copenhagen")
SAO_PAULO = zoneinfo.ZoneInfo("America/Sao_Paulo")
H, D = 3600, 86400


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "unknown"),
        (0, "0 min"),
        (-25 * 60, "0 min"),
        (1, "< 1 min"),
        (59, "< 1 min"),
        (60, "1 min"),
        (119, "1 min"),
        (180, "3 min"),
        (H, "1 h 0 min"),
        (18 * H + 47 * 60, "18 h 47 min"),
        (D, "1 d 0 h 0 min"),
        (D + 11 * 60, "1 d 0 h 11 min"),
        (D + 59 * 60, "1 d 0 h 59 min"),
        (D + 59 * 60 + 59, "1 d 0 h 59 min"),
        (2 * D + 4 * H + 30 * 60, "2 d 4 h 30 min"),
        (3 * D, "3 d 0 h 0 min"),
        (59.9, "< 1 min"),
        (0.001, "< 1 min"),  # anything above zero and under a minute (was "0 min": outside tester)
        (0.5, "< 1 min"),
        (-0.001, "0 min"),
    ],
)
def test_durations_keep_their_minutes_and_are_never_rounded_up(seconds, text):
    assert format_duration(seconds) == text


def test_a_copenhagen_winter_time_is_labelled_cet_with_its_offset():
    t = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
    assert format_time(t, COPENHAGEN) == "2026-01-12 10:00 CET"
    assert format_time(t, COPENHAGEN, offset=True) == "2026-01-12 10:00 CET, UTC+01:00"


def test_summer_time_gets_the_summer_label_and_offset():
    t = datetime(2026, 7, 12, 13, 55, 59, tzinfo=UTC)
    assert format_time(t, COPENHAGEN, fmt="%H:%M", offset=True) == "15:55 CEST, UTC+02:00"


def test_a_zone_without_an_abbreviation_is_labelled_by_its_offset_once():
    t = datetime(2026, 7, 12, 12, 0, tzinfo=UTC)
    assert format_time(t, SAO_PAULO) == "2026-07-12 09:00 UTC-03:00"
    assert format_time(t, SAO_PAULO, offset=True) == "2026-07-12 09:00 UTC-03:00"


@pytest.mark.parametrize("zone", [UTC, zoneinfo.ZoneInfo("UTC"), zoneinfo.ZoneInfo("Etc/UTC")])
def test_utc_is_labelled_utc_once(zone):
    # A UTC reader got "UTC, UTC+00:00": the label said the same thing twice (outside tester).
    assert format_time(datetime(2017, 1, 31, 23, 27, tzinfo=UTC), zone, offset=True) == "2017-01-31 23:27 UTC"


def test_london_in_winter_keeps_its_name_and_offset():
    london = zoneinfo.ZoneInfo("Europe/London")
    assert format_time(datetime(2017, 1, 31, 23, 27, tzinfo=UTC), london, offset=True) == (
        "2017-01-31 23:27 GMT, UTC+00:00"
    )


KATHMANDU = zoneinfo.ZoneInfo("Asia/Kathmandu")


def test_two_instants_in_one_minute_are_told_apart_by_their_seconds():
    # A sub-minute milestone move read "03:35 → 03:35" (outside tester).
    a = datetime(2026, 11, 1, 21, 50, 10, tzinfo=UTC)  # 03:35:10 in Kathmandu (UTC+05:45)
    b = datetime(2026, 11, 1, 21, 50, 50, tzinfo=UTC)
    assert format_times(a, b, KATHMANDU, fmt="%H:%M") == ("03:35:10 UTC+05:45", "03:35:50 UTC+05:45")
    assert format_times(a, b, KATHMANDU, offset=True) == (
        "2026-11-02 03:35:10 UTC+05:45",
        "2026-11-02 03:35:50 UTC+05:45",
    )
    # Within one second, the microseconds; in different minutes, minutes as always; unset stays unset.
    c = a.replace(microsecond=250000)
    assert format_times(a, c, UTC) == ("2026-11-01 21:50:10.000000 UTC", "2026-11-01 21:50:10.250000 UTC")
    assert format_times(a, a.replace(minute=51), UTC) == ("2026-11-01 21:50 UTC", "2026-11-01 21:51 UTC")
    assert format_times(None, a, UTC, empty="unset") == ("unset", "2026-11-01 21:50 UTC")
    assert format_times(a, a, UTC) == ("2026-11-01 21:50 UTC", "2026-11-01 21:50 UTC")


def test_the_page_element_carries_the_offset_on_hover():
    html = time_html(datetime(2026, 7, 12, 13, 55, tzinfo=UTC), COPENHAGEN, fmt="%H:%M")
    assert html == ('<time datetime="2026-07-12T15:55:00+02:00" title="UTC+02:00">15:55 CEST</time>')


def test_a_naive_time_is_refused_and_a_missing_one_is_unknown():
    assert format_time(None, COPENHAGEN) == "unknown"
    with pytest.raises(ValueError, match="naive"):
        format_time(datetime(2026, 1, 1), COPENHAGEN)


def test_the_api_form_is_utc_with_z():
    t = datetime(2026, 7, 12, 15, 55, tzinfo=COPENHAGEN)
    assert format_utc(t) == "2026-07-12T13:55:00Z"
    assert format_utc(None) is None


# --- typed_times_label: what a time box says about what is typed in it (issue 16) ---------------------------


def test_a_time_box_label_names_the_zone_the_offset_of_its_day_and_the_day():
    cph = ZoneInfo("Europe/Copenhagen")
    today = date(2026, 11, 30)
    assert (
        typed_times_label(cph, [today], today=today)
        == "times in Europe/Copenhagen, UTC+01:00, today (30 Nov)"
    )
    assert typed_times_label(cph, [date(2026, 7, 12)], today=today) == (
        "times in Europe/Copenhagen, UTC+02:00, on 12 Jul"
    )
    assert typed_times_label(cph, [date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)], today=today) == (
        "times in Europe/Copenhagen, UTC+01:00 on 28 Mar, UTC+01:00 before 02:00 and UTC+02:00 from 03:00 "
        "(02:00–03:00 does not exist) on 29 Mar, UTC+02:00 on 30 Mar, "
        "the first day the time falls within the incident"
    )
    assert typed_times_label(UTC, [today], today=today) == "times in UTC, today (30 Nov)"


@pytest.mark.parametrize(
    ("zone", "day", "offsets"),
    [
        # Summer time ends: 02:00 to 03:00 comes twice, first at +02:00, then at +01:00.
        (
            "Europe/Berlin",
            date(2026, 10, 25),
            "UTC+02:00 before 02:00 and UTC+01:00 from 03:00 (02:00–03:00 happens twice)",
        ),
        (
            "Europe/Berlin",
            date(2026, 3, 29),
            "UTC+01:00 before 02:00 and UTC+02:00 from 03:00 (02:00–03:00 does not exist)",
        ),
        (
            "America/New_York",
            date(2026, 11, 1),
            "UTC-04:00 before 01:00 and UTC-05:00 from 02:00 (01:00–02:00 happens twice)",
        ),
        (
            "Australia/Lord_Howe",
            date(2026, 4, 5),
            "UTC+11:00 before 01:30 and UTC+10:30 from 02:00 (01:30–02:00 happens twice)",
        ),
        # A change at midnight: no time of the day is before it.
        ("America/Havana", date(2026, 3, 8), "UTC-04:00 (00:00–01:00 does not exist)"),
    ],
)
def test_a_time_box_label_on_a_daylight_saving_day_names_both_offsets_and_when_each_holds(zone, day, offsets):
    label = typed_times_label(ZoneInfo(zone), [day], today=date(2026, 11, 30))
    assert label == f"times in {zone}, {offsets}, on {day.day} {day:%b}"
