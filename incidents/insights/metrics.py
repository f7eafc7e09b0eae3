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
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import NotSupportedError, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    Aggregate,
    Avg,
    Case,
    Count,
    DateTimeField,
    Expression,
    F,
    FloatField,
    Func,
    Min,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Lower, TruncDate, TruncMonth, TruncWeek
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from incidents.models import (
    OPEN_FINDING_STATUSES,
    OPEN_ITEM_STATUSES,
    ActionItemStatus,
    ContributingFactor,
    DetectionMethod,
    FactorCategory,
    FindingArea,
    Incident,
    Risk,
    Severity,
    TestType,
)
from incidents.permissions import action_items_visible_to, findings_visible_to, incidents_visible_to

UNKNOWN = "unknown"

#: Duration name → (label, start milestone, end milestone). Mirrors the `Incident` properties.
DURATIONS: dict[str, tuple[str, str, str]] = {
    "time_to_detect": ("Time to detect", "started_at", "detected_at"),
    "time_to_acknowledge": ("Time to acknowledge", "detected_at", "acknowledged_at"),
    "time_to_mitigate": ("Time to mitigate", "started_at", "mitigated_at"),
    "time_to_resolve": ("Time to resolve", "detected_at", "resolved_at"),
}

#: Overdue aging buckets: (label, least days overdue, most days overdue or None).
OVERDUE_BUCKETS: list[tuple[str, int, int | None]] = [
    ("1–7 days", 1, 7),
    ("8–30 days", 8, 30),
    ("31–90 days", 31, 90),
    ("over 90 days", 91, None),
]

PERIODS = ("week", "month")


# --- Database expressions ----------------------------------------------------------------------------------


class DurationSeconds(Func):
    """Seconds from `start` to `end` as a float, 0 when `end` is before `start` (an incident resolved
    before it was detected counts 0, never a negative value); NULL when either is NULL.

    PostgreSQL: `EXTRACT(EPOCH FROM end - start)`. SQLite (datetimes stored as ISO text):
    `(julianday(end) - julianday(start)) * 86400`, exact to well under a millisecond for recent dates.
    """

    output_field = FloatField()

    def __init__(self, start: Any, end: Any) -> None:
        super().__init__(start, end)

    def _parts(self, compiler: SQLCompiler) -> tuple[str, str, tuple[Any, ...]]:
        """SQL of start and end, and their parameters in (end, start) order as both templates use."""
        start, start_params = compiler.compile(self.source_expressions[0])
        end, end_params = compiler.compile(self.source_expressions[1])
        return start, end, (*end_params, *start_params)

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[Any, ...]]:
        raise NotSupportedError(f"DurationSeconds is not implemented for {connection.vendor}.")

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        start, end, params = self._parts(compiler)
        seconds = f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS double precision)"
        return f"(CASE WHEN {seconds} < 0 THEN 0.0 ELSE {seconds} END)", params + params

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        start, end, params = self._parts(compiler)
        seconds = f"((julianday({end}) - julianday({start})) * 86400.0)"
        return f"(CASE WHEN {seconds} < 0 THEN 0.0 ELSE {seconds} END)", params + params


class PercentileCont(Aggregate):
    """PostgreSQL `percentile_cont(p) WITHIN GROUP (ORDER BY expression)`; NULLs are ignored."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
    window_compatible = False

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        fraction = float(fraction)
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=repr(fraction), **extra)


def _has_percentile_cont() -> bool:
    return connection.vendor == "postgresql"


# --- Filters and scope -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricFilters:
    """What the viewer asked for. Dates are local dates in `zone`; the range is half-open [start, end)."""

    team: str = ""
    service: str = ""
    severity: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    period: str = "month"
    zone: dt.tzinfo = field(default_factory=lambda: zoneinfo.ZoneInfo("UTC"))

    @property
    def narrows_incidents(self) -> bool:
        return bool(self.team or self.service or self.severity or self.start or self.end)

    def window(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The half-open UTC-aware window `[start 00:00, end 00:00)` in the viewer's zone."""
        lo = dt.datetime.combine(self.start, dt.time.min, tzinfo=self.zone) if self.start else None
        hi = dt.datetime.combine(self.end, dt.time.min, tzinfo=self.zone) if self.end else None
        return lo, hi


