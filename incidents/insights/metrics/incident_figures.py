"""Figures over incidents: counts, the four durations by severity, by service, by a custom select field
and over time, detection."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Subquery,
)
from django.db.models.functions import Coalesce

from accounts.models import Team
from incidents.insights.metrics.base import (
    DURATIONS,
    GROUPS,
    SEVERITY_ORDER,
    DurationStats,
    Figure,
    MetricFilters,
    _as_date,
    _period_expr,
    _round,
    duration_stats,
    incidents_in_scope,
    shown_periods,
    stacked_per_period,
)
from incidents.models import (
    OPTION_KINDS,
    CustomField,
    CustomFieldValue,
    DetectionMethod,
    Service,
    ServiceTier,
)


def incident_counts(user: Any, filters: MetricFilters) -> Figure:
    """Incidents started per period, by severity (one query)."""
    qs = incidents_in_scope(user, filters)
    counts: dict[dt.date, dict[str, int]] = defaultdict(dict)
    for row in qs.values(p=_period_expr(filters), severity_=F("severity")).annotate(n=Count("id")).order_by():
        counts[_as_date(row["p"])][row["severity_"]] = row["n"]  # type: ignore[index]
    rows = [
        [label] + [counts.get(p, {}).get(s, 0) for s in SEVERITY_ORDER] + [sum(counts.get(p, {}).values())]
        for p, label in shown_periods(counts, filters.period)
    ]
    return Figure(
        slug="incidents",
        title=f"Incidents per {filters.period} by severity",
        definition="Incidents counted in the period of their Started time, in your time zone.",
        columns=[filters.period.capitalize(), *SEVERITY_ORDER, "Total"],
        kinds=["text"] + ["count"] * (len(SEVERITY_ORDER) + 1),
        rows=rows,
        chart={
            "type": "stacked",
            "labels": [r[0] for r in rows],
            "series": [
                {"name": s, "css": f"sev-{s}", "values": [r[i + 1] for r in rows]}
                for i, s in enumerate(SEVERITY_ORDER)
            ],
        },
    )


def _duration_rows(
    stats: dict[Any, dict[str, DurationStats]], keys: list[Any], label: Callable[[Any], str]
) -> list[list[Any]]:
    rows = []
    for key in keys:
        for name, (dlabel, _s, _e) in DURATIONS.items():
            s = stats.get(key, {}).get(name, DurationStats())
            rows.append([label(key), dlabel, *s.as_row()])
    return rows


DURATION_COLUMNS = ["Measured", "Unknown", "Mean", "Median", "90th percentile"]
DURATION_KINDS = ["count", "count", "seconds", "seconds", "seconds"]
DURATION_DEFINITION = (
    "Time to detect: started → detected. Time to acknowledge: detected → acknowledged. "
    "Time to mitigate: started → mitigated. Time to resolve: detected → resolved (0 if resolved before "
    "detection, never negative). "
    "An incident missing either milestone is left out and counted as unknown; nothing is measured to now. "
    "A reopened incident counts in time to resolve only once it is resolved again. "
    "Median and 90th percentile are interpolated (percentile_cont). "
    "Every figure is cut to whole seconds (CSV) and whole minutes (page), never rounded up."
)


def _duration_chart(rows: list[list[Any]]) -> dict[str, Any]:
    """Small multiples: one horizontal bar panel per duration (median bar, p90 whisker)."""
    panels = []
    for _name, (dlabel, _s, _e) in DURATIONS.items():
        panel_rows = [r for r in rows if r[1] == dlabel]
        panels.append(
            {
                "title": dlabel,
                "bars": [
                    {
                        "label": r[0],
                        "value": r[5],
                        "whisker": r[6],
                        "note": f"{r[2]} measured, {r[3]} unknown",
                    }
                    for r in panel_rows
                ],
            }
        )
    return {"type": "panels", "panels": panels}


def durations_by_severity(user: Any, filters: MetricFilters) -> Figure:
    """Mean, median and p90 of the four durations per severity (1 query on PostgreSQL, 5 on SQLite)."""
    qs = incidents_in_scope(user, filters)
    stats = duration_stats(qs, durations={k: (v[1], v[2]) for k, v in DURATIONS.items()}, group="severity")
    keys = [s for s in SEVERITY_ORDER if s in stats]
    rows = _duration_rows(stats, keys, str)
    return Figure(
        slug="durations-severity",
        title="Response times by severity",
        definition=DURATION_DEFINITION,
        columns=["Severity", "Duration", *DURATION_COLUMNS],
        kinds=["text", "text", *DURATION_KINDS],
        rows=rows,
        chart=_duration_chart(rows),
    )


#: How each grouping places an incident, said under the figure.
GROUP_DEFINITIONS = {
    "service": "An incident affecting several services counts once for each of them.",
    "tier": "An incident's tier is that of the most critical service it affects (Tier 1 before Tier 2); "
    "one affecting no tiered service is (no tier).",
    "team": "An incident's team is the first of its teams, else the owner team of the first of its "
    "services that has one (as on the incident page); each incident counts once.",
    "tag": "An incident carrying several tags counts once for each of them.",
}
NO_GROUP = {"service": "(no service)", "tier": "(no tier)", "team": "(no team)", "tag": "(no tag)"}


def _group_expression(group: str) -> Any:
    """The expression placing an incident in its group (see `GROUP_DEFINITIONS`): a join for the
    many-valued service and tag, a subquery giving one value per incident for tier and team."""
    if group == "tag":
        return "tags__name"
    if group == "tier":
        return Subquery(
            Service.objects.filter(incidents=OuterRef("pk"), tier__isnull=False)
            .order_by("tier")
            .values("tier")[:1]
        )
    if group == "team":
        own = Team.objects.filter(incidents=OuterRef("pk")).order_by("id").values("name")[:1]
        owner = (
            Service.objects.filter(incidents=OuterRef("pk"), team__isnull=False)
            .order_by("id")
            .values("team__name")[:1]
        )
        return Coalesce(Subquery(own), Subquery(owner))
    return "services__name"


def durations_by_service(user: Any, filters: MetricFilters) -> Figure:
    """As `durations_by_severity`, per affected service, or per tier, team or tag (`filters.group`, see
    `GROUP_DEFINITIONS`); the same queries whatever the grouping (1 on PostgreSQL, 5 on SQLite). The slug
    stays `durations-service` whatever the grouping, so saved CSV links keep working."""
    group = filters.group if filters.group in GROUPS else "service"
    qs = incidents_in_scope(user, filters)
    stats = duration_stats(
        qs, durations={k: (v[1], v[2]) for k, v in DURATIONS.items()}, group=_group_expression(group)
    )
    keys = sorted(stats, key=lambda k: (k is None, k if isinstance(k, int) else str(k or "").lower()))

    def label(key: Any) -> str:
        if key is None:
            return NO_GROUP[group]
        return ServiceTier(key).label if group == "tier" else str(key)

    rows = _duration_rows(stats, keys, label)
    return Figure(
        slug="durations-service",
        title=f"Response times by {GROUPS[group]}",
        definition=f"{DURATION_DEFINITION} {GROUP_DEFINITIONS[group]}",
        columns=[group.capitalize(), "Duration", *DURATION_COLUMNS],
        kinds=["text", "text", *DURATION_KINDS],
        rows=rows,
        chart=_duration_chart(rows),
    )


def durations_over_time(user: Any, filters: MetricFilters) -> Figure:
    """Median time to detect and to resolve per period: "are we detecting faster?"."""
    qs = incidents_in_scope(user, filters)
    wanted = {k: DURATIONS[k][1:] for k in ("time_to_detect", "time_to_resolve")}
    by_period = duration_stats(qs, durations=wanted, group=_period_expr(filters), normalize=_as_date)
    rows = []
    for p, label in shown_periods(by_period, filters.period):
        row: list[Any] = [label]
        for name in wanted:
            s = by_period.get(p, {}).get(name, DurationStats())
            row += [s.measured, s.unknown, _round(s.median), _round(s.p90)]
        rows.append(row)
    return Figure(
        slug="durations-trend",
        title=f"Are we detecting faster? Median time to detect and resolve per {filters.period}",
        definition=DURATION_DEFINITION + " Incidents are placed in the period they started.",
        columns=[
            filters.period.capitalize(),
            "Detect: measured",
            "Detect: unknown",
            "Detect: median",
            "Detect: 90th percentile",
            "Resolve: measured",
            "Resolve: unknown",
            "Resolve: median",
            "Resolve: 90th percentile",
        ],
        kinds=["text", "count", "count", "seconds", "seconds", "count", "count", "seconds", "seconds"],
        rows=rows,
        chart={
            "type": "multi",
            "charts": [
                {
                    "type": "lines",
                    "caption": f"{DURATIONS[name][0]}: median and 90th percentile",
                    "labels": [r[0] for r in rows],
                    "unit": "seconds",
                    "series": [
                        {"name": "Median", "css": "series-0", "values": [r[3 + 4 * k] for r in rows]},
                        {
                            "name": "90th percentile",
                            "css": "series-1",
                            "values": [r[4 + 4 * k] for r in rows],
                        },
                    ],
                }
                for k, name in enumerate(wanted)
            ],
        },
    )


def detection_methods(user: Any, filters: MetricFilters) -> Figure:
    """Incidents per period by how they were detected; an empty method is "unknown" (one query)."""
    counted = (
        incidents_in_scope(user, filters)
        .values(p=_period_expr(filters), k=F("detection_method"))
        .annotate(n=Count("id"))
        .order_by()
    )
    return stacked_per_period(
        counted,
        filters,
        [*DetectionMethod.values, ""],
        {**dict(DetectionMethod.choices), "": "Unknown"},
        slug="detection",
        title=f"How incidents were detected, per {filters.period}",
        definition="The incident's detection method (alert, customer report, employee, by chance); "
        "incidents with none recorded are counted as unknown.",
    )


#: The group of incidents of the field's type that hold none of its options.
NO_VALUE = "(none)"


def durations_by_custom_field(user: Any, filters: MetricFilters) -> Figure:
    """As `durations_by_service`, per option of the select field `filters.custom_field` (incidents of its
    type only; a multi select counts an incident once per option it holds; those holding none are
    "(none)"). Without a field, a figure with no rows that says how to choose one. Options in the field's
    order, then values of options since removed. Queries: 3 on PostgreSQL, 7 on SQLite; none without."""
    slug, key = filters.custom_field_parts()
    field = (
        CustomField.objects.select_related("incident_type")
        .filter(incident_type__slug=slug, key=key, kind__in=OPTION_KINDS)
        .first()
        if key
        else None
    )
    durations = {k: (v[1], v[2]) for k, v in DURATIONS.items()}
    columns = ["Option", "Duration", *DURATION_COLUMNS]
    kinds = ["text", "text", *DURATION_KINDS]
    if field is None:
        return Figure(
            slug="durations-custom-field",
            title="Response times by a custom field",
            definition="Choose a select field of an incident type in the filters above (Group by field) to "
            "see the response times of each of its options.",
            columns=columns,
            kinds=kinds,
            rows=[],
        )
    scope = incidents_in_scope(user, filters).filter(incident_type=field.incident_type)
    values = CustomFieldValue.objects.filter(field=field, incident__in=scope.values("id"))
    stats = duration_stats(values, durations=durations, group="text", prefix="incident__")
    holding = CustomFieldValue.objects.filter(field=field, incident=OuterRef("pk"))
    without = duration_stats(scope.exclude(Exists(holding)), durations=durations)
    if without.get(None) and any(s.measured or s.unknown for s in without[None].values()):
        stats[NO_VALUE] = without[None]
    lowered = {o.lower() for o in field.options}
    keys = [o for o in field.options if o in stats]
    keys += sorted(k for k in stats if k != NO_VALUE and k.lower() not in lowered)
    keys += [NO_VALUE] if NO_VALUE in stats else []
    rows = _duration_rows(stats, keys, str)
    return Figure(
        slug="durations-custom-field",
        title=f"Response times by {field.label} ({field.incident_type.name} incidents)",
        definition=DURATION_DEFINITION
        + f" Only {field.incident_type.name} incidents; "
        + (
            "an incident holding several options counts once for each of them; "
            if field.kind == "multi_select"
            else ""
        )
        + f"{NO_VALUE} is those holding no option.",
        columns=[field.label, *columns[1:]],
        kinds=kinds,
        rows=rows,
        chart=_duration_chart(rows),
    )
