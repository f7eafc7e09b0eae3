"""Digests name a due date with its year when it is not this year's ("due 10 Jul 2025"), without it when it
is ("due 10 Jul"): "10 Jul" alone read as this July for an item overdue since last year."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import time_machine
from django.template import Context, Template

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "emails"


@time_machine.travel(datetime(2026, 12, 3, 12, 0, tzinfo=UTC), tick=False)
def test_a_due_date_of_another_year_carries_its_year():
    def say(value, fmt=""):
        arg = f':"{fmt}"' if fmt else ""
        return Template("{% load hindsight %}{{ d|due_day" + arg + " }}").render(Context({"d": value}))

    assert say(date(2026, 7, 10)) == "10 Jul"
    assert say(date(2025, 7, 10)) == "10 Jul 2025"
    assert say(date(2027, 1, 4), "D j M") == "Mon 4 Jan 2027"
    assert say(date(2026, 12, 7), "D j M") == "Mon 7 Dec"
    assert say(None) == ""


def test_the_digests_write_due_dates_through_due_day():
    for name in ("digest-body.txt", "digest-body.html"):
        text = (TEMPLATES / name).read_text()
        assert 'date:"j M"' not in text, name
        assert 'date:"D j M"' not in text, name
