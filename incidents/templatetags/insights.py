"""Template filters of the insights page."""

from __future__ import annotations

from typing import Any

from django import template

from incidents.timefmt import format_duration

register = template.Library()


@register.filter
def metric_value(value: Any, kind: str) -> str:
    """Show a figure's table cell: seconds as `4 h 12 min`, a share as `83%`, nothing as `unknown`."""
    if kind == "text":
        return "" if value is None else str(value)
    if value is None:
        return "unknown" if kind == "seconds" else "—"
    if kind == "seconds":
        return format_duration(int(value))
    if kind == "percent":
        return f"{value * 100:.0f}%"
    return f"{value:,}" if isinstance(value, int) else str(value)
