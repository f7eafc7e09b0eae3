"""Search across incidents, timeline entries, postmortems, contributing factors, action items and findings,
and "similar incidents".

What people type is found: words of any text (full-text on PostgreSQL), an incident reference (`INC-2`,
`inc 2` or `2`), the name of a service an incident affected, and a person who commanded, scribed or led
communications of an incident (those are incident hits, saying why they matched).

PostgreSQL: each searched table has a stored, generated `search_vector` column (title weighted A, body B)
with a GIN index (migration 0014); `StoredVector` names it. Of each kind, the newest `RANK_CANDIDATES`
matches are the candidates (a bounded cost however common the words are), ranked with `ts_rank` on the
stored vector, so no vector is computed while searching. SQLite (and any other database): every word of the
query must appear (case-insensitive `LIKE`) in one of the object's text fields; newest first.

Snippets are made in Python for the hits of the page shown only: the text as plain text (Markdown rendered,
sanitised and its tags dropped), escaped, with the matched words in `<mark>` (on PostgreSQL the query's
stems, so `databases` is marked for `database`).

Every result goes through the permission scopes of `incidents/permissions.py`: what a viewer cannot see is
not found, not counted and not hinted at.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.postgres.search import (
    SearchQuery,
    SearchVectorField,
    TrigramSimilarity,
)
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Expression,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

from incidents.markdown import render_markdown, stored_html
from incidents.models import (
    ActionItem,
    ContributingFactor,
    Incident,
    PolicyFinding,
    Postmortem,
    Service,
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
PER_PAGE = 20
RANK_CANDIDATES = 300
SNIPPET_CHARS = 90
MIN_QUERY_LENGTH = 2
MAX_QUERY_LENGTH = 200
#: How many people and services a query may name (their incidents are then searched).
NAMED_LIMIT = 20
#: Rank added to an incident found by its reference, a person in one of its roles, one of its services.
REFERENCE_RANK, PERSON_RANK, SERVICE_RANK = 10.0, 0.5, 0.3
REFERENCE = re.compile(r"^\s*(?:inc[-\s#]*)?#?(\d{1,9})\s*$", re.I)


@dataclass(frozen=True)
class Kind:
    """One searched kind: its model, text fields, plural label, time field and path to the incident status."""

    model: type[Any]
    fields: tuple[str, ...]
    plural: str
    when: str
    status: str | None  # lookup of the incident's status; None: the kind has no one incident


#: Kind → how it is searched. On PostgreSQL each model's table holds `search_vector` (migration 0014).
KINDS: dict[str, Kind] = {
    "incident": Kind(Incident, ("title", "summary", "customer_impact"), "incidents", "started_at", "status"),
    "timeline entry": Kind(TimelineEntry, ("body",), "timeline entries", "occurred_at", "incident__status"),
    "postmortem": Kind(Postmortem, ("sections",), "postmortems", "updated_at", "incident__status"),
    "contributing factor": Kind(
        ContributingFactor, ("title", "description"), "contributing factors", "created_at", "incident__status"
    ),
    "action item": Kind(
        ActionItem, ("title", "description"), "action items", "created_at", "incident__status"
    ),
    "policy finding": Kind(PolicyFinding, ("title", "description"), "policy findings", "created_at", None),
}


def kind_label(kind: str, n: int) -> str:
    """`1 timeline entry`, `4 timeline entries` (the kind's own plural)."""
    return f"{n:,} {kind if n == 1 else KINDS[kind].plural}"


class StoredVector(Expression):
    """The stored `search_vector` column of the query's base table (PostgreSQL, migration 0014)."""

    output_field = SearchVectorField()

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        # A list of parameters, as Django's own expressions give: the @@ lookup concatenates them.
        alias = compiler.query.base_table
        return f"{compiler.quote_name_unless_alias(alias)}.search_vector", []


class Rank(Func):
    """`ts_rank(search_vector, query)`: weights A 1.0, B 0.4 (title over body)."""

    function = "ts_rank"
    output_field = FloatField()


@dataclass
class SearchHit:
    """One search result. `snippet` is escaped plain text with the matches in `<mark>`."""

    kind: str
    title: str
    url: str
    snippet: SafeString
    rank: float
    when: datetime | None
    reference: str = ""
    why: str = ""  # for an incident found by a reference, a person or a service: how it matched


@dataclass
class SearchFilters:
    """What a search is narrowed to: one kind, an incident status, times (UTC, half-open `[since, until)`)."""

    kind: str = ""
    status: str = ""
    since: datetime | None = None
    until: datetime | None = None


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

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def words_of(query: str) -> list[str]:
    """The words of a query for the fallback: quotes and websearch operators dropped, at most 8 words."""
    cleaned = re.sub(r"[\"'()]", " ", query)
    words = [w for w in cleaned.split() if w.lower() not in {"or", "and"} and w != "-"]
    return [w.lstrip("-") for w in words if w.lstrip("-")][:8]


def plain_text(markup: str) -> str:
    """Sanitised HTML as the text a reader sees: tags dropped, entities decoded, whitespace collapsed."""
    text = html.unescape(strip_tags(markup.replace("<", " <")))
    return re.sub(r"\s+", " ", text).strip()


def highlight(text: str, words: Iterable[str], *, width: int = SNIPPET_CHARS) -> SafeString:
    """An escaped snippet of `text` around the first match of any of `words`, each match in `<mark>`.

    A word ending in `*` matches as a prefix (a stem: `databas*` marks `databases`)."""
    alternatives = []
    for w in sorted({w for w in words if w}, key=len, reverse=True):
        alternatives.append(re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w))
    if not text:
        return mark_safe("")  # noqa: S308
    pattern = re.compile("|".join(alternatives), re.I) if alternatives else None
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
    """The objects of `kind` that `user` may see (the scope of incidents/permissions.py, as a subquery)."""
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


