"""Server-side SVG charts for the insights page, drawn from a figure's chart spec.

A chart is turned into a list of primitives (rect, line, polyline, circle, text) with coordinates and CSS
classes; `templates/incidents/insights/_svg_chart.html` writes them out as SVG. Colours come from classes in
`static/css/hindsight.css` (the Content-Security-Policy forbids inline styles and scripts), so the SVG
needs no script, no CDN and no style attribute.
"""

from __future__ import annotations

import math
from typing import Any

from incidents.timefmt import format_duration

WIDTH = 640
LEFT, RIGHT, TOP, BOTTOM = 72, 12, 12, 44  # LEFT holds the widest tick ("1 h 30 min") at 11 px
MAX_X_LABELS = 12


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k that is ≥ `value` (1 for 0 or less)."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10**exp
        if candidate >= value:
            return float(candidate)
    return float(10 ** (exp + 1))  # pragma: no cover


DURATION_STEPS = [
    15,
    30,
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    10800,
    21600,
    43200,
    86400,
    172800,
    604800,
    1209600,
    2592000,
]


def nice_duration_ceiling(seconds: float) -> float:
    """The smallest 4 × step ≥ `seconds`, step a round duration (15 s … 30 d), so the four ticks read well."""
    for step in DURATION_STEPS:
        if 4 * step >= seconds:
            return float(4 * step)
    return nice_ceiling(seconds)


def nice_count_ceiling(value: float) -> float:
    """4 × the smallest whole step (1, 2, 5 × 10^k or 25 × 10^k) with 4 × step ≥ `value`, so the five ticks
    of a count axis (0, step … 4 × step) are whole numbers: no "0.25 incidents" (4 for 0 or less)."""
    for exp in range(16):
        for mantissa in (1, 2, 2.5, 5):
            step = mantissa * 10**exp
            if step == int(step) and 4 * step >= value:
                return float(4 * step)
    return nice_ceiling(value)  # pragma: no cover


def _axis_max(value: float, unit: str) -> float:
    """The top of an axis of `unit` ("seconds" or "count") that holds `value`, its four steps round."""
    return nice_duration_ceiling(value) if unit == "seconds" else nice_count_ceiling(value)


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "unknown"
    if unit == "seconds":
        return format_duration(value)  # cut to the minute like every duration, never rounded up
    return f"{value:g}"


_TICK_UNITS = ((86400, "d"), (3600, "h"), (60, "min"), (1, "s"))


def tick_label(value: float, unit: str) -> str:
    """An axis tick: a count as `12`, `2.5`; a duration compact and exact to the second, its two largest
    non-zero units (`0`, `15 s`, `1 min 30 s`, `2 h`, `1 d 12 h`), so neighbouring ticks never read the
    same (`format_duration` cuts to the minute: three ticks of `< 1 min`) and every label fits the
    `LEFT` margin."""
    if unit != "seconds":
        return f"{value:g}"
    rest = int(round(value))
    if rest <= 0:
        return "0"
    parts: list[str] = []
    for size, name in _TICK_UNITS:
        n, rest = divmod(rest, size)
        if n:
            parts.append(f"{n} {name}")
    return " ".join(parts[:2])


def _text(x: float, y: float, text: str, css: str = "") -> dict[str, Any]:
    return {"kind": "text", "x": round(x, 1), "y": round(y, 1), "text": text, "css": css}


