"""Insights on the blameless check in use: findings raised, reworded and dismissed per period, and the
reasons people gave for keeping a wording, so a team sees whether the check helps.

Scope: findings of the postmortems of the incidents in scope (`metrics.incidents_in_scope`: what the
viewer may see, narrowed by the filters). A finding counts as raised in the period of `raised_at` and as
reworded, dismissed or published over in the period of `resolved_at`, in the viewer's time zone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db.models import Count, DateTimeField, QuerySet
from django.db.models.functions import TruncMonth, TruncWeek

from incidents.insights.metrics import (
    Figure,
    MetricFilters,
    _as_date,
    incidents_in_scope,
    shown_periods,
)
from incidents.models import BlamelessDismissal, BlamelessRecord, FindingResolution
from incidents.review.blameless.explain import LABELS

REASONS_SHOWN = 20


def _records(user: Any, filters: MetricFilters) -> QuerySet[BlamelessRecord]:
    return BlamelessRecord.objects.filter(
        postmortem__incident__in=incidents_in_scope(user, filters).values("id")
    )


def _trunc(filters: MetricFilters, path: str) -> Any:
    trunc = TruncWeek if filters.period == "week" else TruncMonth
    return trunc(path, tzinfo=filters.zone, output_field=DateTimeField())


def findings_over_time(user: Any, filters: MetricFilters) -> Figure:
    """Findings raised, reworded, dismissed and published over per period (two queries)."""
    records = _records(user, filters).order_by()
    counts: dict[Any, dict[str, int]] = defaultdict(dict)
    for row in records.values(p=_trunc(filters, "raised_at")).annotate(n=Count("id")):
        counts[_as_date(row["p"])]["raised"] = row["n"]
    for row in (
        records.filter(resolved_at__isnull=False)
        .values("resolution", p=_trunc(filters, "resolved_at"))
        .annotate(n=Count("id"))
    ):
        counts[_as_date(row["p"])][row["resolution"]] = row["n"]
    keys = ["raised", FindingResolution.REWORDED, FindingResolution.DISMISSED, FindingResolution.OVERRIDDEN]
    rows = [
        [label, *[counts.get(p, {}).get(k, 0) for k in keys]]
        for p, label in shown_periods(counts, filters.period)
    ]
    return Figure(
        slug="blameless",
        title=f"Blameless findings per {filters.period}",
        definition="Wordings the blameless check flagged in postmortems (raised), and how each was closed: "
        "reworded (the words left the text), dismissed with a reason, or published over by the commander.",
        columns=[filters.period.capitalize(), "Raised", "Reworded", "Dismissed", "Published over"],
        kinds=["text", "count", "count", "count", "count"],
        rows=rows,
        chart={
            "type": "stacked",
            "labels": [r[0] for r in rows],
            "series": [
                {"name": name, "css": f"blameless-{key}", "values": [r[i + 1] for r in rows]}
                for i, (name, key) in enumerate(
                    [
                        ("Raised", "raised"),
                        ("Reworded", "reworded"),
                        ("Dismissed", "dismissed"),
                        ("Published over", "overridden"),
                    ]
                )
                if i > 0
            ],
        },
    )


def dismissal_reasons(user: Any, filters: MetricFilters) -> Figure:
    """The most recent reasons for keeping a flagged wording, newest first (one query)."""
    dismissals = (
        BlamelessDismissal.objects.filter(
            postmortem__incident__in=incidents_in_scope(user, filters).values("id")
        )
        .select_related("postmortem__incident", "dismissed_by")
        .order_by("-created_at", "-id")[:REASONS_SHOWN]
    )
    rows = [
        [
            d.created_at.astimezone(filters.zone).strftime("%Y-%m-%d"),
            d.postmortem.incident.reference,
            LABELS.get(d.rule, "Wording"),
            d.text,
            ("Published over: " if d.overridden else "") + d.reason,
            str(d.dismissed_by) if d.dismissed_by_id else "",
        ]
        for d in dismissals
    ]
    return Figure(
        slug="blameless-reasons",
        title="Why flagged wordings were kept",
        definition=f"The {REASONS_SHOWN} most recent dismissals of blameless findings, with the reason given.",
        columns=["Date", "Incident", "Kind", "Words", "Reason", "By"],
        kinds=["text"] * 6,
        rows=rows,
    )


FIGURES: dict[str, Callable[[Any, MetricFilters], Figure]] = {
    "blameless": findings_over_time,
    "blameless-reasons": dismissal_reasons,
}
