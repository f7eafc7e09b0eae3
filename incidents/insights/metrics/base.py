"""Insights building blocks: the duration and percentile expressions, filters and scope, periods, duration
statistics and the Figure every builder returns (the definitions are in `incidents.insights.metrics`)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import NotSupportedError, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DateTimeField,
    Exists,
    Expression,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import TruncMonth, TruncWeek
from django.db.models.sql.compiler import SQLCompiler

from incidents.models import (
    OPTION_KINDS,
    CustomFieldValue,
    Incident,
    Severity,
)
from incidents.permissions.incident import incidents_visible_to

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

#: What response times can be grouped by (the catalog's dimensions), as the page names them.
GROUPS: dict[str, str] = {"service": "service", "tier": "tier", "team": "team", "tag": "tag"}


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
    #: A select field of an incident type, as `<type slug>.<key>` (the "by custom field" figure groups by
    #: it) and, with `custom_value`, one of its options: only incidents holding it (any letter case).
    custom_field: str = ""
    custom_value: str = ""
    #: Only incidents affecting a service of this tier (1-4), or carrying this tag (its name).
    tier: int | None = None
    tag: str = ""
    #: What the "response times by" figure groups by: one of `GROUPS`.
    group: str = "service"

    @property
    def narrows_incidents(self) -> bool:
        return bool(
            self.team or self.service or self.severity or self.start or self.end or self.custom_value
            or self.tier or self.tag
        )  # fmt: skip

    def custom_field_parts(self) -> tuple[str, str]:
        """(type slug, field key) of `custom_field`; ("", "") without one."""
        slug, _dot, key = self.custom_field.partition(".")
        return (slug, key) if key else ("", "")

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
    if filters.tier:
        qs = qs.filter(id__in=Incident.objects.filter(services__tier=filters.tier).values("id"))
    if filters.tag:
        qs = qs.filter(id__in=Incident.objects.filter(tags__name=filters.tag).values("id"))
    slug, key = filters.custom_field_parts()
    if key and filters.custom_value:
        holding = CustomFieldValue.objects.filter(
            field__incident_type__slug=slug,
            field__key=key,
            field__kind__in=OPTION_KINDS,
            text__iexact=filters.custom_value,
            incident=OuterRef("pk"),
        )
        qs = qs.filter(Exists(holding))
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


#: A run of at least this many periods with nothing in them is shown as one row.
COLLAPSE_EMPTY = 2


def shown_periods(present: Iterable[dt.date], period: str) -> list[tuple[dt.date, str]]:
    """The periods a per-period table shows, as (period start, label), from the first period in `present`
    to the last: each period with data, a lone empty period as itself, and every run of `COLLAPSE_EMPTY`
    or more empty periods as one row labelled with its first and last period ("2017-03 – 2019-05 (none)"),
    keyed by the run's first start, which has no data, so the row reads as zeros. Empty for no data."""
    have = set(present)
    if not have:
        return []
    out: list[tuple[dt.date, str]] = []
    run: list[dt.date] = []

    def flush() -> None:
        if len(run) >= COLLAPSE_EMPTY:
            out.append((run[0], f"{period_label(run[0], period)} – {period_label(run[-1], period)} (none)"))
        else:
            out.extend((p, period_label(p, period)) for p in run)
        run.clear()

    for p in period_range(min(have), max(have), period):
        if p in have:
            flush()
            out.append((p, period_label(p, period)))
        else:
            run.append(p)
    flush()
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
    """A duration figure (seconds, never negative) as whole seconds, cut toward zero and never rounded up,
    as the API and every other surface give durations (59.999 s is 59, so "< 1 min"); None stays None."""
    # To the millisecond first: seconds computed by the database (SQLite's julianday is a double of days)
    # come back as 6839.9999 for 6840; below a millisecond that is noise, not time.
    return None if value is None else int(round(value, 3))


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


def stacked_per_period(
    counted: Iterable[Mapping[str, Any]],
    filters: MetricFilters,
    keys: list[str],
    labels: dict[str, str],
    *,
    slug: str,
    title: str,
    definition: str,
) -> Figure:
    """A count per period and key, drawn stacked: `counted` holds rows `{"p": period start, "k": key,
    "n": count}` (a grouped `values()` query); the table has a row per period from the first to the last
    with a count (`shown_periods`: runs of empty periods collapsed into one row of zeros), a column per key in `keys` order, headed by `labels`."""
    counts: dict[dt.date, dict[str, int]] = defaultdict(dict)
    for row in counted:
        counts[_as_date(row["p"])][row["k"]] = row["n"]  # type: ignore[index]
    periods = shown_periods(counts, filters.period)
    rows = [[label] + [counts.get(p, {}).get(k, 0) for k in keys] for p, label in periods]
    return Figure(
        slug=slug,
        title=title,
        definition=definition,
        columns=[filters.period.capitalize(), *[labels[k] for k in keys]],
        kinds=["text"] + ["count"] * len(keys),
        rows=rows,
        chart={
            "type": "stacked",
            "labels": [r[0] for r in rows],
            "series": [
                {"name": labels[k], "css": f"series-{i}", "values": [r[i + 1] for r in rows]}
                for i, k in enumerate(keys)
            ],
        },
    )