def incidents_in_scope(user: Any, filters: MetricFilters) -> QuerySet[Incident]:
    """Incidents the viewer may see that match the filters, one row each, unordered."""
    qs = incidents_visible_to(user)
    if filters.severity:
        qs = qs.filter(severity=filters.severity)
    if filters.service:
        qs = qs.filter(id__in=Incident.objects.filter(services__slug=filters.service).values("id"))
    if filters.team:
        qs = qs.filter(
            id__in=Incident.objects.filter(
                Q(teams__slug=filters.team) | Q(services__team__slug=filters.team)
            ).values("id")
        )
    lo, hi = filters.window()
    if lo:
        qs = qs.filter(started_at__gte=lo)
    if hi:
        qs = qs.filter(started_at__lt=hi)
    return qs.order_by()


def _period_expr(filters: MetricFilters, path: str = "started_at") -> Expression:
    trunc = TruncWeek if filters.period == "week" else TruncMonth
    return trunc(path, tzinfo=filters.zone, output_field=DateTimeField())


def _as_date(value: Any) -> dt.date | None:
    """Period keys come back as aware datetimes (ORM) or ISO text (raw SQLite rows)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def period_range(first: dt.date, last: dt.date, period: str) -> list[dt.date]:
    """Every period start from `first` to `last` inclusive (Mondays for weeks, 1st of month for months)."""
    out: list[dt.date] = []
    current = first
    while current <= last:
        out.append(current)
        if period == "week":
            current += dt.timedelta(days=7)
        else:
            current = (current.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return out


def period_label(start: dt.date, period: str) -> str:
    if period == "week":
        return f"{start.isocalendar().year}-W{start.isocalendar().week:02d}"
    return start.strftime("%Y-%m")


# --- Duration statistics -----------------------------------------------------------------------------------


@dataclass
class DurationStats:
    """Figures for one duration in one group. Seconds; None when nothing was measured."""

    measured: int = 0
    unknown: int = 0
    mean: float | None = None
    median: float | None = None
    p90: float | None = None

    def as_row(self) -> list[Any]:
        return [self.measured, self.unknown, _round(self.mean), _round(self.median), _round(self.p90)]


def _round(value: float | None) -> int | None:
    return None if value is None else round(value)


def duration_stats(
    rows: QuerySet[Any],
    *,
    durations: dict[str, tuple[str, str]],
    group: Any | None = None,
    prefix: str = "",
    normalize: Callable[[Any], Any] = lambda key: key,
) -> dict[Any, dict[str, DurationStats]]:
    """Count, unknown count, mean, median and 90th percentile of each duration, per group.

    `rows` is an unordered queryset; `durations` maps a name to (start field path, end field path);
    `group` is an expression or field path to group by (None: one group keyed None). Returns
    `{normalize(group key): {name: DurationStats}}`. Queries: one on PostgreSQL; 1 + len(durations) on SQLite.
    """
    group_expr = F(group) if isinstance(group, str) else (group if group is not None else Value(0))
    annotations: dict[str, Any] = {}
    exprs = {}
    for name, (start, end) in durations.items():
        expr = DurationSeconds(F(prefix + start), F(prefix + end))
        exprs[name] = (expr, start, end)
        annotations[f"{name}__n"] = Count(expr)
        annotations[f"{name}__unknown"] = Count(
            "pk", filter=Q(**{f"{prefix}{start}__isnull": True}) | Q(**{f"{prefix}{end}__isnull": True})
        )
        annotations[f"{name}__mean"] = Avg(expr)
        if _has_percentile_cont():
            annotations[f"{name}__median"] = PercentileCont(expr, 0.5)
            annotations[f"{name}__p90"] = PercentileCont(expr, 0.9)
    result: dict[Any, dict[str, DurationStats]] = defaultdict(dict)
    for row in rows.order_by().values(g=group_expr).annotate(**annotations).order_by():
        key = None if group is None else normalize(row["g"])
        for name in durations:
            result[key][name] = DurationStats(
                measured=row[f"{name}__n"],
                unknown=row[f"{name}__unknown"],
                mean=row[f"{name}__mean"],
                median=row.get(f"{name}__median"),
                p90=row.get(f"{name}__p90"),
            )
    if not _has_percentile_cont():
        for name, (expr, _start, _end) in exprs.items():
            ranked = _ranked_percentiles(rows, expr, group_expr, (0.5, 0.9))
            for g, values in ranked.items():
                key = None if group is None else normalize(g)
                stats = result[key].setdefault(name, DurationStats())
                stats.median = values.get(0.5)
                stats.p90 = values.get(0.9)
    return dict(result)


def _ranked_percentiles(
    rows: QuerySet[Any], expr: Expression, group_expr: Any, fractions: Iterable[float]
) -> dict[Any, dict[float, float]]:
    """Percentiles per group for databases without `percentile_cont` (see the module docstring).

    The database returns, per group, only the rows at 0-based ranks ⌊h⌋ and ⌈h⌉ with h = p·(n−1).
    """
    fractions = tuple(float(p) for p in fractions)
    inner = rows.order_by().annotate(hs_v=expr).filter(hs_v__isnull=False).values("hs_v", hs_g=group_expr)
    sql, params = inner.query.sql_with_params()
    wanted = " OR ".join(f"(rn > {p!r} * (n - 1) - 1 AND rn < {p!r} * (n - 1) + 1)" for p in fractions)
    # `sql` is the ORM's own compiled query (its values stay in `params`); the fractions are floats.
    wrapped = (
        "SELECT hs_g, hs_v, rn, n FROM ("  # noqa: S608
        " SELECT hs_g, hs_v, ROW_NUMBER() OVER (PARTITION BY hs_g ORDER BY hs_v) - 1 AS rn,"
        " COUNT(*) OVER (PARTITION BY hs_g) AS n"
        f" FROM ({sql}) hs_base) hs_ranked WHERE {wanted}"
    )
    by_group: dict[Any, dict[int, float]] = defaultdict(dict)
    sizes: dict[Any, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(wrapped, params)
        for g, value, rn, n in cursor.fetchall():
            by_group[g][int(rn)] = float(value)
            sizes[g] = int(n)
    out: dict[Any, dict[float, float]] = {}
    for g, ranks in by_group.items():
        n = sizes[g]
        out[g] = {}
        for p in fractions:
            h = p * (n - 1)
            lo = int(h)
            hi = lo + 1 if h > lo else lo
            out[g][p] = ranks[lo] + (h - lo) * (ranks[hi] - ranks[lo])
    return out


# --- Figures -----------------------------------------------------------------------------------------------


@dataclass
class Figure:
    """One figure: a title, its definition, a table (`columns`, `rows`) and what the chart draws.

    `rows` hold raw values (seconds as ints, counts, labels) so the CSV gets numbers; `kinds` says per
    column how the page shows a value ("text", "count", "seconds", "percent").
    """

    slug: str
    title: str
    definition: str
    columns: list[str]
    kinds: list[str]
    rows: list[list[Any]]
    chart: dict[str, Any] = field(default_factory=dict)
    row_kinds: list[str] = field(default_factory=list)

    def cells(self) -> list[list[tuple[Any, str]]]:
        """Each row as (value, kind) pairs; a "mixed" column takes its kind from `row_kinds`."""
        out = []
        for i, row in enumerate(self.rows):
            kinds = [
                (self.row_kinds[i] if k == "mixed" and i < len(self.row_kinds) else k) for k in self.kinds
            ]
            out.append(list(zip(row, kinds, strict=False)))
        return out


SEVERITY_ORDER = list(Severity.values)


def incident_counts(user: Any, filters: MetricFilters) -> Figure:
    """Incidents started per period, by severity (one query)."""
    qs = incidents_in_scope(user, filters)
    counts: dict[dt.date, dict[str, int]] = defaultdict(dict)
    for row in qs.values(p=_period_expr(filters), severity_=F("severity")).annotate(n=Count("id")).order_by():
        counts[_as_date(row["p"])][row["severity_"]] = row["n"]  # type: ignore[index]
    periods = period_range(min(counts), max(counts), filters.period) if counts else []
    rows = [
        [period_label(p, filters.period)]
        + [counts.get(p, {}).get(s, 0) for s in SEVERITY_ORDER]
        + [sum(counts.get(p, {}).values())]
        for p in periods
    ]
    return Figure(
        slug="incidents",
        title=f"Incidents per {filters.period} by severity",
        definition="Incidents counted in the period of their start time (`started_at`), in your time zone.",
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
    "Median and 90th percentile are interpolated (percentile_cont)."
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


def durations_by_service(user: Any, filters: MetricFilters) -> Figure:
    """As `durations_by_severity`, per affected service; an incident counts once for each of its services."""
    qs = incidents_in_scope(user, filters)
    stats = duration_stats(
        qs, durations={k: (v[1], v[2]) for k, v in DURATIONS.items()}, group="services__name"
    )
    keys = sorted(stats, key=lambda k: (k is None, k or ""))
    rows = _duration_rows(stats, keys, lambda k: k or "(no service)")
    return Figure(
        slug="durations-service",
        title="Response times by service",
        definition=DURATION_DEFINITION
        + " An incident affecting several services counts once for each of them.",
        columns=["Service", "Duration", *DURATION_COLUMNS],
        kinds=["text", "text", *DURATION_KINDS],
        rows=rows,
        chart=_duration_chart(rows),
    )


def durations_over_time(user: Any, filters: MetricFilters) -> Figure:
    """Median time to detect and to resolve per period: "are we detecting faster?"."""
    qs = incidents_in_scope(user, filters)
    wanted = {k: DURATIONS[k][1:] for k in ("time_to_detect", "time_to_resolve")}
    by_period = duration_stats(qs, durations=wanted, group=_period_expr(filters), normalize=_as_date)
    periods = period_range(min(by_period), max(by_period), filters.period) if by_period else []
    rows = []
    for p in periods:
        row: list[Any] = [period_label(p, filters.period)]
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
    qs = incidents_in_scope(user, filters)
    methods = [*DetectionMethod.values, ""]
    labels = {**dict(DetectionMethod.choices), "": "Unknown"}
    counts: dict[dt.date, dict[str, int]] = defaultdict(dict)
    for row in qs.values(p=_period_expr(filters), m=F("detection_method")).annotate(n=Count("id")).order_by():
        counts[_as_date(row["p"])][row["m"]] = row["n"]  # type: ignore[index]
    periods = period_range(min(counts), max(counts), filters.period) if counts else []
    rows = [
        [period_label(p, filters.period)] + [counts.get(p, {}).get(m, 0) for m in methods] for p in periods
    ]
    return Figure(
        slug="detection",
        title=f"How incidents were detected, per {filters.period}",
        definition="The incident's detection method (alert, customer report, employee, by chance); "
        "incidents with none recorded are counted as unknown.",
        columns=[filters.period.capitalize(), *[labels[m] for m in methods]],
        kinds=["text"] + ["count"] * len(methods),
        rows=rows,
        chart={
            "type": "stacked",
            "labels": [r[0] for r in rows],
            "series": [
                {"name": labels[m], "css": f"series-{i}", "values": [r[i + 1] for r in rows]}
                for i, m in enumerate(methods)
            ],
        },
    )


def _factors_in_scope(user: Any, filters: MetricFilters) -> QuerySet[ContributingFactor]:
    return ContributingFactor.objects.filter(incident__in=incidents_in_scope(user, filters).values("id"))


def factor_categories(user: Any, filters: MetricFilters) -> Figure:
    """Contributing factors per period (of their incident's start) by category (one query)."""
    categories = list(FactorCategory.values)
    labels = dict(FactorCategory.choices)
    counts: dict[dt.date, dict[str, int]] = defaultdict(dict)
    for row in (
        _factors_in_scope(user, filters)
        .values(p=_period_expr(filters, "incident__started_at"), c=F("category"))
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[_as_date(row["p"])][row["c"]] = row["n"]  # type: ignore[index]
    periods = period_range(min(counts), max(counts), filters.period) if counts else []
    rows = [
        [period_label(p, filters.period)] + [counts.get(p, {}).get(c, 0) for c in categories] for p in periods
    ]
    return Figure(
        slug="factor-categories",
        title=f"Contributing-factor categories per {filters.period}",
        definition="Contributing factors counted in the period their incident started.",
        columns=[filters.period.capitalize(), *[labels[c] for c in categories]],
        kinds=["text"] + ["count"] * len(categories),
        rows=rows,
        chart={
            "type": "stacked",
            "labels": [r[0] for r in rows],
            "series": [
                {"name": labels[c], "css": f"series-{i}", "values": [r[i + 1] for r in rows]}
                for i, c in enumerate(categories)
            ],
        },
    )


def recurring_factors(user: Any, filters: MetricFilters, *, limit: int = 10) -> Figure:
    """Factors seen in two or more incidents, most incidents first (one query).

    Two factors are "the same" when they share a category and a title (case-insensitive), where a factor
    marked as a recurrence of an earlier one takes that earlier factor's title.
    """
    labels = dict(FactorCategory.choices)
    rows_qs = (
        _factors_in_scope(user, filters)
        .values(c=F("category"), key=Lower(Coalesce("recurrence_of__title", "title")))
        .annotate(
            incidents=Count("incident", distinct=True),
            title_=Min(Coalesce("recurrence_of__title", "title")),
        )
        .filter(incidents__gte=2)
        .order_by("-incidents", "c", "key")[:limit]
    )
    rows = [[r["title_"], labels.get(r["c"], r["c"]), r["incidents"]] for r in rows_qs]
    return Figure(
        slug="recurring-factors",
        title="Contributing factors that keep coming back",
        definition="Factors with the same category and title (ignoring case), or marked as a recurrence of "
        "an earlier factor, counted by the number of incidents they appear in (two or more).",
        columns=["Factor", "Category", "Incidents"],
        kinds=["text", "text", "count"],
        rows=rows,
        chart={"type": "bars", "bars": [{"label": r[0], "value": r[2]} for r in rows], "unit": "count"},
    )


def missing_test_types(user: Any, filters: MetricFilters) -> Figure:
    """For each test type, the number of incidents with a factor saying it was missing (one query)."""
    factors = _factors_in_scope(user, filters)
    aggregates = {
        t: Count("incident", distinct=True, filter=Q(missing_test_types__icontains=f'"{t}"'))
        for t in TestType.values
    }
    totals = factors.aggregate(**aggregates)
    labels = dict(TestType.choices)
    counts: list[tuple[str, int]] = [(str(labels[t]), totals[t] or 0) for t in TestType.values]
    rows = [list(r) for r in sorted(counts, key=lambda r: (-r[1], r[0]))]
    return Figure(
        slug="missing-tests",
        title="Which test layer would have caught the most",
        definition="Incidents with a contributing factor recording the test type as missing.",
        columns=["Test type", "Incidents"],
        kinds=["text", "count"],
        rows=rows,
        chart={"type": "bars", "bars": [{"label": r[0], "value": r[1]} for r in rows], "unit": "count"},
    )


def _target_due(days: dict[str, int]) -> Case:
    return Case(
        *[When(priority=p, then=F("created_at") + dt.timedelta(days=d)) for p, d in days.items()],
        default=F("created_at") + dt.timedelta(days=30),
        output_field=DateTimeField(),
    )


def action_item_figures(user: Any, filters: MetricFilters, *, today: dt.date | None = None) -> Figure:
    """Completion rate, share done within the priority's target, and overdue aging (one query).

    - completion rate = done ÷ (all items − won't do);
    - done within target = done items whose completion date (UTC) is on or before creation date + the
      priority's target days (`settings.ACTION_ITEM_DUE_TARGET_DAYS`), ÷ done items with a completion time;
    - overdue aging: open items (open, in progress, blocked) by days past their due date, counted to
      today's UTC date (an owner's own zone can move an item by a day).
    Items are those raised on the incidents in scope that the viewer may see.
    """
    today = today or timezone.now().astimezone(dt.UTC).date()
    items = action_items_visible_to(user).filter(incident__in=incidents_in_scope(user, filters).values("id"))
    items = items.annotate(
        hs_done_on=TruncDate("completed_at", tzinfo=dt.UTC),
        hs_target_on=TruncDate(_target_due(settings.ACTION_ITEM_DUE_TARGET_DAYS), tzinfo=dt.UTC),
    )
    is_open = Q(status__in=OPEN_ITEM_STATUSES)
    aggregates: dict[str, Any] = {
        "total": Count("id"),
        "done": Count("id", filter=Q(status=ActionItemStatus.DONE)),
        "wont": Count("id", filter=Q(status=ActionItemStatus.WONT_DO)),
        "open": Count("id", filter=is_open),
        "done_timed": Count("id", filter=Q(status=ActionItemStatus.DONE, completed_at__isnull=False)),
        "in_target": Count(
            "id",
            filter=Q(status=ActionItemStatus.DONE, completed_at__isnull=False)
            & Q(hs_done_on__lte=F("hs_target_on")),
        ),
    }
    for i, (_label, least, most) in enumerate(OVERDUE_BUCKETS):
        cond = is_open & Q(due_date__lte=today - dt.timedelta(days=least))
        if most is not None:
            cond &= Q(due_date__gte=today - dt.timedelta(days=most))
        aggregates[f"overdue_{i}"] = Count("id", filter=cond)
    agg = items.aggregate(**aggregates)
    countable = agg["total"] - agg["wont"]
    completion = agg["done"] / countable if countable else None
    in_target = agg["in_target"] / agg["done_timed"] if agg["done_timed"] else None
    rows: list[list[Any]] = [
        ["Action items", agg["total"]],
        ["Done", agg["done"]],
        ["Won't do", agg["wont"]],
        ["Still open", agg["open"]],
        ["Completion rate (done ÷ items that are not won't do)", completion],
        ["Done within the priority's target", in_target],
    ]
    kinds_by_row = ["count", "count", "count", "count", "percent", "percent"]
    for i, (label, _least, _most) in enumerate(OVERDUE_BUCKETS):
        rows.append([f"Overdue {label}", agg[f"overdue_{i}"]])
        kinds_by_row.append("count")
    targets = ", ".join(f"{p} {d} days" for p, d in settings.ACTION_ITEM_DUE_TARGET_DAYS.items())
    return Figure(
        slug="action-items",
        title="Action items: completion, targets and overdue aging",
        definition=(
            "Items raised on the incidents in scope. Completion rate: done ÷ (all − won't do). "
            f"Within target: done no later than creation + the priority's target ({targets}), "
            "÷ done items with a completion time. Overdue aging: open, in progress or blocked items by days "
            "past their due date, counted to today (UTC)."
        ),
        columns=["Figure", "Value"],
        kinds=["text", "mixed"],
        rows=rows,
        chart={
            "type": "bars",
            "unit": "count",
            "bars": [
                {"label": label, "value": agg[f"overdue_{i}"]}
                for i, (label, _l, _m) in enumerate(OVERDUE_BUCKETS)
            ],
            "caption": "Overdue open items by age",
        },
        row_kinds=kinds_by_row,
    )


def _findings_in_scope(user: Any, filters: MetricFilters) -> QuerySet[Any]:
    qs = findings_visible_to(user)
    if filters.narrows_incidents:
        linked = incidents_in_scope(user, filters).values("id")
        qs = qs.filter(id__in=qs.model.objects.filter(incidents__in=linked).values("id"))
    return qs.order_by()


def findings_open(user: Any, filters: MetricFilters) -> Figure:
    """Open policy findings (draft, open, remediating, remediated) by area and risk (one query)."""
    risks = list(Risk.values)
    risk_labels = dict(Risk.choices)
    area_labels = dict(FindingArea.choices)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for row in (
        _findings_in_scope(user, filters)
        .filter(status__in=OPEN_FINDING_STATUSES)
        .values("area", "risk")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[row["area"]][row["risk"]] = row["n"]
    rows = [
        [area_labels[a]] + [counts.get(a, {}).get(r, 0) for r in risks] + [sum(counts.get(a, {}).values())]
        for a in FindingArea.values
        if a in counts
    ]
    return Figure(
        slug="findings-open",
        title="Open policy findings by area and risk",
        definition="Findings that are not yet verified, closed or risk-accepted. "
        + ("Only findings seen in the incidents in scope." if filters.narrows_incidents else ""),
        columns=["Area", *[risk_labels[r] for r in risks], "Total"],
        kinds=["text"] + ["count"] * (len(risks) + 1),
        rows=rows,
        chart={
            "type": "stacked",
            "horizontal": True,
            "labels": [r[0] for r in rows],
            "series": [
                {"name": risk_labels[r], "css": f"risk-{r}", "values": [row[i + 1] for row in rows]}
                for i, r in enumerate(risks)
            ],
        },
    )


def findings_closure(user: Any, filters: MetricFilters) -> Figure:
    """Time from a finding's creation to its verification, per risk (1 query on PostgreSQL, 2 on SQLite)."""
    qs = _findings_in_scope(user, filters)
    stats = duration_stats(
        qs.filter(verified_at__isnull=False),
        durations={"closure": ("created_at", "verified_at")},
        group="risk",
    )
    risk_labels = dict(Risk.choices)
    rows = [
        [risk_labels[r], *stats[r]["closure"].as_row()[:1], *stats[r]["closure"].as_row()[2:]]
        for r in Risk.values
        if r in stats
    ]
    return Figure(
        slug="findings-closure",
        title="Time to verified closure of policy findings",
        definition="From the finding's creation to its verification by someone other than the owner; "
        "findings not yet verified are not measured.",
        columns=["Risk", "Verified", "Mean", "Median", "90th percentile"],
        kinds=["text", "count", "seconds", "seconds", "seconds"],
        rows=rows,
        chart={
            "type": "bars",
            "unit": "seconds",
            "bars": [{"label": r[0], "value": r[3], "whisker": r[4]} for r in rows],
        },
    )


#: Figure slug → builder, in page order.
FIGURES: dict[str, Callable[[Any, MetricFilters], Figure]] = {
    "incidents": incident_counts,
    "durations-trend": durations_over_time,
    "durations-severity": durations_by_severity,
    "durations-service": durations_by_service,
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
