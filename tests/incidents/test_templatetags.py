from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.templatetags.hindsight import local_time, localtime_label
from tests.factories import IncidentFactory, UserFactory

AUCKLAND = zoneinfo.ZoneInfo("Pacific/Auckland")


def test_new_zealand_summer_time_is_labelled_nzdt():
    # 31 January 2017 23:27 UTC is 1 February 12:27 in Auckland, daylight saving time.
    assert local_time(datetime(2017, 1, 31, 23, 27, tzinfo=UTC), AUCKLAND) == "2017-02-01 12:27 NZDT"


def test_new_zealand_winter_time_is_labelled_nzst():
    assert local_time(datetime(2017, 7, 15, 2, 0, tzinfo=UTC), AUCKLAND) == "2017-07-15 14:00 NZST"


def test_the_filter_uses_the_active_zone():
    with timezone.override(AUCKLAND):
        assert localtime_label(datetime(2017, 7, 15, 2, 0, tzinfo=UTC), "%H:%M") == "14:00 NZST"
    with timezone.override(zoneinfo.ZoneInfo("Europe/Amsterdam")):
        assert localtime_label(datetime(2017, 7, 15, 2, 0, tzinfo=UTC), "%H:%M") == "04:00 CEST"


def test_missing_time_is_unknown_and_naive_time_is_refused():
    assert local_time(None) == "unknown"
    with pytest.raises(ValueError, match="naive"):
        local_time(datetime(2017, 1, 1, 12, 0))  # noqa: DTZ001 - the bug being caught


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("started", "expected"),
    [
        (datetime(2017, 1, 31, 23, 27, tzinfo=UTC), "2017-02-01 12:27 NZDT"),
        (datetime(2017, 7, 15, 2, 0, tzinfo=UTC), "2017-07-15 14:00 NZST"),
    ],
)
def test_a_new_zealand_user_sees_the_incident_in_local_time_with_the_label(client_for, started, expected):
    user = UserFactory(time_zone="Pacific/Auckland", is_staff=True)
    incident = IncidentFactory(started_at=started)
    page = client_for(user).get(reverse("incidents:detail", args=[incident.number]))
    assert expected in page.content.decode()
