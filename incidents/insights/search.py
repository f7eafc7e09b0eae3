"""Search across incidents, timeline entries, postmortems, contributing factors, action items and findings,
and "similar incidents".

PostgreSQL: full-text search (`to_tsvector('english', …) @@ websearch_to_tsquery('english', q)`), ranked
with `ts_rank` (among the newest 300 matches of each kind, so a common word costs no more than a rare
one), snippets from `ts_headline`. Each searched table has a GIN index on exactly the vector
expression used here (migration `0002_insights_search`, PostgreSQL only), so keep `VECTORS` and that
migration in step. Similar incidents use `pg_trgm` title similarity.

SQLite (and any other database): every word of the query must appear (case-insensitive `LIKE`) in one of
the object's text fields; newest first; the snippet is cut and highlighted in Python. Similar incidents
score the share of the title's words found in the other title.

Every result goes through the permission scopes in `accounts/permissions.py`: what a viewer cannot see is
not found, not counted and not hinted at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorField,
    TrigramSimilarity,
)
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from incidents.models import (
    ActionItem,
    ContributingFactor,
    Incident,
    PolicyFinding,
    Postmortem,
    TimelineEntry,
)
from incidents.permissions import (
    action_items_visible_to,
    action_items_with_incident_visibility,
    findings_visible_to,
    incidents_visible_to,
)

CONFIG = "english"
PER_KIND_LIMIT = 20
RANK_CANDIDATES = 300
SNIPPET_CHARS = 90
# Markers ts_headline puts around matches; chosen so HTML escaping leaves them alone.
START, STOP = "\u2045hs\u2045", "\u2046hs\u2046"
MIN_QUERY_LENGTH = 2
MAX_QUERY_LENGTH = 200


class JsonValuesVector(Func):
    """`to_tsvector('english', jsonb)`: the words of a JSON document's string values, keys left out."""

    function = "to_tsvector"
    template = "%(function)s('english'::regconfig, %(expressions)s)"
    output_field = SearchVectorField()


def _vector(*fields: str) -> SearchVector:
    return SearchVector(*fields, config=CONFIG)


#: Kind → (model, text fields). The PostgreSQL vector of each kind is `_vector(*fields)` (postmortems:
#: `JsonValuesVector("sections")`); migration 0002 indexes the same expressions.
KINDS: dict[str, tuple[type[Any], tuple[str, ...]]] = {
    "incident": (Incident, ("title", "summary", "customer_impact")),
    "timeline entry": (TimelineEntry, ("body",)),
    "postmortem": (Postmortem, ("sections",)),
    "contributing factor": (ContributingFactor, ("title", "description")),
    "action item": (ActionItem, ("title", "description")),
    "policy finding": (PolicyFinding, ("title", "description")),
}


def vector_for(kind: str) -> Any:
    """The PostgreSQL search vector expression of `kind` (the same expression the GIN index holds)."""
    if kind == "postmortem":
        return JsonValuesVector(F("sections"))
    return _vector(*KINDS[kind][1])


@dataclass
class SearchHit:
    """One search result. `snippet` is escaped HTML with the matches in `<mark>`."""

    kind: str
    title: str
    url: str
    snippet: SafeString
    rank: float
    when: datetime | None
    reference: str = ""


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def words_of(query: str) -> list[str]:
    """The words of a query for the fallback: quotes and websearch operators dropped, at most 8 words."""
    cleaned = re.sub(r"[\"'()]", " ", query)
    words = [w for w in cleaned.split() if w.lower() not in {"or", "and"} and w != "-"]
    return [w.lstrip("-") for w in words if w.lstrip("-")][:8]