@dataclass
class _Named:
    """What a query names besides words: an incident number, people, services (ids → names)."""

    number: int | None
    people: dict[int, str]
    services: dict[int, str]

    @property
    def any(self) -> bool:
        return self.number is not None or bool(self.people) or bool(self.services)


def _named(query: str) -> _Named:
    """The incident number, people and services `query` names (two small queries; none for a number)."""
    ref = REFERENCE.match(query)
    if ref:
        return _Named(int(ref.group(1)), {}, {})
    text = query.strip().strip("\"'")
    if len(text) < 3:
        return _Named(None, {}, {})
    User = get_user_model()
    people = dict(
        User.objects.filter(
            Q(display_name__icontains=text) | Q(email__istartswith=text), is_active=True
        ).values_list("pk", "display_name")[:NAMED_LIMIT]
    )
    services = dict(Service.objects.filter(name__icontains=text).values_list("pk", "name")[:NAMED_LIMIT])
    return _Named(None, people, services)


def _named_q(named: _Named) -> tuple[Q, Any]:
    """(condition on incidents, rank bonus expression) for what the query names."""
    cond = Q(pk__in=[])
    bonus: Any = Value(0.0, output_field=FloatField())
    if named.number is not None:
        cond |= Q(number=named.number)
        bonus = bonus + Case(
            When(number=named.number, then=Value(REFERENCE_RANK)),
            default=Value(0.0),
            output_field=FloatField(),
        )
    if named.people:
        ids = list(named.people)
        in_role = Q(commander_id__in=ids) | Q(communications_lead_id__in=ids) | Q(scribe_id__in=ids)
        cond |= in_role
        bonus = bonus + Case(
            When(in_role, then=Value(PERSON_RANK)), default=Value(0.0), output_field=FloatField()
        )
    if named.services:
        affected = Q(
            pk__in=Incident.services.through.objects.filter(service_id__in=list(named.services)).values(
                "incident_id"
            )
        )
        cond |= affected
        bonus = bonus + Case(
            When(affected, then=Value(SERVICE_RANK)), default=Value(0.0), output_field=FloatField()
        )
    return cond, bonus


# --- Search ------------------------------------------------------------------------------------------------


def _text_match(kind: str, query: str) -> tuple[Q | None, Any, Any]:
    """(fallback condition or None on PostgreSQL, the PostgreSQL query or None, rank expression)."""
    if _is_postgres():
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


