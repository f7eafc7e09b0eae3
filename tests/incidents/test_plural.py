"""One plural helper (incidents.plural, the `counted` filter); Django's `pluralize` is not used in templates."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.template import Context, Template

from incidents.plural import counted

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize(
    ("count", "noun", "said"),
    [
        (4, "timeline entry", "4 timeline entries"),
        (1, "timeline entry", "1 timeline entry"),
        (0, "action item", "0 action items"),
        (1, "recurrence", "1 recurrence"),
        (2, "webhook delivery", "2 webhook deliveries"),
        (3, "match", "3 matches"),
        (2, "day", "2 days"),
        (2, "person", "2 people"),
        (2, "shared factor category", "2 shared factor categories"),
        (2, "criterion,criteria", "2 criteria"),
        (None, "result", "0 results"),
    ],
)
def test_counted_says_the_count_and_the_right_form(count, noun, said):
    assert counted(count, noun) == said


def test_the_filter_counts_numbers_and_collections():
    template = Template('{% load hindsight %}{{ n|counted:"timeline entry" }}; {{ rows|counted:"entry" }}')
    assert template.render(Context({"n": 4, "rows": [1]})) == "4 timeline entries; 1 entry"


def test_no_template_uses_djangos_pluralize():
    """`pluralize` made "4 timeline entrys" and "1 recurrences": every plural goes through `counted`."""
    offenders = [
        f"{path.relative_to(TEMPLATES)}:{n}"
        for path in sorted(TEMPLATES.rglob("*"))
        if path.is_file() and path.suffix in {".html", ".txt"}
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "pluralize" in line
    ]
    assert offenders == [], "use the `counted` filter (incidents/plural.py) instead of pluralize"