def _marked(text: str) -> SafeString:
    """Escape `text` and turn the ts_headline markers into `<mark>` (the only markup in a snippet)."""
    escaped = str(escape(text))
    return mark_safe(escaped.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S308


def highlight(text: str, words: Iterable[str], *, width: int = SNIPPET_CHARS) -> SafeString:
    """An escaped snippet of `text` around the first match of any of `words`, each match in `<mark>`."""
    words = [w for w in words if w]
    if not text:
        return mark_safe("")
    pattern = (
        re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.I)
        if words
        else None
    )
    match = pattern.search(text) if pattern else None
    start = max(0, (match.start() if match else 0) - width // 2)
    end = min(len(text), start + width * 2)
    piece = text[start:end]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    if pattern is None:
        return mark_safe(escape(prefix + piece + suffix))  # noqa: S308
    out = []
    last = 0
    for m in pattern.finditer(piece):
        out.append(str(escape(piece[last : m.start()])))
        out.append(f"<mark>{escape(m.group(0))}</mark>")
        last = m.end()
    out.append(str(escape(piece[last:])))
    return mark_safe(escape(prefix) + "".join(out) + escape(suffix))  # noqa: S308


# --- Scopes ------------------------------------------------------------------------------------------------


def _scoped(kind: str, user: Any) -> QuerySet[Any]:
    """The objects of `kind` that `user` may see (with what a result line shows joined in)."""
    visible = incidents_visible_to(user).values("id")
    if kind == "incident":
        return incidents_visible_to(user)
    if kind == "timeline entry":
        return TimelineEntry.objects.filter(incident__in=visible, removed_at__isnull=True).select_related(
            "incident"
        )
    if kind == "postmortem":
        return Postmortem.objects.filter(incident__in=visible).select_related("incident")
    if kind == "contributing factor":
        return ContributingFactor.objects.filter(incident__in=visible).select_related("incident")
    if kind == "action item":
        # An owner's own item on an incident they may not see: found, but shown without the incident.
        return action_items_with_incident_visibility(
            user, action_items_visible_to(user).select_related("incident")
        )
    if kind == "policy finding":
        return findings_visible_to(user)
    raise KeyError(kind)


def _incident_url(incident: Incident | None, anchor: str = "") -> str:
    if incident is None:
        return ""
    return reverse("incidents:detail", args=[incident.number]) + anchor


def _describe(kind: str, obj: Any) -> tuple[str, str, str, datetime | None]:
    """(title, url, incident reference, time) of a result object."""
    if kind == "incident":
        return obj.title, _incident_url(obj), obj.reference, obj.started_at
    incident: Incident | None = getattr(obj, "incident", None)
    ref = incident.reference if incident else ""
    if kind == "timeline entry":
        return (
            f"Timeline of {incident.title if incident else ''}",
            _incident_url(incident, f"#entry-{obj.pk}"),
            ref,
            obj.occurred_at,
        )
    if kind == "postmortem":
        title = f"Postmortem of {incident.title if incident else ''}"
        return title, _incident_url(incident, "#postmortem"), ref, obj.updated_at
    if kind == "contributing factor":
        return obj.title, _incident_url(incident, f"#factor-{obj.pk}"), ref, obj.created_at
    if kind == "action item":
        if incident is not None and not getattr(obj, "incident_visible", False):
            return obj.title, reverse("incidents:action_item_detail", args=[obj.pk]), "", obj.created_at
        return obj.title, _incident_url(incident, f"#action-item-{obj.pk}"), ref, obj.created_at
    return obj.title, "", "", obj.created_at


def _texts(kind: str, obj: Any) -> list[str]:
    if kind == "postmortem":
        return [str(v) for v in (obj.sections or {}).values() if v]
    return [getattr(obj, f) or "" for f in KINDS[kind][1]]


# --- Search ------------------------------------------------------------------------------------------------


def search_for(user: Any, query: str, *, limit: int = PER_KIND_LIMIT) -> list[SearchHit]:
    """Objects of every kind matching `query` that `user` may see, best first.

    At most `limit` hits per kind; one query per kind (six in all). An empty or one-letter query gives
    no hits. PostgreSQL ranks by `ts_rank`; the fallback lists newest first within each kind.
    """
    query = (query or "").strip()[:MAX_QUERY_LENGTH]
    if len(query) < MIN_QUERY_LENGTH:
        return []
    hits: list[SearchHit] = []
    for kind in KINDS:
        if _is_postgres():
            hits += _search_postgres(kind, user, query, limit)
        else:
            hits += _search_fallback(kind, user, query, limit)
    if _is_postgres():
        hits.sort(key=lambda h: -h.rank)
    return hits


def _search_postgres(kind: str, user: Any, query: str, limit: int) -> list[SearchHit]:
    model, fields = KINDS[kind]
    search_query = SearchQuery(query, search_type="websearch", config=CONFIG)
    vector = vector_for(kind)
    if kind == "postmortem":
        source: Any = F("sections")
    elif len(fields) == 1:
        source = F(fields[0])
    else:
        source = Func(
            *[F(f) for f in fields], function="concat_ws", template="%(function)s(' · ', %(expressions)s)"
        )
    # Matching uses the GIN index alone; ranking recomputes each vector, so only the newest
    # RANK_CANDIDATES matches of a kind are ranked (a bounded cost however common the words are).
    candidates = (
        _scoped(kind, user)
        .annotate(hs_vector=vector)
        .filter(hs_vector=search_query)
        .order_by("-pk")
        .values("pk")[:RANK_CANDIDATES]
    )
    outer = (
        model.objects.all()
        if kind in ("incident", "policy finding")
        else model.objects.select_related("incident")
    )
    if kind == "action item":  # the outer query is unscoped: say again whether its incident may be named
        outer = action_items_with_incident_visibility(user, outer)
    qs = (
        outer.filter(pk__in=candidates)
        .annotate(
            hs_rank=SearchRank(vector, search_query),
            hs_headline=SearchHeadline(
                source,
                search_query,
                config=CONFIG,
                start_sel=START,
                stop_sel=STOP,
                max_words=30,
                min_words=10,
                max_fragments=2,
                fragment_delimiter=" … ",
            ),
        )
        .order_by("-hs_rank", "-pk")[:limit]
    )
    hits = []
    for obj in qs:
        title, url, ref, when = _describe(kind, obj)
        headline = obj.hs_headline or ""
        if kind == "postmortem":
            headline = _json_headline(headline)
        hits.append(SearchHit(kind, title, url, _marked(headline), float(obj.hs_rank), when, ref))
    return hits


def _json_headline(value: Any) -> str:
    """ts_headline over jsonb returns the document with marked values; keep the sections with a match."""
    try:
        doc = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return str(value)
    if not isinstance(doc, dict):
        return str(doc)
    marked = [str(v) for v in doc.values() if START in str(v)]
    text = " … ".join(marked) or " ".join(str(v) for v in doc.values())
    # The jsonb headline keeps whole values: cut around the first match.
    first = text.find(START)
    if first > SNIPPET_CHARS:
        text = "…" + text[first - SNIPPET_CHARS // 2 :]
    if len(text) > SNIPPET_CHARS * 3:
        text = text[: SNIPPET_CHARS * 3]
        if text.count(START) > text.count(STOP):
            text += STOP
        text += "…"
    return text


def _search_fallback(kind: str, user: Any, query: str, limit: int) -> list[SearchHit]:
    _model, fields = KINDS[kind]
    words = words_of(query)
    if not words:
        return []
    cond = Q()
    for word in words:
        # Postmortem sections are matched as JSON text, so a section key can match: the fallback accepts that.
        any_field = Q()
        for f in fields:
            any_field |= Q(**{f"{f}__icontains": word})
        cond &= any_field
    qs = _scoped(kind, user).filter(cond).order_by("-pk")[:limit]
    hits = []
    for obj in qs:
        title, url, ref, when = _describe(kind, obj)
        texts = _texts(kind, obj)
        lowered = [w.lower() for w in words]
        text = next((t for t in texts if any(w in t.lower() for w in lowered)), texts[0] if texts else "")
        hits.append(SearchHit(kind, title, url, highlight(text, words), 0.0, when, ref))
    return hits


# --- Similar incidents -------------------------------------------------------------------------------------

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
    elif _is_postgres():
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
