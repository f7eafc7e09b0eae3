"""Search finds what people type (issue 18): an incident reference, a service, a person; counts per kind
with correct plurals, paging, and filters by kind, status and date; the restricted-incident scope holds for
every way of finding (run on SQLite locally and on PostgreSQL in CI)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.insights import search
from incidents.insights.search_kinds import KINDS, kind_label
from incidents.models import IncidentStatus, Visibility
from incidents.plural import counted
from tests.factories import (
    IncidentFactory,
    ServiceFactory,
    TimelineEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _page(client, **params) -> str:
    response = client.get(reverse("incidents:search"), params)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


@pytest.mark.parametrize("typed", ["INC-{n}", "inc-{n}", "{n}", "INC {n}"])
def test_an_incident_reference_finds_the_incident_first(viewer, typed):
    IncidentFactory(title="Something else entirely")
    wanted = IncidentFactory(title="Cache stampede")
    hits = search.search_for(viewer, typed.format(n=wanted.number))
    assert hits, typed
    assert (hits[0].kind, hits[0].reference) == ("incident", wanted.reference)


def test_a_service_name_finds_its_incidents(viewer):
    payments = ServiceFactory(name="Payments gateway", slug="payments-gateway")
    affected = IncidentFactory(title="Card declines spiked")
    affected.services.add(payments)
    IncidentFactory(title="Unrelated disk alarm")
    hits = [h for h in search.search_for(viewer, "payments gateway") if h.kind == "incident"]
    assert [h.reference for h in hits] == [affected.reference]
    assert hits[0].why == "Service: Payments gateway"


def test_a_service_slug_finds_its_incidents(client_for, viewer):
    web = ServiceFactory(name="GitLab.com web application", slug="gitlab-web")
    affected = IncidentFactory(title="Pages time out")
    affected.services.add(web)
    IncidentFactory(title="Unrelated disk alarm")
    hits = [h for h in search.search_for(viewer, "gitlab-web") if h.kind == "incident"]
    assert [h.reference for h in hits] == [affected.reference]
    assert hits[0].why == "Service: GitLab.com web application"
    page = _page(client_for(viewer), q="gitlab-web")
    assert "Pages time out" in page
    assert "Unrelated disk alarm" not in page


def test_a_person_finds_the_incidents_they_commanded(viewer):
    grace = UserFactory(display_name="Grace Hopper", email="grace@example.com")
    led = IncidentFactory(title="Compiler outage", commander=grace)
    IncidentFactory(title="Another outage")
    hits = [h for h in search.search_for(viewer, "Grace Hopper") if h.kind == "incident"]
    assert [h.reference for h in hits] == [led.reference]
    assert hits[0].why == "Commander: Grace Hopper"


def test_counts_per_kind_read_in_plural(client_for, viewer):
    incident = IncidentFactory(title="Quiet night")
    for i in range(4):
        TimelineEntryFactory(incident=incident, body=f"Checked the zeppelin gauge {i}")
    TimelineEntryFactory(incident=IncidentFactory(title="Zeppelin landed"), body="nothing")
    html = _page(client_for(viewer), q="zeppelin")
    assert "4 timeline entries" in html
    assert "1 incident<" in html or "1 incident," in html
    assert "entrys" not in html


def test_results_page_through_every_match_of_a_kind(client_for, viewer):
    incident = IncidentFactory(title="Long night")
    bodies = {f"Saw a kestrel at post {i:02d}." for i in range(25)}
    for body in bodies:
        TimelineEntryFactory(incident=incident, body=body)
    client = client_for(viewer)
    first = _page(client, q="kestrel", kind="timeline entry")
    second = _page(client, q="kestrel", kind="timeline entry", page=2)
    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in second
    seen = {b for b in bodies if b.replace("kestrel", "<mark>kestrel</mark>") in first + second}
    assert seen == bodies  # 20 on the first page, 5 on the second, none twice
    assert sum(first.count(b.replace("kestrel", "<mark>kestrel</mark>")) for b in bodies) == 20


def test_kind_filter_shows_one_kind_and_still_counts_the_others(client_for, viewer):
    incident = IncidentFactory(title="Walrus migration")
    TimelineEntryFactory(incident=incident, body="The walrus moved")
    html = _page(client_for(viewer), q="walrus", kind="timeline entry")
    assert "The <mark>walrus</mark> moved" in html
    assert 'badge">incident<' not in html
    assert "1 incident" in html
    assert "1 timeline entry" in html


def test_status_and_date_filters_narrow_the_results(viewer):
    now = timezone.now()
    old = IncidentFactory(title="Otter alarm old", started_at=now - dt.timedelta(days=40))
    old.status = IncidentStatus.RESOLVED
    old.resolved_at = now - dt.timedelta(days=39)
    old.save()
    new = IncidentFactory(title="Otter alarm new", started_at=now - dt.timedelta(hours=3))

    def refs(filters: search.SearchFilters) -> list[str]:
        return [h.reference for h in search.search(viewer, "otter", filters=filters).hits]

    assert set(refs(search.SearchFilters())) == {old.reference, new.reference}
    assert refs(search.SearchFilters(status=IncidentStatus.RESOLVED)) == [old.reference]
    assert refs(search.SearchFilters(since=now - dt.timedelta(days=1))) == [new.reference]
    assert refs(search.SearchFilters(until=now - dt.timedelta(days=30))) == [old.reference]


def test_bad_filters_are_form_errors_not_failures(client_for, viewer):
    client = client_for(viewer)
    for params in ({"kind": "nope"}, {"since": "9999-01-01"}, {"status": "gone"}):
        response = client.get(reverse("incidents:search"), {"q": "otter", **params})
        assert response.status_code == 400, params
        assert 'class="errorlist' in response.content.decode()


def test_a_restricted_incident_is_not_found_by_reference_service_or_person(personas):
    secret_keeper = UserFactory(display_name="Quentin Secretkeeper", email="quentin@example.com")
    vault = ServiceFactory(name="Vaultservice", slug="vaultservice")
    restricted = IncidentFactory(
        title="Merger data room", visibility=Visibility.RESTRICTED, commander=personas["commander"]
    )
    restricted.services.add(vault)
    restricted.scribe = secret_keeper
    restricted.save()
    TimelineEntryFactory(incident=restricted, body="Quentin Secretkeeper opened the vault")
    for query in (restricted.reference, str(restricted.number), "Vaultservice", "Quentin Secretkeeper"):
        for name in ("outsider", "viewer", "responder"):
            results = search.search(personas[name], query)
            assert results.hits == [], (query, name)
            assert results.counts == {}, (query, name)
        for name in ("commander", "admin"):
            found = search.search(personas[name], query).hits
            assert restricted.reference in {h.reference for h in found}, (query, name)


def test_search_page_shows_why_an_incident_matched(client_for, viewer):
    ada = UserFactory(display_name="Ada Lovelace", email="ada@example.com")
    IncidentFactory(title="Engine stalled", commander=ada)
    html = _page(client_for(viewer), q="Ada Lovelace")
    assert "Engine stalled" in html
    assert "Commander: Ada Lovelace" in html


def test_every_kind_is_counted_through_the_one_plural_helper():
    assert kind_label("policy finding", 1) == "1 policy finding"
    assert kind_label("timeline entry", 4) == "4 timeline entries"
    for kind in KINDS:
        assert kind_label(kind, 2) == counted(2, kind)
    with pytest.raises(KeyError):
        kind_label("recurrence", 2)


@pytest.mark.parametrize("typed", ["INC-{n} backup", "inc {n} backup", "#{n} backup", "backup INC-{n}"])
def _said(page: str) -> str:
    """The sentence above the results, as read (tags dropped, spaces as shown)."""
    found = re.search(r'<p class="muted(?: search-counts)?">(.*?)</p>', page, re.S)
    assert found, page
    return " ".join(re.sub(r"<[^>]+>", "", found.group(1)).split())


@pytest.mark.parametrize("typed", ["INC-{n} backup", "inc {n} backup", "#{n} backup", "backup INC-{n}"])
def test_a_reference_with_words_searches_the_words_within_that_incident(client_for, viewer, typed):
    wanted = IncidentFactory(title="Replica lag")
    other = IncidentFactory(title="Backup job failed")
    TimelineEntryFactory(incident=wanted, body="The last backup was 6 hours old")
    TimelineEntryFactory(incident=wanted, body="Paged the database on-call")
    TimelineEntryFactory(incident=other, body="The backup finished at 02:00")
    query = typed.format(n=wanted.number)
    hits = search.search_for(viewer, query)
    assert [(h.kind, h.reference) for h in hits] == [("timeline entry", wanted.reference)], query
    page = _page(client_for(viewer), q=query)
    assert _said(page).startswith(f"1 result for “{query}” within {wanted.reference}: 1 timeline entry. ")
    assert "The last <mark>backup</mark> was 6 hours old" in page  # the words marked, not the reference
    assert "The backup finished" not in page


def test_words_within_an_incident_the_viewer_may_not_see_find_nothing(client_for, viewer):
    hidden = IncidentFactory(title="Backup secrets leaked", visibility=Visibility.RESTRICTED)
    TimelineEntryFactory(incident=hidden, body="The backup bucket was public")
    assert search.search_for(viewer, f"{hidden.reference} backup") == []
    page = _page(client_for(viewer), q=f"{hidden.reference} backup")
    assert _said(page).startswith(f"0 results for “{hidden.reference} backup” within {hidden.reference}. ")
    assert "bucket" not in page


def test_no_result_reads_as_one_sentence(client_for, viewer):
    page = _page(client_for(viewer), q="INC-999")
    assert _said(page).startswith("0 results for “INC-999”. ")
