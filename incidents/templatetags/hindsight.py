"""Template filters: Markdown, times in the viewer's zone with its label, and durations."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString

from incidents.markdown import render_markdown
from incidents.permissions import can_declare, can_manage_settings

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    """Render Markdown through the one sanitising renderer."""
    return render_markdown(text)


def local_time(value: datetime | None, tz: tzinfo | None = None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format an aware datetime in `tz` (default: the active zone) with the zone's label, e.g. `14:00 NZDT`."""
    if value is None:
        return "unknown"
    if timezone.is_naive(value):
        raise ValueError("naive datetime reached the template")
    zone = tz or timezone.get_current_timezone()
    try:
        local = value.astimezone(zone)
    except (OverflowError, ValueError):  # a stored time at the edge of the calendar: show it in UTC
        local = value.astimezone(UTC)
    return f"{local.strftime(fmt)} {local.tzname()}"


@register.filter
def localtime_label(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """`{{ incident.started_at|localtime_label }}` gives `2017-02-01 12:27 NZDT` for a New Zealand viewer."""
    return local_time(value, fmt=fmt)


@register.filter
def clock_label(value: datetime | None) -> str:
    """Time of day with the zone label, `14:05 NZDT`."""
    return local_time(value, fmt="%H:%M")


def format_duration(seconds: int | None) -> str:
    """Format seconds as `18 h 47 min`, `3 min`, `2 d 4 h`; None gives `unknown`."""
    if seconds is None:
        return "unknown"
    negative = seconds < 0
    seconds = abs(int(seconds))
    days, rem = divmod(seconds, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, secs = divmod(rem, 60)
    if days:
        text = f"{days} d {hours} h" if hours else f"{days} d"
    elif hours:
        text = f"{hours} h {minutes} min" if minutes else f"{hours} h"
    elif minutes:
        text = f"{minutes} min"
    else:
        text = f"{secs} s"
    return f"-{text}" if negative else text


@register.filter(name="duration")
def duration_filter(seconds: int | None) -> str:
    return format_duration(seconds)


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
