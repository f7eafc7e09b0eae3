"""Every surface writes a zone without letters as its UTC offset, `UTC+13:45`, never `+1345` (issue 16,
outside tester: the quick-add and import previews wrote the zone database's bare abbreviation). One
formatter (`incidents.timefmt.offset_label`, through `zone_label`) writes every offset label; a scan of the
code refuses another way of naming a zone, and the label typed back reads as the same instant."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from incidents.timefmt import format_time
from incidents.timeparse import describe, parse_time

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CODE = [Path(settings.BASE_DIR) / d for d in ("incidents", "accounts", "config")]
# Formatting a zone's name or offset: only timefmt.py may (zone_label, offset_label).
ZONE_FORMATTING = re.compile(r"\.tzname\(\)|%[zZ]|\.utcoffset\(\)\.total_seconds|divmod\(abs\(")


def _zone_formatting(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        if path.name == "timefmt.py" or "migrations" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ZONE_FORMATTING.search(line):
                found.append(f"{path}:{number}: {line.strip()}")
    return found


def test_only_timefmt_formats_a_zone_name_or_offset():
    paths = [p for root in CODE for p in sorted(root.rglob("*.py"))]
    assert _zone_formatting(paths) == []


def test_the_scan_catches_each_way_of_writing_a_zone_label(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        'a = f"{local:%H:%M} {local.tzname()}"\nb = local.strftime("%H:%M %z")\nc = local.strftime("%Z")\n'
        "d = local.utcoffset().total_seconds() // 60\ne = divmod(abs(minutes), 60)\nf = format_time(local)\n",
        encoding="utf-8",
    )
    assert [p.split(":")[1] for p in _zone_formatting([bad])] == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize(
    ("zone", "label", "typed_back"),
    [
        ("Pacific/Chatham", "2026-11-02 00:45 UTC+13:45", "2026-11-02 00:45 UTC+13:45"),
        ("Asia/Kathmandu", "2026-11-01 16:45 UTC+05:45", "2026-11-01 16:45 UTC+05:45"),
        ("America/St_Johns", "2026-11-01 07:30 NST", "2026-11-01 07:30 -03:30"),
        ("America/Sao_Paulo", "2026-11-01 08:00 UTC-03:00", "2026-11-01 08:00 UTC-03:00"),
    ],
)
def test_a_parsed_time_is_described_as_every_page_labels_it(zone, label, typed_back):
    instant = datetime(2026, 11, 1, 11, 0, tzinfo=UTC)
    tz = zoneinfo.ZoneInfo(zone)
    assert describe(instant, tz) == label == format_time(instant, tz)
    # A label with its offset reads back as the same instant, in any zone.
    assert parse_time(typed_back, zone=UTC, now=NOW).instant == instant


@time_machine.travel(NOW, tick=False)
def test_the_quick_add_preview_writes_the_offset_as_utc_plus(client_for, commander, incident):
    commander.time_zone = "Pacific/Chatham"
    commander.save()
    page = client_for(commander).get(
        reverse("incidents:timeline_when", args=[incident.number]), {"when": "2026-11-30 14:05"}
    )
    text = page.content.decode()
    assert "2026-11-30 14:05 UTC+13:45" in text
    assert "+1345" not in text


@time_machine.travel(NOW, tick=False)
def test_the_import_preview_writes_both_zones_as_utc_plus(client_for, commander, incident):
    commander.time_zone = "Pacific/Chatham"
    commander.save()
    page = client_for(commander).post(
        reverse("incidents:timeline_import", args=[incident.number]),
        {
            "format": "transcript",
            "zone": "Asia/Kathmandu",
            "first_date": "2026-11-29",
            "content": "[2026-11-29 14:05] ana: failover started\n",
        },
    )
    text = page.content.decode()
    assert "2026-11-29 14:05 UTC+05:45" in text  # as typed, in the transcript's zone
    assert "2026-11-29 22:05 UTC+13:45" in text  # in the reader's
    assert "+0545" not in text
    assert "+1345" not in text
