"""Search across incidents, timeline entries, postmortems, contributing factors, action items and findings.

What people type is found: words of any text (full-text on PostgreSQL), an incident reference (`INC-2`,
`inc 2` or `2`), the name of a service an incident affected, and a person who commanded, scribed or led
communications of an incident (those are incident hits, saying why they matched). A reference with words
(`INC-2 backup`) searches the words within that incident (`within_incident`).

PostgreSQL: each searched table has a stored, generated `search_vector` column (title weighted A, body B)
with a GIN index (migration 0014); `StoredVector` names it. Of each kind, the newest `RANK_CANDIDATES`
matches are the candidates (a bounded cost however common or rare the words are: `_newest_matches` looks
at the newest rows first and asks the GIN index for older matches only when they are too few), fetched as
a list of pks; one more query ranks those rows with `ts_rank` on the stored vector, so no vector is
computed while searching. SQLite (and any other database): every word of the
query must appear (case-insensitive `LIKE`) in one of the object's text fields; newest first.

This module builds the queries and ranks; what is searched and what a query names are in `search_kinds.py`,
what a hit shows (snippets, made for the page shown only) in `snippets.py`; similar incidents in `similar.py`.

Every result goes through the permission scopes of `incidents/permissions/`: what a viewer cannot see is
not found, not counted and not hinted at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import Any

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import FloatField, Q, QuerySet, Value

from incidents.insights.search_kinds import (
    CONFIG,
    KINDS,
    REFERENCE,
    Named,
    Rank,
    StoredVector,
    custom_value_why,
    is_postgres,
    named_condition,
    named_in,
    within_incident,
    words_of,
)
from incidents.insights.snippets import SearchHit, page_hits
from incidents.models import ContributingFactor, PolicyFinding, Postmortem, TimelineEntry
from incidents.permissions.followup import (
    action_items_visible_to,
    action_items_with_incident_visibility,
    findings_visible_to,
)
from incidents.permissions.incident import incidents_visible_to

PER_KIND_LIMIT = 20
PER_PAGE = 20
RANK_CANDIDATES = 300
#: The newest rows of a table looked at first for the newest matches (`_newest_matches`).
RECENT_WINDOW = 5000
MIN_QUERY_LENGTH = 2
MAX_QUERY_LENGTH = 200


@dataclass
class SearchFilters:
    """What a search is narrowed to: one kind, an incident status, times (UTC, half-open `[since, until)`),
    one incident by number (what it holds: itself, its entries, postmortem, factors, items, findings)."""

    kind: str = ""
    status: str = ""
    since: datetime | None = None
    until: datetime | None = None
    incident: int | None = None


@dataclass
class SearchResults:
    """One page of results, best first, and per kind how many were found.

    `counts[kind]` is exact up to `RANK_CANDIDATES`; `capped` names the kinds with more (shown as `300+`).
    `pages` counts the pages that can be shown (the candidates of each kind, at most).
    """

    hits: list[SearchHit]
    counts: dict[str, int]
    capped: set[str] = field(default_factory=set)
    page: int = 1
    pages: int = 0
    within: int | None = None  # the number of the incident searched within ("INC-1 backup")

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# --- Scopes ------------------------------------------------------------------------------------------------


def _scoped(kind: str, user: Any) -> QuerySet[Any]:
    """The objects of `kind` that `user` may see (the scopes of incidents/permissions/, as a subquery)."""
    visible = incidents_visible_to(user).values("id")
    if kind == "incident":
        return incidents_visible_to(user)
    if kind == "timeline entry":
        return TimelineEntry.objects.filter(incident__in=visible, removed_at__isnull=True)
    if kind == "postmortem":
        return Postmortem.objects.filter(incident__in=visible)
    if kind == "contributing factor":
        return ContributingFactor.objects.filter(incident__in=visible)
    if kind == "action item":
        # An owner's own item on an incident they may not see: found, but shown without the incident.
        return action_items_visible_to(user)
    if kind == "policy finding":
        return findings_visible_to(user)
    raise KeyError(kind)


def _filtered(kind: str, qs: QuerySet[Any], filters: SearchFilters) -> QuerySet[Any]:
    spec = KINDS[kind]
    if filters.incident is not None:
        if kind == "incident":
            qs = qs.filter(number=filters.incident)
        elif kind == "policy finding":
            qs = qs.filter(
                pk__in=PolicyFinding.incidents.through.objects.filter(
                    incident__number=filters.incident
                ).values("policyfinding_id")
            )
        else:
            qs = qs.filter(incident__number=filters.incident)
    if filters.status:
        if spec.status is None:  # a finding: one of its incidents has the status
            qs = qs.filter(
                pk__in=PolicyFinding.incidents.through.objects.filter(incident__status=filters.status).values(
                    "policyfinding_id"
                )
            )
        else:
            qs = qs.filter(**{spec.status: filters.status})
    if filters.since is not None:
        qs = qs.filter(**{f"{spec.when}__gte": filters.since})
    if filters.until is not None:
        qs = qs.filter(**{f"{spec.when}__lt": filters.until})
    return qs


# --- Search ------------------------------------------------------------------------------------------------


def _text_match(kind: str, query: str) -> tuple[Q | None, Any, Any]:
    """(fallback condition or None on PostgreSQL, the PostgreSQL query or None, rank expression)."""
    if is_postgres():
        sq = SearchQuery(query, search_type="websearch", config=CONFIG)
        return None, sq, Rank(StoredVector(), sq)
    cond = Q()
    for word in words_of(query):
        # Postmortem sections are matched as JSON text, so a section key can match: the fallback accepts that.
        any_field = Q()
        for f in KINDS[kind].fields:
            any_field |= Q(**{f"{f}__icontains": word})
        cond &= any_field
    return cond, None, Value(0.0, output_field=FloatField())


def _candidates(kind: str, user: Any, query: str, filters: SearchFilters, named: Named) -> list[int]:
    """The pks of the newest `RANK_CANDIDATES + 1` matches of `kind` within the viewer's scope, newest
    first (for an incident, plus as many found by what the query names)."""
    base = _filtered(kind, _scoped(kind, user), filters)
    cond, sq, _rank = _text_match(kind, query)
    limit = RANK_CANDIDATES + 1
    matched: list[int] = []
    if sq is not None:
        matched = _newest_matches(base, sq, limit)
    elif cond is not None and words_of(query):
        matched = list(base.filter(cond).order_by("-pk").values_list("pk", flat=True)[:limit])
    if kind == "incident" and named.any:
        by_name = base.filter(named_condition(named)[0]).order_by("-pk").values_list("pk", flat=True)[:limit]
        matched = sorted({*matched, *by_name}, reverse=True)
    return matched


def _newest_matches(base: QuerySet[Any], sq: SearchQuery, limit: int) -> list[int]:
    """The pks of the newest `limit` rows of `base` whose stored vector matches `sq` (PostgreSQL), newest first.

    Walking the primary key backward until `limit` matches turn up is quick for a common word and reads
    the whole table for a rare one; reading every match from the GIN index is quick for a rare word and
    slow for a common one. So: first the newest `RECENT_WINDOW` rows of the table (a bounded walk, or the
    GIN index and the key range, as the planner likes); only when they hold fewer than `limit` matches,
    the older matches, from the GIN index alone (a MATERIALIZED CTE the planner cannot turn into a walk),
    newest first. Together they are exactly the newest `limit` matches.
    """
    words = base.alias(hs_vector=StoredVector()).filter(hs_vector=sq)
    edge = list(
        base.model._default_manager.order_by("-pk").values_list("pk", flat=True)[
            RECENT_WINDOW - 1 : RECENT_WINDOW
        ]
    )
    if not edge:  # a small table: any plan is bounded
        return list(words.order_by("-pk").values_list("pk", flat=True)[:limit])
    recent = list(words.filter(pk__gte=edge[0]).order_by("-pk").values_list("pk", flat=True)[:limit])
    if len(recent) >= limit:
        return recent
    older = words.filter(pk__lt=edge[0]).order_by().values_list("pk", flat=True)
    sql, params = older.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH older AS MATERIALIZED ({sql}) SELECT * FROM older ORDER BY 1 DESC LIMIT %s",  # noqa: S608
            [*params, limit - len(recent)],
        )
        return recent + [row[0] for row in cursor.fetchall()]


_RELATED = {
    "incident": (),
    "timeline entry": ("incident",),
    "postmortem": ("incident",),
    "contributing factor": ("incident",),
    "action item": ("incident",),
    "policy finding": (),
}
_INCIDENT_COLUMNS = ("incident__id", "incident__number", "incident__title")
_ONLY = {
    "incident": (
        "id",
        "number",
        "title",
        "summary",
        "summary_html",
        "customer_impact",
        "customer_impact_html",
        "started_at",
        "commander_id",
        "communications_lead_id",
        "scribe_id",
    ),
    "timeline entry": (
        "id",
        "body",
        "body_html",
        "milestone_changes",
        "occurred_at",
        "incident_id",
        *_INCIDENT_COLUMNS,
    ),
    "postmortem": ("id", "sections", "sections_html", "updated_at", "incident_id", *_INCIDENT_COLUMNS),
    "contributing factor": (
        "id",
        "title",
        "description",
        "description_html",
        "created_at",
        "incident_id",
        *_INCIDENT_COLUMNS,
    ),
    "action item": (
        "id",
        "title",
        "description",
        "description_html",
        "created_at",
        "incident_id",
        *_INCIDENT_COLUMNS,
    ),
    "policy finding": ("id", "title", "description", "description_html", "created_at"),
}


def _ranked(
    kind: str, user: Any, query: str, filters: SearchFilters, named: Named, n: int
) -> tuple[list[Any], int]:
    """(the best `n` objects of `kind`, best first, with `hs_rank`; how many candidates): the candidates'
    pks first (`_candidates`), then one query ranks those rows only."""
    spec = KINDS[kind]
    _cond, _sq, rank = _text_match(kind, query)
    if kind == "incident" and named.any:
        rank = rank + named_condition(named)[1]
    candidates = _candidates(kind, user, query, filters, named)
    if not candidates:
        return [], 0
    qs = spec.model.objects.filter(pk__in=candidates)
    if _RELATED[kind]:
        qs = qs.select_related(*_RELATED[kind])
    if kind == "action item":  # the outer query is unscoped: say again whether its incident may be named
        qs = action_items_with_incident_visibility(user, qs)
    if kind == "incident" and named.custom:
        qs = qs.annotate(hs_custom=custom_value_why(named))
    rows = list(qs.only(*_ONLY[kind]).annotate(hs_rank=rank).order_by("-hs_rank", f"-{spec.when}", "-pk")[:n])
    return rows, len(candidates)


def _count(kind: str, user: Any, query: str, filters: SearchFilters, named: Named) -> int:
    return len(_candidates(kind, user, query, filters, named))


def _clean(query: str) -> str:
    return (query or "").strip()[:MAX_QUERY_LENGTH]


def too_short(query: str) -> bool:
    """True for a query that finds nothing: under `MIN_QUERY_LENGTH` characters and not an incident number."""
    query = _clean(query)
    return len(query) < MIN_QUERY_LENGTH and not REFERENCE.match(query)


def search(
    user: Any, query: str, *, filters: SearchFilters | None = None, page: int = 1, per_page: int = PER_PAGE
) -> SearchResults:
    """Page `page` (from 1; one past the last gives the last) of what `user` may see matching `query`,
    best first, with counts per kind.

    Per kind, two to four small queries (its candidates' pks, then its best `page × per_page` of them),
    or for a kind left out by `filters.kind` only its candidates, counted; then the people and services
    the query names (two), the stems to mark (PostgreSQL, one) and the services of the incidents shown
    (when the query names a service). Snippets are made for the hits of the page only. An empty or one-letter query finds nothing (a one-digit incident number finds it).
    A reference with words ("INC-1 backup") searches the words within that incident (`results.within`).
    """
    filters = filters or SearchFilters()
    query = _clean(query)
    within, query = within_incident(query)
    if within is not None:
        filters = replace(filters, incident=within)
    if too_short(query):
        return SearchResults(hits=[], counts={}, within=within)
    page = max(1, page)
    named = named_in(query)
    need = min(page * per_page, RANK_CANDIDATES)
    counts: dict[str, int] = {}
    ranked: list[tuple[str, Any]] = []
    for kind in KINDS:
        if filters.kind and kind != filters.kind:
            n = _count(kind, user, query, filters, named)
        else:
            rows, n = _ranked(kind, user, query, filters, named, need)
            ranked += [(kind, r) for r in rows]
        if n:
            counts[kind] = n
    capped = {k for k, n in counts.items() if n > RANK_CANDIDATES}
    counts = {k: min(n, RANK_CANDIDATES) for k, n in counts.items()}
    shown_total = counts.get(filters.kind, 0) if filters.kind else sum(counts.values())
    pages = math.ceil(shown_total / per_page) if shown_total else 0
    ranked.sort(key=lambda kr: (-float(kr[1].hs_rank), -_when(kr[0], kr[1])))
    page = min(page, max(pages, 1))  # past the end: the last page (`incidents.paging`'s rule)
    shown = ranked[(page - 1) * per_page : page * per_page]
    hits = page_hits(shown, query, named, _zone(user))
    return SearchResults(hits=hits, counts=counts, capped=capped, page=page, pages=pages, within=within)


def _zone(user: Any) -> tzinfo | None:
    """The reader's zone for the snippets (their profile's), else the active one."""
    return getattr(user, "tzinfo", None) if getattr(user, "is_authenticated", False) else None


def _when(kind: str, obj: Any) -> float:
    value = getattr(obj, KINDS[kind].when, None)
    return value.timestamp() if value else 0.0


def search_for(user: Any, query: str, *, limit: int = PER_KIND_LIMIT) -> list[SearchHit]:
    """Objects of every kind matching `query` that `user` may see, best first: at most `limit` of each.

    A few queries per kind (see `search`). PostgreSQL ranks by `ts_rank`; the fallback lists newest first.
    """
    within, query = within_incident(_clean(query))
    if too_short(query):
        return []
    named = named_in(query)
    filters = SearchFilters(incident=within)
    ranked = [(kind, r) for kind in KINDS for r in _ranked(kind, user, query, filters, named, limit)[0]]
    ranked.sort(key=lambda kr: (-float(kr[1].hs_rank), -_when(kr[0], kr[1])))
    return page_hits(ranked, query, named, _zone(user))