def _candidates(kind: str, user: Any, query: str, filters: SearchFilters, named: _Named) -> QuerySet[Any]:
    """The pks of the newest `RANK_CANDIDATES + 1` matches of `kind` within the viewer's scope."""
    base = _filtered(kind, _scoped(kind, user), filters)
    cond, sq, _rank = _text_match(kind, query)
    if sq is not None:
        words = base.alias(hs_vector=StoredVector()).filter(hs_vector=sq)
    elif cond is not None and words_of(query):
        words = base.filter(cond)
    else:
        words = base.none()
    matched = words.order_by("-pk").values("pk")[: RANK_CANDIDATES + 1]
    if kind == "incident" and named.any:
        by_name = base.filter(_named_q(named)[0]).order_by("-pk").values("pk")[: RANK_CANDIDATES + 1]
        return Incident.objects.filter(Q(pk__in=matched) | Q(pk__in=by_name)).values("pk")
    return matched


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
    "timeline entry": ("id", "body", "body_html", "occurred_at", "incident_id", *_INCIDENT_COLUMNS),
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
    kind: str, user: Any, query: str, filters: SearchFilters, named: _Named, n: int
) -> tuple[list[Any], int]:
    """(the best `n` objects of `kind`, best first, with `hs_rank`; how many candidates) in one query."""
    spec = KINDS[kind]
    _cond, _sq, rank = _text_match(kind, query)
    if kind == "incident" and named.any:
        rank = rank + _named_q(named)[1]
    qs = spec.model.objects.filter(pk__in=_candidates(kind, user, query, filters, named))
    if _RELATED[kind]:
        qs = qs.select_related(*_RELATED[kind])
    if kind == "action item":  # the outer query is unscoped: say again whether its incident may be named
        qs = action_items_with_incident_visibility(user, qs)
    rows = list(
        qs.only(*_ONLY[kind])
        .annotate(hs_rank=rank, hs_total=Window(Count("pk")))
        .order_by("-hs_rank", f"-{spec.when}", "-pk")[:n]
    )
    return rows, (rows[0].hs_total if rows else 0)


def _count(kind: str, user: Any, query: str, filters: SearchFilters, named: _Named) -> int:
    return _candidates(kind, user, query, filters, named).count()


def _incident_url(incident: Incident | None, anchor: str = "") -> str:
    if incident is None:
        return ""
    return reverse("incidents:detail", args=[incident.number]) + anchor


def _reference(number: int) -> str:
    return f"INC-{number}"


def _describe(kind: str, obj: Any) -> tuple[str, str, str, datetime | None]:
    """(title, url, incident reference, time) of a result object."""
    if kind == "incident":
        return obj.title, _incident_url(obj), _reference(obj.number), obj.started_at
    incident: Incident | None = getattr(obj, "incident", None)
    ref = _reference(incident.number) if incident else ""
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
    """The object's searchable texts as plain text (Markdown rendered and its tags dropped)."""
    if kind == "timeline entry":
        return [plain_text(obj.body_html or str(render_markdown(obj.body)))]
    if kind == "postmortem":
        return [
            plain_text(str(stored_html(obj, "sections", k))) for k, v in (obj.sections or {}).items() if v
        ]
    if kind == "incident":
        return [obj.title] + [plain_text(str(stored_html(obj, f))) for f in KINDS[kind].fields[1:]]
    return [obj.title, plain_text(str(stored_html(obj, "description")))]


def _marked_words(query: str) -> list[str]:
    """The words to mark in snippets: the query's words, and on PostgreSQL their stems as prefixes."""
    words = words_of(query)
    if _is_postgres() and words:
        with connection.cursor() as cursor:
            cursor.execute("SELECT tsvector_to_array(to_tsvector(%s::regconfig, %s))", [CONFIG, query])
            stems = cursor.fetchone()[0] or []
        words += [f"{s}*" for s in stems]
    return words


def _why(obj: Incident, named: _Named) -> str:
    if named.number is not None and obj.number == named.number:
        return ""
    roles = [
        (label, named.people.get(user_id) if user_id is not None else None)
        for label, user_id in (
            ("Commander", obj.commander_id),
            ("Communications lead", obj.communications_lead_id),
            ("Scribe", obj.scribe_id),
        )
    ]
    named_roles = [f"{label}: {name}" for label, name in roles if name]
    if named_roles:
        return "; ".join(named_roles)
    services = [name for pk, name in named.services.items() if pk in getattr(obj, "hs_service_ids", ())]
    return f"Service: {', '.join(services)}" if services else ""


