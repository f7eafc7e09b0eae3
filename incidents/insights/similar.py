"""Similar incidents: past incidents that look like the one at hand (title, services, factor categories)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import Case, Count, F, FloatField, IntegerField, Q, Value, When
from django.db.models.functions import Cast

from incidents.insights.search import MAX_QUERY_LENGTH
from incidents.insights.search_kinds import is_postgres
from incidents.models import Incident
from incidents.permissions.incident import incidents_visible_to

STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "in",
        "is",
        "it",
        "of",
        "on",
        "or",
        "the",
        "to",
        "was",
        "were",
        "with",
        "after",
        "before",
        "during",
        "down",
        "up",
        "not",
        "no",
    ]
)
SIMILARITY_THRESHOLD = 0.3
TITLE_SIMILARITY_FLOOR = 0.12
SERVICE_WEIGHT = 0.25
CATEGORY_WEIGHT = 0.1


@dataclass
class SimilarIncident:
    """A past incident that looks like the one at hand, with why (title score, shared services/factors)."""

    incident: Incident
    score: float
    title_similarity: float
    shared_services: int
    shared_categories: int


def similar_incidents_for(
    user: Any,
    *,
    title: str,
    service_ids: Iterable[int] = (),
    factor_categories: Iterable[str] = (),
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[SimilarIncident]:
    """Incidents `user` may see that look like one with `title`, services and factor categories.

    score = title similarity (0–1) + 0.25 × shared services + 0.1 × shared factor categories; only
    incidents scoring at least 0.3 are returned, best first, at most `limit` (one query). Title
    similarity is `pg_trgm` `similarity()` on PostgreSQL; elsewhere the share of the title's words (three
    letters or more, stop words left out) found in the other title.
    """
    title = (title or "").strip()[:MAX_QUERY_LENGTH]
    service_ids = [int(s) for s in service_ids]
    categories = [str(c) for c in factor_categories]
    qs = incidents_visible_to(user)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    title_score: Any
    if not title:
        title_score = Value(0.0, output_field=FloatField())
    elif is_postgres():
        title_score = TrigramSimilarity("title", title)
    else:
        words = [w for w in re.findall(r"\w+", title.lower()) if len(w) >= 3 and w not in STOP_WORDS][:10]
        if words:
            hits = sum(
                (
                    Case(
                        When(title__icontains=w, then=Value(1)), default=Value(0), output_field=IntegerField()
                    )
                    for w in words
                ),
                Value(0, output_field=IntegerField()),
            )
            title_score = Cast(hits, FloatField()) / Value(float(len(words)))
        else:
            title_score = Value(0.0, output_field=FloatField())
    shared_services = (
        Count("services", filter=Q(services__in=service_ids), distinct=True)
        if service_ids
        else Value(0, output_field=IntegerField())
    )
    shared_categories = (
        Count("factors__category", filter=Q(factors__category__in=categories), distinct=True)
        if categories
        else Value(0, output_field=IntegerField())
    )
    qs = (
        qs.annotate(hs_title=title_score, hs_services=shared_services, hs_categories=shared_categories)
        .annotate(
            hs_score=F("hs_title")
            + Value(SERVICE_WEIGHT) * Cast(F("hs_services"), FloatField())
            + Value(CATEGORY_WEIGHT) * Cast(F("hs_categories"), FloatField())
        )
        .filter(hs_score__gte=SIMILARITY_THRESHOLD)
        .filter(Q(hs_title__gte=TITLE_SIMILARITY_FLOOR) | Q(hs_services__gt=0))
        .order_by("-hs_score", "-started_at")
        .only("id", "number", "title", "severity", "status", "started_at")[:limit]
    )
    return [
        SimilarIncident(
            incident=i,
            score=round(float(i.hs_score), 2),
            title_similarity=round(float(i.hs_title), 2),
            shared_services=int(i.hs_services),
            shared_categories=int(i.hs_categories),
        )
        for i in qs
    ]
