"""Timeline entry rendering: `{% timeline_entries rows %}` and `{% timeline_entry entry %}`.

The incident page renders up to `selectors.TIMELINE_WINDOW` entries on every load and every live poll, so
one entry's markup is built here in Python (about 20x cheaper than a Django template per entry) instead of
an included template; the markup is the one source for the page, the live feed, "load older" and edits.
Everything but `body_html` (sanitised by `render_markdown` when the entry was saved) is escaped here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from incidents.models import EntryKind, EntrySource, EvidenceMarker
from incidents.timefmt import format_time, time_html
from incidents.timeline.selectors import TimelineRow

register = template.Library()

_KIND_LABELS = dict(EntryKind.choices)
_MARKER_LABELS = dict(EvidenceMarker.choices)
_SOURCE_LABELS = {k: v.lower() for k, v in EntrySource.choices}


def _label(value: datetime, zone: Any) -> str:
    return format_time(value, zone)


def _day_label(local: datetime) -> str:
    return f"{local:%A} {local.day} {local:%B %Y}"


def day_heading(local: datetime) -> str:
    """The `<li>` that starts a day (in the viewer's zone) in the list; timeline.js keeps these in step."""
    return f'<li class="day" data-day="{local:%Y-%m-%d}"><h3>{_day_label(local)}</h3></li>'


def render_entry(
    row: TimelineRow,
    *,
    zone: Any,
    base: str,
    editor: bool,
    csrf: str,
    started_at: datetime | None,
    resolved_at: datetime | None,
) -> str:
    """The `<li>` of one entry. `base` is the incident's timeline URL prefix (`/incidents/7/timeline/`)."""
    pk = row.pk
    classes = ["entry", f"kind-{escape(row.kind)}"]
    if row.is_key_moment:
        classes.append("key-moment")
    if row.source == EntrySource.SYSTEM:
        classes.append("system")
    if row.removed_at is not None:
        classes.append("removed")
    phase = ""
    if started_at is not None and row.occurred_at < started_at:
        phase = ' <span class="phase" title="before the incident started">context</span>'
    elif resolved_at is not None and row.occurred_at > resolved_at:
        phase = ' <span class="phase" title="after the incident was resolved">follow-up</span>'
    badges = ""
    if row.evidence:
        badges += (
            f' <span class="badge marker marker-{escape(row.evidence)}">'
            f"{escape(_MARKER_LABELS.get(row.evidence, row.evidence))}</span>"
        )
    if row.is_key_moment and row.evidence != "key_moment":  # the marker already says it: one badge
        badges += ' <span class="badge key">Key moment</span>'
    source = ""
    if row.source != EntrySource.WEB:
        source = f' <span class="muted">({escape(_SOURCE_LABELS.get(row.source, row.source))})</span>'
    changed = f' · <a class="muted" href="{base}{pk}/history/">changed</a>' if row.was_edited else ""
    extra = ""
    if row.knew_then:
        extra += f'<p class="knew-then"><strong>What we knew then:</strong> {escape(row.knew_then)}</p>'
    if row.removed_at is not None:
        extra += (
            f'<p class="removed-note">Removed by {escape(row.removed_by_name or "someone")} at '
            f"{_label(row.removed_at, zone)}; only people who can record see it.</p>"
        )
    actions = ""
    if editor:
        token = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf)}">'
        target = f'hx-target="#entry-{pk}" hx-swap="outerHTML"'
        if row.removed_at is not None:
            actions = (
                f'<form method="post" action="{base}{pk}/restore/" class="inline" hx-post="{base}{pk}/restore/" '
                f'{target}>{token}<button type="submit" class="link">Restore</button></form>'
            )
        else:
            actions = f'<a href="{base}{pk}/edit/" hx-get="{base}{pk}/edit/" {target}>Edit</a>'
            if row.source != EntrySource.SYSTEM:
                actions += (
                    f'<form method="post" action="{base}{pk}/remove/" class="inline" hx-post="{base}{pk}/remove/" '
                    f'{target}>{token}<button type="submit" class="link danger">Remove</button></form>'
                )
        actions = f'<div class="entry-actions">{actions}</div>'
    local = row.occurred_at.astimezone(zone)
    return (
        f'<li id="entry-{pk}" data-at="{row.sort_micros}" data-id="{pk}" data-day="{local:%Y-%m-%d}" '
        f'data-day-label="{_day_label(local)}" class="{" ".join(classes)}">'
        f'<div class="when">{time_html(row.occurred_at, zone)}'
        f"{phase}</div>"
        f'<div class="what"><span class="kind">{escape(_KIND_LABELS.get(row.kind, row.kind))}</span>{badges}'
        f' · <span class="author">{escape(row.author_display)}</span>{source}{changed}'
        f'<div class="body">{row.html_in(zone)}</div>{extra}{actions}</div></li>'
    )


def _options(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    incident = context.get("incident")
    return {
        "zone": timezone.get_current_timezone(),
        "base": context.get("timeline_base", ""),
        "editor": bool(context.get("can_record")),
        "csrf": get_token(request) if request is not None else "",
        "started_at": getattr(incident, "started_at", None),
        "resolved_at": getattr(incident, "resolved_at", None),
    }


def _row(entry: Any) -> TimelineRow:
    return entry if isinstance(entry, TimelineRow) else TimelineRow.from_entry(entry)


@register.simple_tag(takes_context=True)
def timeline_entries(context: template.Context, rows: Iterable[Any]) -> SafeString:
    """Render many entries (TimelineRow or TimelineEntry) as `<li>` elements."""
    options = _options(context)
    zone = options["zone"]
    parts: list[str] = []
    day = None
    for r in rows:
        row = _row(r)
        local = row.occurred_at.astimezone(zone)
        if local.date() != day:
            day = local.date()
            parts.append(day_heading(local))
        parts.append(render_entry(row, **options))
    return mark_safe("\n".join(parts))  # noqa: S308 - escaped above


@register.simple_tag(takes_context=True)
def timeline_entry(context: template.Context, entry: Any) -> SafeString:
    """Render one entry (TimelineRow or TimelineEntry) as an `<li>`."""
    return mark_safe(render_entry(_row(entry), **_options(context)))  # noqa: S308 - escaped above