def _hits(kind: str, rows: list[Any], words: list[str], named: _Named) -> list[SearchHit]:
    """Search hits with snippets for the objects of `kind` shown on the page."""
    if kind == "incident" and named.services and rows:
        through = Incident.services.through.objects.filter(
            incident_id__in=[r.pk for r in rows], service_id__in=list(named.services)
        ).values_list("incident_id", "service_id")
        by_incident: dict[int, set[int]] = {}
        for incident_id, service_id in through:
            by_incident.setdefault(incident_id, set()).add(service_id)
        for r in rows:
            r.hs_service_ids = by_incident.get(r.pk, set())
    pattern = [w.rstrip("*").lower() for w in words]
    hits = []
    for obj in rows:
        title, url, ref, when = _describe(kind, obj)
        texts = [t for t in _texts(kind, obj) if t]
        lowered = [t.lower() for t in texts]
        text = next(
            (t for t, low in zip(texts, lowered, strict=True) if any(w and w in low for w in pattern)),
            texts[-1] if texts else "",
        )
        why = _why(obj, named) if kind == "incident" and named.any else ""
        hits.append(SearchHit(kind, title, url, highlight(text, words), float(obj.hs_rank), when, ref, why))
    return hits


def _clean(query: str) -> str:
    return (query or "").strip()[:MAX_QUERY_LENGTH]


def too_short(query: str) -> bool:
    """True for a query that finds nothing: under `MIN_QUERY_LENGTH` characters and not an incident number."""
    query = _clean(query)
    return len(query) < MIN_QUERY_LENGTH and not REFERENCE.match(query)


def search(
    user: Any, query: str, *, filters: SearchFilters | None = None, page: int = 1, per_page: int = PER_PAGE
) -> SearchResults:
    """Page `page` (from 1) of what `user` may see matching `query`, best first, with counts per kind.

    One query per kind (its best `page × per_page`, with the number of candidates), plus a count per
    kind left out by `filters.kind`, the people and services the query names (two), the stems to mark
    (PostgreSQL, one) and the services of the incidents shown (when the query names a service). Snippets
    are made for the hits of the page only. An empty or one-letter query finds nothing (a one-digit incident number finds it).
    """
    filters = filters or SearchFilters()
    query = _clean(query)
    if too_short(query):
        return SearchResults(hits=[], counts={})
    page = max(1, page)
    named = _named(query)
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
    shown = ranked[(page - 1) * per_page : page * per_page]
    hits = _page_hits(shown, query, named)
    return SearchResults(hits=hits, counts=counts, capped=capped, page=page, pages=pages)


def _when(kind: str, obj: Any) -> float:
    value = getattr(obj, KINDS[kind].when, None)
    return value.timestamp() if value else 0.0


def search_for(user: Any, query: str, *, limit: int = PER_KIND_LIMIT) -> list[SearchHit]:
    """Objects of every kind matching `query` that `user` may see, best first: at most `limit` of each.

    One query per kind (see `search`). PostgreSQL ranks by `ts_rank`; the fallback lists newest first.
    """
    query = _clean(query)
    if too_short(query):
        return []
    named = _named(query)
    filters = SearchFilters()
    ranked = [(kind, r) for kind in KINDS for r in _ranked(kind, user, query, filters, named, limit)[0]]
    ranked.sort(key=lambda kr: (-float(kr[1].hs_rank), -_when(kr[0], kr[1])))
    return _page_hits(ranked, query, named)


def _page_hits(shown: list[tuple[str, Any]], query: str, named: _Named) -> list[SearchHit]:
    """Hits with snippets for `shown` ((kind, object) pairs, in the order given)."""
    words = _marked_words(query) if shown else []
    by_row: dict[int, SearchHit] = {}
    for kind in KINDS:
        rows = [r for k, r in shown if k == kind]
        for row, hit in zip(rows, _hits(kind, rows, words, named), strict=True):
            by_row[id(row)] = hit
    return [by_row[id(r)] for _k, r in shown]


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
