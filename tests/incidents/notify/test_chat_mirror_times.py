"""Posts mirrored into an incident's chat channel state their time in the incident's team zone with UTC
beside it, `14:02 CET (13:02 UTC)`, through one formatter (`timefmt.format_chat_time`): a timeline entry
its own time, a status or severity change the time it happened, also when it was backfilled (issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from incidents.incident.services.lifecycle import incident_change_severity, incident_change_status
from incidents.models import ChatChannel, Notification
from incidents.notify.mirror import KIND, build_mirror_post
from incidents.timefmt import format_chat_time
from incidents.timeline import services as timeline_svc

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


def _posts() -> list[str]:
    texts = []
    for row in Notification.objects.filter(kind=KIND).order_by("id"):
        post = build_mirror_post(row)
        assert post is not None
        texts.append(post.text)
    return texts


@time_machine.travel(NOW, tick=False)
def test_mirrored_posts_state_their_time_in_the_team_zone_with_utc(
    commander, team, incident, django_capture_on_commit_callbacks
):
    team.time_zone = "Europe/Copenhagen"
    team.save()
    ChatChannel.objects.create(provider="slack", workspace="T0ACME", channel_id="C0INC", incident=incident)
    incident.started_at = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
    incident.save()
    with django_capture_on_commit_callbacks(execute=True):
        timeline_svc.timeline_entry_add(
            incident=incident,
            actor=commander,
            body="Failover",
            occurred_at=datetime(2026, 11, 30, 13, 2, tzinfo=UTC),
        )
    with django_capture_on_commit_callbacks(execute=True):  # backfilled: yesterday, 23:30 in Copenhagen
        incident_change_status(
            incident=incident,
            actor=commander,
            status="identified",
            at=datetime(2026, 11, 29, 22, 30, tzinfo=UTC),
        )
    with django_capture_on_commit_callbacks(execute=True):
        incident_change_severity(
            incident=incident, actor=commander, severity="SEV1", at=datetime(2026, 11, 30, 14, 10, tzinfo=UTC)
        )
    entry, status, severity = _posts()
    assert "· Cora Commander, 14:02 CET (13:02 UTC): Failover" in entry
    assert "status is now identified at 2026-11-29 23:30 CET (22:30 UTC)." in status
    assert "severity changed from SEV2 to SEV1 at 15:10 CET (14:10 UTC)." in severity


@pytest.mark.parametrize(
    ("zone", "when", "expected"),
    [
        ("Europe/Copenhagen", datetime(2026, 11, 30, 13, 2, tzinfo=UTC), "14:02 CET (13:02 UTC)"),
        ("UTC", datetime(2026, 11, 30, 13, 2, tzinfo=UTC), "13:02 UTC"),
        ("Europe/Copenhagen", datetime(2026, 11, 29, 23, 30, tzinfo=UTC), "00:30 CET (2026-11-29 23:30 UTC)"),
        (
            "Pacific/Auckland",
            datetime(2026, 11, 29, 13, 2, tzinfo=UTC),
            "2026-11-30 02:02 NZDT (2026-11-29 13:02 UTC)",
        ),
    ],
)
def test_one_formatter_writes_every_chat_time(zone, when, expected):
    assert format_chat_time(when, ZoneInfo(zone), now=NOW) == expected
