"""Figures over what incidents leave behind: contributing factors, action items and policy findings."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    Min,
    Q,
    QuerySet,
    When,
)
from django.db.models.functions import Lower, TruncDate
from django.utils import timezone

from incidents.insights.metrics.base import (
    OVERDUE_BUCKETS,
    Figure,
    MetricFilters,
    _period_expr,
    duration_stats,
    incidents_in_scope,
    stacked_per_period,
)
from incidents.models import (
    OPEN_FINDING_STATUSES,
    OPEN_ITEM_STATUSES,
    ActionItemStatus,
    ContributingFactor,
    FactorCategory,
    FindingArea,
    Risk,
    TestType,
    status_now,
)
from incidents.permissions.followup import action_items_visible_to, findings_visible_to
from incidents.permissions.incident import incidents_visible_to


def _factors_in_scope(user: Any, filters: MetricFilters) -> QuerySet[ContributingFactor]:
    return ContributingFactor.objects.filter(incident__in=incidents_in_scope(user, filters).values("id"))


def factor_categories(user: Any, filters: MetricFilters) -> Figure:
    """Contributing factors per period (of their incident's start) by category (one query)."""
    counted = (
        _factors_in_scope(user, filters)
        .values(p=_period_expr(filters, "incident__started_at"), k=F("category"))
        .annotate(n=Count("id"))
        .order_by()
    )
    return stacked_per_period(
        counted,
        filters,
        list(FactorCategory.values),
        dict(FactorCategory.choices),
        slug="factor-categories",
        title=f"Contributing-factor categories per {filters.period}",
        definition="Contributing factors counted in the period their incident started.",
    )


def recurring_factors(user: Any, filters: MetricFilters, *, limit: int = 10) -> Figure:
    """Factors seen in two or more incidents, most incidents first (one query).

    Two factors are "the same" when they share a category and a title (case-insensitive), where a factor
    marked as a recurrence of an earlier one takes that earlier factor's title.
    """
    labels = dict(FactorCategory.choices)
    # The earlier factor's title only when its incident is one `user` may see: never a hidden factor's words.
    earlier = Case(
        When(
            recurrence_of__incident__in=incidents_visible_to(user).values("id"),
            then=F("recurrence_of__title"),
        ),
        default=F("title"),
    )
    rows_qs = (
        _factors_in_scope(user, filters)
        .values(c=F("category"), key=Lower(earlier))
        .annotate(
            incidents=Count("incident", distinct=True),
            title_=Min(earlier),
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
        .annotate(status_now=status_now())  # an ended risk acceptance counts as open
        .filter(status_now__in=OPEN_FINDING_STATUSES)
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
