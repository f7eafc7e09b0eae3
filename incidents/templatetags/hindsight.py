"""Template filters: Markdown, times in the viewer's zone with its label, and durations."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from datetime import date, datetime, tzinfo

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.safestring import SafeString, mark_safe

from incidents.markdown import render_markdown, stored_html
from incidents.permissions.incident import can_declare
from incidents.permissions.roles import can_manage_settings
from incidents.plural import counted
from incidents.timefmt import CLOCK, DATE_MINUTE, format_duration, format_time, time_html
from incidents.timeline.models import milestone_changes_text

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    """Render Markdown through the one sanitising renderer."""
    return render_markdown(text)


@register.filter(name="html_of")
def html_of_filter(obj: object, field: str) -> SafeString:
    """`{{ incident|html_of:"summary" }}`: the HTML stored on save for a Markdown field (no rendering)."""
    return stored_html(obj, field)


@register.filter(name="section_html")
def section_html_filter(postmortem: object, key: str) -> SafeString:
    """`{{ pm|section_html:"lessons" }}`: the HTML stored on save for one postmortem section ("" if empty)."""
    return stored_html(postmortem, "sections", key)


@register.filter(name="entry_html")
def entry_html_filter(entry: object) -> SafeString:
    """`{{ entry|entry_html }}`: a timeline entry's sanitised HTML as the viewer reads it (a "Milestones
    edited" row in the viewer's zone; `TimelineEntry.html_in`). Also for a version from the entry's history
    (which keeps `body` and `milestone_changes`, not the cached HTML)."""
    if hasattr(entry, "html_in"):
        return mark_safe(entry.html_in())  # noqa: S308 - sanitised by render_markdown
    changes = getattr(entry, "milestone_changes", None)
    if changes:
        return render_markdown(milestone_changes_text(changes))
    return render_markdown(getattr(entry, "body", ""))


def local_time(value: datetime | None, tz: tzinfo | None = None, fmt: str = DATE_MINUTE) -> str:
    """Format an aware datetime in `tz` (default: the active zone) with the zone's label, e.g. `14:00 NZDT`
    (`incidents.timefmt.format_time`)."""
    return format_time(value, tz, fmt=fmt)


@register.filter
def localtime_label(value: datetime | None, fmt: str = DATE_MINUTE) -> str:
    """`{{ incident.started_at|localtime_label }}` gives `2017-02-01 12:27 NZDT` for a New Zealand viewer."""
    return format_time(value, fmt=fmt)


@register.filter
def localtime_offset(value: datetime | None) -> str:
    """With the UTC offset, for exports and plain text: `2017-02-01 12:27 NZDT, UTC+13:00`."""
    return format_time(value, offset=True)


@register.filter
def clock_label(value: datetime | None) -> str:
    """Time of day with the zone label, `14:05 NZDT`."""
    return format_time(value, fmt=CLOCK)


@register.filter
def time_tag(value: datetime | None, fmt: str = DATE_MINUTE) -> SafeString | str:
    """For pages: `<time>` with the `localtime_label` text and the UTC offset and UTC time on hover."""
    return time_html(value, fmt=fmt)


@register.filter
def clock_tag(value: datetime | None) -> SafeString | str:
    """For pages: `<time>` with the `clock_label` text and the UTC offset on hover."""
    return time_html(value, fmt=CLOCK)


@register.filter(name="counted")
def counted_filter(count: object, noun: str) -> str:
    """`{{ n|counted:"timeline entry" }}` → "4 timeline entries" (incidents.plural.counted); `count` may be
    a number or a collection (its length)."""
    if not isinstance(count, int | float | str | type(None)):
        count = len(count)  # type: ignore[arg-type]
    return counted(int(count or 0), noun)


@register.filter(name="due_day")
def due_day_filter(value: date | None, fmt: str = "j M") -> str:
    """A due date as `fmt` (Django date format, default `10 Jul`), with its year appended when it is not
    this year in the active zone (`10 Jul 2025`); '' for None."""
    if value is None:
        return ""
    text = date_format(value, fmt)
    if value.year != timezone.localdate().year:
        text += f" {value.year}"
    return text


@register.filter(name="duration")
def duration_filter(seconds: int | None) -> str:
    """`incidents.timefmt.format_duration`: `1 d 0 h 11 min`, `< 1 min`, `unknown`."""
    return format_duration(seconds)


@register.filter
def merge_choice(choices: Mapping[str, object] | None, name: str) -> object:
    """The wording of the keep-which choice for field `name` (`incidents.merge.choice_wording`), or
    None (the template then words it as text)."""
    return (choices or {}).get(name)


@register.filter
def attr_value(obj: object, name: str) -> object:
    """The value of attribute `name` of `obj`, datetimes shown with the zone label (used in conflict views)."""
    value = getattr(obj, name, None)
    if isinstance(value, datetime):
        return local_time(value)
    return value


@register.filter
def may_declare(user: object) -> bool:
    """Whether `user` may declare incidents (accounts.permissions.can_declare), for showing the button."""
    return can_declare(user)


@register.filter
def may_manage_settings(user: object) -> bool:
    """Whether `user` may open the settings pages (team leads and admins), for showing the link."""
    return can_manage_settings(user)


@register.filter(name="chat_link_label")
def chat_link_label_filter(url: str | None) -> str:
    """How an incident's chat link reads on its page, instead of the raw address: "Slack channel" for
    Slack's links (`https://slack.com/app_redirect?team=…&channel=…`, `https://acme.slack.com/archives/…`),
    "#name" for a Mattermost channel (`…/team/channels/name`), else the site's host name."""
    parts = urllib.parse.urlsplit(url or "")
    host = (parts.hostname or "").lower()
    if host == "slack.com" or host.endswith(".slack.com"):
        return "Slack channel"
    segments = [urllib.parse.unquote(s) for s in parts.path.split("/") if s]
    if len(segments) >= 3 and segments[-2] == "channels":
        return f"#{segments[-1]}"
    return host or str(url or "")
