"""A short cache of the Insights figures, per viewer and filters, dropped by any write they count.

Every figure is scoped to its viewer (restricted incidents, an owner's own items), so the key is the
viewer's id with the filters; the value is the list of `Figure`s. A write to anything a figure counts
(incidents and their services, custom field definitions (an option renamed), participants and reviews, factors, action items, findings, postmortems,
memberships, blameless records and dismissals) bumps a generation number that is part of every key, so the next page computes afresh. The
cache is Django's default cache: with several processes and no shared cache backend, another process's
figures may lag a write by at most `INSIGHTS_CACHE_SECONDS`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save

from accounts.models import Membership
from incidents.insights.metrics.base import Figure, MetricFilters
from incidents.models import (
    ActionItem,
    BlamelessDismissal,
    BlamelessRecord,
    ContributingFactor,
    CustomField,
    Incident,
    PolicyFinding,
    Postmortem,
    PostmortemReview,
)

#: How long a viewer's figures are kept, in seconds (writes drop them sooner).
INSIGHTS_CACHE_SECONDS = 60
GENERATION_KEY = "insights:generation"


def generation() -> int:
    """The current generation (an int that every counted write increases)."""
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        value = cache.get(GENERATION_KEY, 1)
    return int(value)


def invalidate(*_args: Any, **_kwargs: Any) -> None:
    """Drop every cached figure (a signal receiver: any arguments)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not set yet (or evicted): a fresh generation differs from any cached one
        cache.set(GENERATION_KEY, generation() + 1, timeout=None)


def _key(user: Any, filters: MetricFilters, what: str) -> str:
    raw = "|".join(
        str(v)
        for v in (
            what,
            getattr(user, "pk", None),
            filters.team,
            filters.service,
            filters.severity,
            filters.start,
            filters.end,
            filters.period,
            getattr(filters.zone, "key", str(filters.zone)),
            filters.custom_field,
            filters.custom_value.lower(),
        )
    )
    return f"insights:{generation()}:{hashlib.sha256(raw.encode()).hexdigest()[:32]}"


def cached_figures(
    user: Any, filters: MetricFilters, build: Callable[[], list[Figure]], *, what: str = "page"
) -> list[Figure]:
    """`build()` (the figures of `user` for `filters`), from the cache when a recent one is kept."""
    key = _key(user, filters, what)
    figures = cache.get(key)
    if figures is None:
        figures = build()
        cache.set(key, figures, timeout=INSIGHTS_CACHE_SECONDS)
    return figures


def connect() -> None:
    """Drop the cached figures on every write they count (called once from the app's `ready`)."""
    for model in (
        Incident,
        CustomField,
        ContributingFactor,
        ActionItem,
        PolicyFinding,
        Postmortem,
        PostmortemReview,
        Membership,
        BlamelessRecord,
        BlamelessDismissal,
    ):
        post_save.connect(invalidate, sender=model, dispatch_uid=f"insights-cache-save-{model.__name__}")
        post_delete.connect(invalidate, sender=model, dispatch_uid=f"insights-cache-delete-{model.__name__}")
    for through in (
        Incident.services.through,
        Incident.participants.through,
        Incident.tags.through,
        PolicyFinding.incidents.through,
    ):
        m2m_changed.connect(invalidate, sender=through, dispatch_uid=f"insights-cache-m2m-{through.__name__}")
