from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

START = datetime(2017, 1, 31, 23, 27, tzinfo=UTC)


def test_durations_of_a_fully_recorded_incident():
    incident = IncidentFactory(
        started_at=START,
        detected_at=START + timedelta(minutes=1),
        acknowledged_at=START + timedelta(minutes=6),
        mitigated_at=START + timedelta(hours=10),
        resolved_at=datetime(2017, 2, 1, 18, 14, tzinfo=UTC),
    )
    assert incident.time_to_detect == 60
    assert incident.time_to_acknowledge == 5 * 60
    assert incident.time_to_mitigate == 10 * 3600
    assert incident.time_to_resolve == 18 * 3600 + 46 * 60
    assert incident.impact_duration == 18 * 3600 + 47 * 60


def test_missing_milestones_give_unknown_durations():
    incident = IncidentFactory(started_at=START, resolved_at=START + timedelta(hours=1))
    assert incident.time_to_detect is None
    assert incident.time_to_acknowledge is None
    assert incident.time_to_mitigate is None
    assert incident.time_to_resolve is None
    assert incident.impact_duration == 3600


def test_an_unresolved_incident_has_no_impact_duration_whatever_the_clock_says():
    incident = IncidentFactory(started_at=START)
    with time_machine.travel(START + timedelta(days=3), tick=False):
        assert incident.impact_duration is None
    with time_machine.travel(START + timedelta(days=300), tick=False):
        assert incident.impact_duration is None


def test_a_resolved_incident_keeps_its_durations_as_time_passes():
    incident = IncidentFactory(started_at=START, resolved_at=START + timedelta(minutes=90))
    with time_machine.travel(datetime(2030, 1, 1, tzinfo=UTC), tick=False):
        assert incident.impact_duration == 90 * 60


@pytest.mark.parametrize(
    ("field", "offset"),
    [
        ("detected_at", timedelta(minutes=-1)),
        ("acknowledged_at", timedelta(minutes=-1)),
        ("mitigated_at", timedelta(hours=-1)),
        ("resolved_at", timedelta(seconds=-1)),
    ],
)
def test_a_milestone_before_the_start_is_an_error_on_that_field(field, offset):
    incident = IncidentFactory.build(number=1, started_at=START, **{field: START + offset})
    with pytest.raises(ValidationError) as exc:
        incident.full_clean()
    assert field in exc.value.message_dict


def test_acknowledgement_before_detection_and_mitigation_after_resolution_are_errors():
    incident = IncidentFactory.build(
        number=1,
        started_at=START,
        detected_at=START + timedelta(minutes=10),
        acknowledged_at=START + timedelta(minutes=5),
        mitigated_at=START + timedelta(hours=3),
        resolved_at=START + timedelta(hours=2),
    )
    with pytest.raises(ValidationError) as exc:
        incident.full_clean()
    assert set(exc.value.message_dict) == {"acknowledged_at", "mitigated_at"}


def test_a_milestone_in_the_future_is_an_error():
    incident = IncidentFactory.build(number=1, started_at=datetime(2100, 1, 1, tzinfo=UTC))
    with pytest.raises(ValidationError) as exc:
        incident.full_clean()
    assert "started_at" in exc.value.message_dict
