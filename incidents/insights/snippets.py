"""What a search hit shows: its title, link, incident reference, time and a snippet.

Snippets are made in Python for the hits of the page shown only: the text as plain text (Markdown rendered,
sanitised and its tags dropped), escaped, with the matched words in `<mark>` (on PostgreSQL the query's
stems, so `databases` is marked for `database`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from django.db import connection
from django.urls import reverse
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

from incidents.insights.search_kinds import CONFIG, KINDS, Named, is_postgres, words_of
from incidents.markdown import render_markdown, stored_html
from incidents.models import Incident

SNIPPET_CHARS = 90


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
    why: str = ""  # for an incident found by a reference, a person, a service or a custom value: how


def plain_text(markup: str) -> str:
    """Sanitised HTML as the text a reader sees: tags dropped, entities decoded, whitespace collapsed."""
    text = html.unescape(strip_tags(markup.replace("<", " <")))
    return re.sub(r"\s+", " ", text).strip()


def _word_window(text: str, first: int, last: int, width: int) -> tuple[int, int]:
    """`[start, end)` of about `width * 2` characters of `text` from `width // 2` before the match
    `[first, last)`, moved to word boundaries: it starts at the beginning of a word and ends at the end of
    one (a word longer than the window is cut only when no boundary is near)."""
    start = max(0, first - width // 2)
    end = min(len(text), max(start + width * 2, last))
    if start > 0 and not text[start - 1].isspace():
        space = text.find(" ", start, first)
        start = space + 1 if space >= 0 else (text.rfind(" ", 0, start) + 1)
    if end < len(text) and not text[end].isspace():
        space = text.rfind(" ", max(start, last), end)
        end = space if space >= 0 else end
    return start, end


def highlight(text: str, words: Iterable[str], *, width: int = SNIPPET_CHARS) -> SafeString:
    """An escaped snippet of `text` around the first match of any of `words`, each match in `<mark>`,
    starting and ending on word boundaries, with "… " / " …" where text was left out.

    A word ending in `*` matches as a prefix (a stem: `databas*` marks `databases`)."""
    alternatives = []
    for w in sorted({w for w in words if w}, key=len, reverse=True):
        alternatives.append(re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w))
    if not text:
        return mark_safe("")  # noqa: S308
    pattern = re.compile("|".join(alternatives), re.I) if alternatives else None
    match = pattern.search(text) if pattern else None
    start, end = _word_window(text, match.start() if match else 0, match.end() if match else 0, width)
    piece = text[start:end]
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
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


def _texts(kind: str, obj: Any, zone: tzinfo | None) -> list[str]:
    """The object's searchable texts as plain text (Markdown rendered and its tags dropped); a timeline
    entry's as a reader in `zone` reads it (a milestone correction states its instants there)."""
    if kind == "timeline entry":
        if obj.milestone_changes:
            return [plain_text(obj.html_in(zone))]
        return [plain_text(obj.body_html or str(render_markdown(obj.body)))]
    if kind == "postmortem":
        return [
            plain_text(str(stored_html(obj, "sections", k))) for k, v in (obj.sections or {}).items() if v
        ]
    if kind == "incident":
        return [obj.title] + [plain_text(str(stored_html(obj, f))) for f in KINDS[kind].fields[1:]]
    return [obj.title, plain_text(str(stored_html(obj, "description")))]


def marked_words(query: str) -> list[str]:
    """The words to mark in snippets: the query's words, and on PostgreSQL their stems as prefixes."""
    words = words_of(query)
    if is_postgres() and words:
        with connection.cursor() as cursor:
            cursor.execute("SELECT tsvector_to_array(to_tsvector(%s::regconfig, %s))", [CONFIG, query])
            stems = cursor.fetchone()[0] or []
        words += [f"{s}*" for s in stems]
    return words


def _why(obj: Incident, named: Named) -> str:
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
    if services:
        return f"Service: {', '.join(services)}"
    return getattr(obj, "hs_custom", None) or ""


def _hits(kind: str, rows: list[Any], words: list[str], named: Named, zone: tzinfo | None) -> list[SearchHit]:
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
        texts = [t for t in _texts(kind, obj, zone) if t]
        lowered = [t.lower() for t in texts]
        text = next(
            (t for t, low in zip(texts, lowered, strict=True) if any(w and w in low for w in pattern)),
            texts[-1] if texts else "",
        )
        why = _why(obj, named) if kind == "incident" and named.any else ""
        hits.append(SearchHit(kind, title, url, highlight(text, words), float(obj.hs_rank), when, ref, why))
    return hits


def page_hits(
    shown: list[tuple[str, Any]], query: str, named: Named, zone: tzinfo | None = None
) -> list[SearchHit]:
    """Hits with snippets for `shown` ((kind, object) pairs, in the order given), times in the snippets in
    `zone` (the reader's; default the active zone)."""
    words = marked_words(query) if shown else []
    by_row: dict[int, SearchHit] = {}
    for kind in KINDS:
        rows = [r for k, r in shown if k == kind]
        for row, hit in zip(rows, _hits(kind, rows, words, named, zone), strict=True):
            by_row[id(row)] = hit
    return [by_row[id(r)] for _k, r in shown]
