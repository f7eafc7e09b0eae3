"""List endpoints stay flat in queries: 1 row and 100 rows cost the same number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import ChangeEvent, Postmortem
from tests.factories import (
    ActionItemFactory,
    ContributingFactorFactory,
    IncidentFactory,
    PolicyFindingFactory,
    ServiceFactory,
    TimelineEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
MAX_QUERIES = 16


def make_incidents(n, ctx):
    for _ in range(n):
        inc = IncidentFactory(commander=ctx["owner"], scribe=ctx["owner"])
        inc.services.add(ctx["service"])


def make_entries(n, ctx):
    TimelineEntryFactory.create_batch(n, incident=ctx["incident"], author=ctx["owner"])


def make_factors(n, ctx):
    for _ in range(n):
        factor = ContributingFactorFactory(incident=ctx["incident"])
        factor.evidence_entries.add(ctx["entry"])


def make_postmortems(n, ctx):
    for _ in range(n):
        Postmortem.objects.create(incident=IncidentFactory(), sections={"summary": "**x**"})


def make_items(n, ctx):
    ActionItemFactory.create_batch(n, incident=ctx["incident"], owner=ctx["owner"])


def make_findings(n, ctx):
    for _ in range(n):
        PolicyFindingFactory(owner=ctx["owner"]).incidents.add(ctx["incident"])


def make_services(n, ctx):
    ServiceFactory.create_batch(n)


def make_changes(n, ctx):
    for i in range(n):
        ChangeEvent.objects.create(service=ctx["service"], summary=f"deploy {i}", commit_range="a..b")


LISTS = [
    ("/api/v1/incidents/?page_size=100", make_incidents),
    ("/api/v1/timeline-entries/?page_size=200", make_entries),
    ("/api/v1/contributing-factors/?page_size=200", make_factors),
    ("/api/v1/postmortems/?page_size=200", make_postmortems),
    ("/api/v1/action-items/?page_size=200", make_items),
    ("/api/v1/policy-findings/?page_size=200", make_findings),
    ("/api/v1/services/?page_size=200", make_services),
    ("/api/v1/changes/?page_size=200", make_changes),
    ("/api/v1/services/svc/changes/?page_size=200", make_changes),
]


def count(client, url):
    client.get(url)  # warm-up: the token's last-used time is written at most once a minute
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries), response.json()


@pytest.mark.parametrize(("url", "make"), LISTS, ids=[u for u, _ in LISTS])
def test_list_is_flat_in_queries_for_1_and_100_rows(
    url, make, api_for, responder, incident, django_assert_max_num_queries
):
    ctx = {
        "owner": UserFactory(),
        "service": ServiceFactory(slug="svc"),
        "incident": incident,
        "entry": TimelineEntryFactory(incident=incident),
    }
    client = api_for(responder)
    make(1, ctx)
    one, _ = count(client, url)
    make(99, ctx)
    with django_assert_max_num_queries(MAX_QUERIES):
        many, body = count(client, url)
    assert len(body["results"]) >= 100
    assert many == one, f"{url}: {one} queries for 1 row, {many} for 100"


def test_the_incident_list_reads_only_the_columns_it_shows(api_for, responder):
    owner = UserFactory(display_name="Cora Commander")
    IncidentFactory(commander=owner, scribe=owner, summary="**Disk** full")
    with CaptureQueriesContext(connection) as ctx:
        body = api_for(responder).get("/api/v1/incidents/").json()
    (row,) = body["results"]
    assert row["commander"]["display_name"] == "Cora Commander"
    assert row["summary_html"] == "<p><strong>Disk</strong> full</p>"
    listing = next(
        q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "incidents_incident"."id"')
    )
    assert '"password"' not in listing  # the people in roles come with their id, email and name only
    assert '"dedup_key"' not in listing
