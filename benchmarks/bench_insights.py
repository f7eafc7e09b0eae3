"""Insights page and search with 10,000 incidents, 200,000 timeline entries and 40,000 action items.

Issue 9: the metrics page computes its aggregates in the database and uses a bounded number of queries;
`make bench` reports its time and a search's time as ratios to the floor view. The query count is
measured with 100 incidents and again with 10,000: the target is that it does not grow.
Data are written with `incidents.demo.history.history_generate` (bulk_create, marked generated).
"""

from __future__ import annotations

import time
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

INCIDENTS = 10_000
ENTRIES_PER_INCIDENT = 20  # 200,000 timeline entries
ITEMS_PER_INCIDENT = 4  # 40,000 action items
FIRST_BATCH = 100


def _member(ctx: Any) -> Any:
    """A non-staff team member, so every figure goes through the permission scopes."""
    from accounts.models import Membership, Team

    user = ctx.user("insights-bench@example.com", staff=False, time_zone="Europe/Berlin")
    team, _ = Team.objects.get_or_create(slug="insights-bench", defaults={"name": "Insights bench"})
    Membership.objects.get_or_create(user=user, team=team, defaults={"role": "viewer"})
    return user


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return len(captured.captured_queries)


def run(ctx: Any) -> list[dict]:
    from incidents.demo.history import history_generate

    user = _member(ctx)
    client = ctx.client(user)
    page = "/insights/?start="  # all time (the page opens on the last 90 days)
    search_url = "/search/?q=replication+lag"

    history_generate(
        incidents=FIRST_BATCH,
        seed=9,
        entries_per_incident=ENTRIES_PER_INCIDENT,
        items_per_incident=ITEMS_PER_INCIDENT,
    )
    small_queries = _queries(client, page)
    small_search_queries = _queries(client, search_url)

    t0 = time.perf_counter()
    result = history_generate(
        incidents=INCIDENTS - FIRST_BATCH,
        seed=10,
        entries_per_incident=ENTRIES_PER_INCIDENT,
        items_per_incident=ITEMS_PER_INCIDENT,
    )
    generated_in = time.perf_counter() - t0
    # A live database has planner statistics (autovacuum, or SQLite's ANALYZE); bulk-loaded rows have none.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    big_queries = _queries(client, page)
    big_search_queries = _queries(client, search_url)

    repeat = 3 if ctx.quick else 7
    rows: list[dict] = []
    insights = ctx.compare_page(f"insights page, {INCIDENTS:,} incidents", client, page, repeat=repeat)
    insights["note"] = (
        f"{INCIDENTS:,} incidents, {INCIDENTS * ENTRIES_PER_INCIDENT:,} timeline entries, "
        f"{INCIDENTS * ITEMS_PER_INCIDENT:,} action items; {big_queries} queries; "
        f"data generated in {generated_in:.1f} s ({result.incidents:,} incidents in the second batch)"
    )
    insights["note"] += "; figures from the per-scope cache (a write drops it)"
    rows.append(insights)

    from incidents.insights.metrics.cache import invalidate

    def cold() -> None:
        invalidate()
        client.get(page)

    timing = ctx.measure(cold, repeat=repeat, warmup=1)
    rows.append(
        {
            "name": f"insights page, figures computed afresh, {INCIDENTS:,} incidents",
            "seconds": timing.best,
            "floor_seconds": insights["floor_seconds"],
            "ratio": timing.best / insights["floor_seconds"],
            "note": "the cache dropped before each view (what the first view after a write costs)",
            "extra": {"median_seconds": timing.median},
        }
    )
    rows.append(
        {
            "name": f"insights page queries, {FIRST_BATCH} vs {INCIDENTS:,} incidents",
            "unit": "queries",
            "value": big_queries,
            "target": f"bounded: == {small_queries} (with {FIRST_BATCH})",
            "ok": big_queries == small_queries,
        }
    )
    found = ctx.compare_page("search 'replication lag'", client, search_url, repeat=repeat)
    found["note"] = f"{big_search_queries} queries (was {small_search_queries} with {FIRST_BATCH} incidents)"
    rows.append(found)
    common = ctx.compare_page(
        "search 'database' (a common word)", client, "/search/?q=database", repeat=repeat
    )
    common["target"] = "<= 20x floor"
    common["ok"] = common["ratio"] <= 20
    rows.append(common)
    rows.append(
        {
            "name": f"search queries, {FIRST_BATCH} vs {INCIDENTS:,} incidents",
            "unit": "queries",
            "value": big_search_queries,
            "target": f"bounded: == {small_search_queries}",
            "ok": big_search_queries == small_search_queries,
        }
    )
    return rows