def _y_axis(height: int, top: float, plot_h: float, ymax: float, unit: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(5):
        value = ymax * i / 4
        y = top + plot_h - plot_h * i / 4
        out.append(
            {
                "kind": "line",
                "x1": LEFT,
                "y1": round(y, 1),
                "x2": WIDTH - RIGHT,
                "y2": round(y, 1),
                "css": "grid",
            }
        )
        out.append(_text(LEFT - 6, y + 4, tick_label(value, unit), "tick end"))
    return out


def _x_labels(labels: list[str], centre: Any, y: float) -> list[dict[str, Any]]:
    step = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    return [_text(centre(i), y, label, "tick middle") for i, label in enumerate(labels) if i % step == 0]


def stacked_columns(spec: dict[str, Any], height: int = 240) -> dict[str, Any]:
    """Vertical stacked columns: one column per label, one segment per series."""
    labels: list[str] = spec["labels"]
    series: list[dict[str, Any]] = spec["series"]
    plot_h = height - TOP - BOTTOM
    plot_w = WIDTH - LEFT - RIGHT
    totals = [sum((s["values"][i] or 0) for s in series) for i in range(len(labels))]
    ymax = _axis_max(max(totals, default=0), "count")
    band = plot_w / max(len(labels), 1)
    bar_w = max(band * 0.7, 1)
    items = _y_axis(height, TOP, plot_h, ymax, "count")
    for i, label in enumerate(labels):
        x = LEFT + i * band + (band - bar_w) / 2
        y_base: float = TOP + plot_h
        for s in series:
            value = s["values"][i] or 0
            if not value:
                continue
            h = plot_h * value / ymax
            y_base -= h
            items.append(
                {
                    "kind": "rect",
                    "x": round(x, 1),
                    "y": round(y_base, 1),
                    "w": round(bar_w, 1),
                    "h": round(h, 1),
                    "css": s["css"],
                    "title": f"{label}: {s['name']} {value}",
                }
            )
    items += _x_labels(labels, lambda i: LEFT + i * band + band / 2, height - BOTTOM + 16)
    return {"width": WIDTH, "height": height, "items": items, "legend": _legend(series)}


def lines(spec: dict[str, Any], height: int = 240) -> dict[str, Any]:
    """One line per series over the labels; a missing value (None) breaks the line."""
    labels: list[str] = spec["labels"]
    series: list[dict[str, Any]] = spec["series"]
    unit = spec.get("unit", "count")
    plot_h = height - TOP - BOTTOM
    plot_w = WIDTH - LEFT - RIGHT
    values = [v for s in series for v in s["values"] if v is not None]
    ymax = _axis_max(max(values, default=0), unit)
    step = plot_w / max(len(labels) - 1, 1)

    def x_at(i: int) -> float:
        return LEFT + (i * step if len(labels) > 1 else plot_w / 2)

    items = _y_axis(height, TOP, plot_h, ymax, unit)
    for s in series:
        run: list[str] = []
        for i, value in enumerate([*s["values"], None]):
            if value is None:
                if len(run) > 1:
                    items.append({"kind": "polyline", "points": " ".join(run), "css": f"{s['css']} line"})
                run = []
                continue
            x, y = x_at(i), TOP + plot_h - plot_h * value / ymax
            run.append(f"{x:.1f},{y:.1f}")
            items.append(
                {
                    "kind": "circle",
                    "x": round(x, 1),
                    "y": round(y, 1),
                    "css": f"{s['css']} dot",
                    "title": f"{labels[i]}: {s['name']} {_fmt(value, unit)}",
                }
            )
    items += _x_labels(labels, x_at, height - BOTTOM + 16)
    return {"width": WIDTH, "height": height, "items": items, "legend": _legend(series)}


def hbars(spec: dict[str, Any]) -> dict[str, Any]:
    """Horizontal bars, one per row: `bars` of {label, value, whisker?} or stacked `series` over `labels`."""
    unit = spec.get("unit", "count")
    if "series" in spec:
        rows = [
            {"label": label, "segments": [(s, s["values"][i] or 0) for s in spec["series"]]}
            for i, label in enumerate(spec["labels"])
        ]
    else:
        rows = [
            {"label": b["label"], "segments": [({"css": "series-0", "name": ""}, b["value"] or 0)], **b}
            for b in spec["bars"]
        ]
    row_h = 22
    label_w = 200
    height = TOP + row_h * max(len(rows), 1) + 28
    plot_w = WIDTH - label_w - RIGHT - 60
    ends = [sum(v for _s, v in r["segments"]) for r in rows] + [r.get("whisker") or 0 for r in rows]
    xmax = _axis_max(max(ends, default=0), unit)
    items: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        y = TOP + i * row_h
        label = str(row["label"])
        items.append(_text(label_w - 6, y + 15, label if len(label) <= 32 else label[:31] + "…", "label end"))
        x = float(label_w)
        total = 0.0
        for s, value in row["segments"]:
            if not value:
                continue
            w = plot_w * value / xmax
            name = f" {s['name']}" if s.get("name") else ""
            items.append(
                {
                    "kind": "rect",
                    "x": round(x, 1),
                    "y": y + 4,
                    "w": round(w, 1),
                    "h": row_h - 8,
                    "css": s["css"],
                    "title": f"{label}:{name} {_fmt(value, unit)}",
                }
            )
            x += w
            total += value
        whisker = row.get("whisker")
        end_x = x
        if whisker:
            wx = label_w + plot_w * whisker / xmax
            end_x = max(x, wx)
            items.append(
                {
                    "kind": "line",
                    "x1": round(x, 1),
                    "y1": y + 11,
                    "x2": round(wx, 1),
                    "y2": y + 11,
                    "css": "whisker",
                }
            )
            items.append(
                {
                    "kind": "line",
                    "x1": round(wx, 1),
                    "y1": y + 5,
                    "x2": round(wx, 1),
                    "y2": y + 17,
                    "css": "whisker",
                }
            )
        shown = "unknown" if "value" in row and row["value"] is None else _fmt(total, unit)
        items.append(_text(end_x + 6, y + 15, shown, "value"))
    items.append({"kind": "line", "x1": label_w, "y1": TOP, "x2": label_w, "y2": height - 28, "css": "axis"})
    items.append(_text(label_w, height - 10, "0", "tick middle"))
    items.append(_text(label_w + plot_w, height - 10, tick_label(xmax, unit), "tick middle"))
    legend = _legend(spec["series"]) if "series" in spec else []
    return {"width": WIDTH, "height": height, "items": items, "legend": legend}


def _legend(series: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"name": s["name"], "css": s["css"]} for s in series]


def render_spec(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Geometry for a figure's chart spec: a list of charts (several for small multiples), each with
    `width`, `height`, `items`, `legend` and an optional `title`. Empty for a figure with no data."""
    kind = spec.get("type")
    if kind == "stacked":
        if not spec.get("labels"):
            return []
        return [hbars(spec) if spec.get("horizontal") else stacked_columns(spec)]
    if kind == "lines":
        return [{**lines(spec), "title": spec.get("caption", "")}] if spec.get("labels") else []
    if kind == "multi":
        return [chart for part in spec["charts"] for chart in render_spec(part)]
    if kind == "bars":
        if not spec.get("bars"):
            return []
        return [{**hbars(spec), "title": spec.get("caption", "")}]
    if kind == "panels":
        out = []
        for panel in spec["panels"]:
            if panel["bars"]:
                chart = hbars({"bars": panel["bars"], "unit": "seconds"})
                chart["title"] = panel["title"] + " (bar: median, whisker: 90th percentile)"
                out.append(chart)
        return out
    return []
