"""Search across incidents, timeline entries, postmortems, factors, action items and findings.

These run on the configured database: SQLite locally (the icontains fallback) and PostgreSQL in CI
(full-text search with the GIN indexes); the `requires_postgres` tests check what only PostgreSQL does.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.insights import search, search_kinds, snippets
from incidents.models import Postmortem, Visibility
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    IncidentFactory,
    PolicyFindingFactory,
    TimelineEntryFactory,
)

pytestmark = pytest.mark.django_db


def _plant(incident, word: str) -> dict[str, object]:
    """One object of each kind on `incident`, each with `word` in its text (and a kind-specific marker)."""
    finding = PolicyFindingFactory(title="Access review", description=f"Found {word} in the finding")
    finding.incidents.add(incident)
    return {
        "timeline entry": TimelineEntryFactory(incident=incident, body=f"Ran {word} on the replica host"),
        "postmortem": Postmortem.objects.create(
            incident=incident, sections={"trigger": f"The {word} command hung without output"}
        ),
        "contributing factor": ContributingFactorFactory(
            incident=incident, title="Tool gave no progress", description=f"{word} printed nothing"
        ),
        "action item": ActionItemFactory(
            incident=incident, title="Add progress output", description=f"Wrap {word}"
        ),
        "policy finding": finding,
    }


@pytest.mark.parametrize(
    "kind",
    ["incident", "timeline entry", "postmortem", "contributing factor", "action item", "policy finding"],
)
def test_search_finds_text_in_each_kind_of_object(kind, viewer):
    incident = IncidentFactory(title="Database replication stopped", summary="Nothing about tools here.")
    if kind == "incident":
        incident.summary = "Re-seeding with pg_basebackup hung."
        incident.save()
    else:
        _plant(incident, "pg_basebackup")
    hits = search.search_for(viewer, "pg_basebackup")
    kinds = {h.kind for h in hits}
    assert kind in kinds
    hit = next(h for h in hits if h.kind == kind)
    assert "<mark>" in hit.snippet
    assert "pg" in hit.snippet.lower()


def test_search_page_shows_highlighted_snippets(client_for, viewer):
    incident = IncidentFactory(title="Replica lag", summary="We ran pg_basebackup twice.")
    response = client_for(viewer).get(reverse("incidents:search"), {"q": "pg_basebackup"})
    assert response.status_code == 200
    html = response.content.decode()
    assert incident.title in html
    assert "<mark>" in html
    assert reverse("incidents:detail", args=[incident.number]) in html


def test_snippets_are_plain_text_escaped_with_the_match_marked(viewer):
    incident = IncidentFactory()
    TimelineEntryFactory(
        incident=incident,
        body="<script>alert(1)</script> then **pg_basebackup** hung when 2 < 3, see [the log](https://x.test/)",
    )
    hit = next(h for h in search.search_for(viewer, "pg_basebackup") if h.kind == "timeline entry")
    assert "<script>" not in hit.snippet
    assert "<mark>pg_basebackup</mark> hung" in hit.snippet
    assert "**" not in hit.snippet
    assert "](" not in hit.snippet
    assert "2 &lt; 3, see the log" in hit.snippet


def test_restricted_text_is_found_only_by_those_who_may_see_it(personas, team):
    restricted = IncidentFactory(
        title="Zebra payroll export", visibility=Visibility.RESTRICTED, commander=personas["commander"]
    )
    restricted.participants.add(personas["commander"])
    _plant(restricted, "zebrafish")
    internal = IncidentFactory(title="Internal zebrafish outage")
    seen_by_all = {("incident", internal.reference)}
    seen_by_participants = seen_by_all | {
        ("timeline entry", restricted.reference),
        ("postmortem", restricted.reference),
        ("contributing factor", restricted.reference),
        ("action item", restricted.reference),
        ("policy finding", ""),  # a finding belongs to no one incident
    }
    expected = {
        "outsider": set(),
        "viewer": seen_by_all,
        "responder": seen_by_all,
        "commander": seen_by_participants,
        "admin": seen_by_participants,
    }
    for name, user in personas.items():
        hits = search.search_for(user, "zebrafish")
        assert {(h.kind, h.reference) for h in hits} == expected[name], name
        titles = " ".join(h.title + str(h.snippet) for h in hits)
        if name in ("outsider", "viewer", "responder"):
            assert "Zebra payroll" not in titles


def test_outsider_search_page_reveals_nothing(client_for, outsider):
    IncidentFactory(title="Internal zebrafish outage")
    html = client_for(outsider).get(reverse("incidents:search"), {"q": "zebrafish"}).content.decode()
    assert "zebrafish outage" not in html
    assert "0 results" in html


def test_too_short_query_is_refused_with_a_message(client_for, viewer):
    response = client_for(viewer).get(reverse("incidents:search"), {"q": "a"})
    assert response.status_code == 400
    assert "at least 2 characters" in response.content.decode()


def test_empty_search_page_is_a_form(client_for, viewer):
    response = client_for(viewer).get(reverse("incidents:search"))
    assert response.status_code == 200
    assert 'name="q"' in response.content.decode()


def test_search_query_count_does_not_grow(client_for, viewer):
    client = client_for(viewer)
    _plant(IncidentFactory(title="First pg_basebackup"), "pg_basebackup")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("incidents:search"), {"q": "pg_basebackup"}).status_code == 200
        return len(ctx.captured_queries)

    one = count()
    for i in range(12):
        _plant(IncidentFactory(title=f"More pg_basebackup {i}"), "pg_basebackup")
    assert count() == one


def test_gitlab_demo_incident_is_found_by_pg_basebackup(viewer):
    call_command("load_demo", verbosity=0)
    from incidents.demo.gitlab import gitlab_incident

    gitlab = gitlab_incident()
    hits = search.search_for(viewer, "pg_basebackup")
    assert gitlab.reference in {h.reference for h in hits}


def test_fallback_words_and_highlight():
    assert search_kinds.words_of('"pg_basebackup" OR -replica') == ["pg_basebackup", "replica"]
    snippet = snippets.highlight("Ran PG_BASEBACKUP on <db>", ["pg_basebackup"])
    assert snippet == "Ran <mark>PG_BASEBACKUP</mark> on &lt;db&gt;"


def test_postgres_ranks_title_matches_and_uses_headline(requires_postgres, viewer):
    strong = IncidentFactory(
        title="pg_basebackup hangs", summary="pg_basebackup gave no output; pg_basebackup again"
    )
    weak = IncidentFactory(
        title="Replica lag", summary="Someone mentioned pg_basebackup once among many other words"
    )
    hits = [h for h in search.search_for(viewer, "pg_basebackup") if h.kind == "incident"]
    assert [h.reference for h in hits] == [strong.reference, weak.reference]
    assert hits[0].rank > hits[1].rank
    assert "<mark>" in hits[0].snippet


def test_postgres_search_uses_the_gin_indexes(requires_postgres):
    from django.contrib.postgres.search import SearchQuery

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    try:
        for kind, spec in search_kinds.KINDS.items():
            query = SearchQuery("pg_basebackup", search_type="websearch", config="english")
            plan = spec.model.objects.alias(v=search_kinds.StoredVector()).filter(v=query).explain()
            assert "search_gin" in plan, kind
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = on")


def test_a_snippet_starts_and_ends_on_word_boundaries_with_an_ellipsis():
    text = (
        " ".join(f"word{i:03d}" for i in range(60))
        + " the replica lagged "
        + " ".join(f"tail{i:03d}" for i in range(60))
    )
    snippet = str(snippets.highlight(text, ["replica"]))
    assert snippet.startswith("… word")
    assert snippet.endswith(" …")
    first, last = snippet[2:].split()[0], snippet[:-2].split()[-1]
    assert first in text.split(), first
    assert last in text.split(), last
    assert "<mark>replica</mark> lagged" in snippet


def test_a_short_text_is_its_own_snippet_without_ellipsis():
    assert str(snippets.highlight("The replica lagged", ["replica"])) == "The <mark>replica</mark> lagged"


def test_postgres_candidates_are_the_newest_matches_across_the_recent_window(
    requires_postgres, viewer, monkeypatch
):
    monkeypatch.setattr(search, "RANK_CANDIDATES", 2)
    monkeypatch.setattr(search, "RECENT_WINDOW", 3)
    incident = IncidentFactory(title="Queue stalled")
    entries = [
        TimelineEntryFactory(incident=incident, body="pg_basebackup hung" if i in (0, 1, 6) else f"note {i}")
        for i in range(8)
    ]
    named = search_kinds.named_in("pg_basebackup")
    candidates = search._candidates("timeline entry", viewer, "pg_basebackup", search.SearchFilters(), named)
    # The newest three matches: one in the newest three rows, two older ones from the GIN index.
    assert candidates == [entries[6].pk, entries[1].pk, entries[0].pk]
    results = search.search(viewer, "pg_basebackup", filters=search.SearchFilters(kind="timeline entry"))
    assert results.counts == {"timeline entry": 2}
    assert results.capped == {"timeline entry"}
