"""Insights: figures over incidents, contributing factors, action items and policy findings.

Every figure is computed by the database (GROUP BY, COUNT, AVG, percentiles); Python only reshapes the
grouped rows. Each function issues a fixed number of queries whatever the amount of data.

Scope: every figure starts from `accounts.permissions.incidents_visible_to(viewer)`, so a restricted
incident the viewer cannot see is absent from every count, mean and percentile. Action items and policy
findings go through `action_items_visible_to` / `findings_visible_to` as well.

Durations (seconds; the same definitions as the `Incident` properties in `incidents/incident/models.py`):

- time to detect (MTTD term): `started_at` → `detected_at`;
- time to acknowledge (MTTA term): `detected_at` → `acknowledged_at`;
- time to mitigate: `started_at` → `mitigated_at`;
- time to resolve (MTTR term): `detected_at` → `resolved_at`, 0 for one resolved before it was detected.

An incident missing either milestone of a duration is left out of that figure and counted as "unknown"
for it; nothing is ever measured to now. Reopening clears `resolved_at`, so a reopened incident counts in
time to resolve only once it is resolved again (until then it is "unknown").

Percentiles use the continuous definition of PostgreSQL's `percentile_cont` (the "linear" method of
numpy, R type 7): for the n values of a group sorted ascending, x[0..n-1], and fraction p, let
h = p·(n−1); the percentile is x[⌊h⌋] + (h − ⌊h⌋)·(x[⌈h⌉] − x[⌊h⌋]). The median is p = 0.5.
PostgreSQL computes it with `percentile_cont(p) WITHIN GROUP (ORDER BY …)`. SQLite has no such aggregate:
there the database ranks each group's values with `ROW_NUMBER()` / `COUNT(*)` window functions and returns
only the (at most two) rows at positions ⌊h⌋ and ⌈h⌉; Python applies the formula above to those rows.

Periods: incidents are placed in the week (starting Monday) or calendar month of `started_at` in the
viewer's time zone. The date range filter is half-open in the viewer's zone: started on or after
`start` 00:00 and before `end` 00:00.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from incidents.insights.metrics.base import (
    DURATIONS,
    GROUPS,
    OVERDUE_BUCKETS,
    PERIODS,
    SEVERITY_ORDER,
    UNKNOWN,
    DurationSeconds,
    DurationStats,
    Figure,
    MetricFilters,
    PercentileCont,
    _as_date,
    _has_percentile_cont,
    _period_expr,
    _ranked_percentiles,
    _round,
    duration_stats,
    incidents_in_scope,
    period_label,
    period_range,
    shown_periods,
)
from incidents.insights.metrics.followup_figures import (
    _factors_in_scope,
    _findings_in_scope,
    _target_due,
    action_item_figures,
    factor_categories,
    findings_closure,
    findings_open,
    missing_test_types,
    recurring_factors,
)
from incidents.insights.metrics.incident_figures import (
    DURATION_COLUMNS,
    DURATION_DEFINITION,
    DURATION_KINDS,
    _duration_chart,
    _duration_rows,
    detection_methods,
    durations_by_custom_field,
    durations_by_service,
    durations_by_severity,
    durations_over_time,
    incident_counts,
)

__all__ = [
    "UNKNOWN",
    "DURATIONS",
    "GROUPS",
    "OVERDUE_BUCKETS",
    "PERIODS",
    "DurationSeconds",
    "PercentileCont",
    "_has_percentile_cont",
    "MetricFilters",
    "incidents_in_scope",
    "_period_expr",
    "_as_date",
    "period_range",
    "shown_periods",
    "period_label",
    "DurationStats",
    "_round",
    "duration_stats",
    "_ranked_percentiles",
    "Figure",
    "SEVERITY_ORDER",
    "incident_counts",
    "_duration_rows",
    "DURATION_COLUMNS",
    "DURATION_KINDS",
    "DURATION_DEFINITION",
    "_duration_chart",
    "durations_by_severity",
    "durations_by_service",
    "durations_by_custom_field",
    "durations_over_time",
    "detection_methods",
    "_factors_in_scope",
    "factor_categories",
    "recurring_factors",
    "missing_test_types",
    "_target_due",
    "action_item_figures",
    "_findings_in_scope",
    "findings_open",
    "findings_closure",
    "FIGURES",
    "figures_for",
    "figure_for",
]


#: Figure slug → builder, in page order.
FIGURES: dict[str, Callable[[Any, MetricFilters], Figure]] = {
    "incidents": incident_counts,
    "durations-trend": durations_over_time,
    "durations-severity": durations_by_severity,
    "durations-service": durations_by_service,
    "durations-custom-field": durations_by_custom_field,
    "detection": detection_methods,
    "factor-categories": factor_categories,
    "recurring-factors": recurring_factors,
    "missing-tests": missing_test_types,
    "action-items": action_item_figures,
    "findings-open": findings_open,
    "findings-closure": findings_closure,
}


def figures_for(user: Any, filters: MetricFilters) -> list[Figure]:
    """Every figure of the insights page, in order, scoped to what `user` may see."""
    return [build(user, filters) for build in FIGURES.values()]


def figure_for(user: Any, filters: MetricFilters, slug: str) -> Figure:
    """One figure by slug; raises KeyError for an unknown slug."""
    return FIGURES[slug](user, filters)


@dataclass(frozen=True)
class OpeningRange:
    """The range Insights opens on without filters: local dates `[start, end)` (`end` None: open-ended),
    and `latest_day`, the local date of the most recent incident when the range was moved to it (the last
    `days` held none), else None."""

    start: dt.date
    end: dt.date | None
    latest_day: dt.date | None = None


def opening_range(user: Any, *, today: dt.date, zone: dt.tzinfo, days: int) -> OpeningRange:
    """The last `days` days up to `today` (the viewer's local date in `zone`) when an incident `user` may
    see started in them; otherwise the `days` days ending with the local day the most recent such incident
    started (so a quiet team, or the demo's 2017 outage, opens on its latest incidents, not on an empty
    page); the last `days` days when `user` may see no incident at all. Two small queries at most."""
    start = today - dt.timedelta(days=days)
    if incidents_in_scope(user, MetricFilters(start=start, zone=zone)).exists():
        return OpeningRange(start=start, end=None)
    latest = (
        incidents_in_scope(user, MetricFilters(zone=zone))
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    if latest is None:
        return OpeningRange(start=start, end=None)
    local = latest.astimezone(zone).date()
    end = local + dt.timedelta(days=1)
    return OpeningRange(start=end - dt.timedelta(days=days), end=end, latest_day=local)
