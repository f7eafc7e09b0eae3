"""Every figure of the Insights page, in page order: the metrics, then the blameless check in use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from incidents.insights import blameless, metrics

FIGURES: dict[str, Callable[[Any, metrics.MetricFilters], metrics.Figure]] = {
    **metrics.FIGURES,
    **blameless.FIGURES,
}


def figures_for(user: Any, filters: metrics.MetricFilters) -> list[metrics.Figure]:
    """Every figure, in order, scoped to what `user` may see, computed now (the page keeps each figure's
    HTML a short time: `incidents.insights.metrics.cache`)."""
    return [build(user, filters) for build in FIGURES.values()]


def figure_for(user: Any, filters: metrics.MetricFilters, slug: str) -> metrics.Figure:
    """One figure by slug; raises KeyError for an unknown slug."""
    return FIGURES[slug](user, filters)
