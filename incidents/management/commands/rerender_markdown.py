"""`manage.py rerender_markdown`: render the stored HTML of every Markdown field again.

Run it after the renderer changes (extensions, the allow-list, an upgrade of python-markdown or nh3: bump
`incidents.markdown.RENDERER_VERSION` too); a migration that changes the renderer calls the same function.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from incidents.markdown import rerender_stored_html
from incidents.models import (
    ActionItem,
    ContributingFactor,
    Incident,
    PolicyFinding,
    Postmortem,
    TimelineEntry,
)

TARGETS = [
    (TimelineEntry, {"body": "body_html"}),
    *((m, m.MARKDOWN_HTML) for m in (Incident, ContributingFactor, ActionItem, PolicyFinding, Postmortem)),
]


class Command(BaseCommand):
    help = "Render the stored HTML of every Markdown field again (after the Markdown renderer changed)."

    def handle(self, *args: Any, **options: Any) -> None:
        written = rerender_stored_html(TARGETS)
        self.stdout.write(f"Rendered the stored HTML of {written:,} row(s) again.")
