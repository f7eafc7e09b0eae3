"""Incident page render time for 100, 1,000 and 5,000 timeline entries, against the floor.

Targets (issue 3): 1,000 entries within 10x the floor; 5,000 entries no slower than 2x the 1,000.
The page renders the newest `selectors.TIMELINE_WINDOW` entries and loads older ones on demand, so its
cost does not grow with the timeline. The "timeline section only" rows time the same window through the
"load older" fragment, separating the timeline's cost from the rest of the incident page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone

if TYPE_CHECKING:  # the models load after django.setup(), inside the functions
    from incidents.models import Incident

SIZES = tuple(
    int(x) for x in __import__("os").environ.get("BENCH_TIMELINE_SIZES", "100,1000,5000").split(",")
)
KINDS = ("note", "action", "decision", "observation", "communication", "alert")


def _incident_with_entries(n: int, author) -> Incident:
    from incidents.markdown import render_markdown
    from incidents.models import Incident, TimelineEntry

    number = (Incident.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    start = timezone.now() - timedelta(days=3)
    incident = Incident.objects.create(
        number=number,
        title=f"Benchmark incident with {n} entries",
        severity="SEV2",
        started_at=start,
        commander=author,
        declared_by=author,
    )
    entries = []
    for i in range(n):
        body = f"Entry {i}: checked **replica lag** on db-{i % 7}, saw `{i * 13 % 997} ms`; see https://example.com/runbook/{i}"
        entries.append(
            TimelineEntry(
                incident=incident,
                occurred_at=start + timedelta(seconds=30 * i),
                recorded_at=start + timedelta(seconds=30 * i + 5),
                updated_at=start + timedelta(seconds=30 * i + 5),
                author=author,
                kind=KINDS[i % len(KINDS)],
                body=body,
                body_html=str(render_markdown(body)),
                evidence="diagnosis" if i % 10 == 0 else "",
                is_key_moment=i % 50 == 0,
            )
        )
    TimelineEntry.objects.bulk_create(entries, batch_size=500)
    return incident


def run(ctx) -> list[dict]:
    user = ctx.user("timeline-bench@example.com", time_zone="Pacific/Auckland")
    client = ctx.client(user)
    results: list[dict] = []
    by_size: dict[int, dict] = {}
    for n in SIZES:
        incident = _incident_with_entries(n, user)
        url = reverse("incidents:detail", args=[incident.number])
        row = ctx.compare_page(f"incident page, {n:,} entries", client, url)
        if n == 1_000:
            row["target"] = "<= 10x floor"
            row["ok"] = row["ratio"] <= 10
        by_size[n] = row
        results.append(row)
        # The timeline section alone (what "load older" and a filtered list answer: the newest window),
        # so the timeline's own cost is visible apart from the other sections of the incident page.
        fragment = reverse("incidents:timeline_older", args=[incident.number]) + "?before=9999999999999999.0"
        results.append(
            ctx.compare_page(
                f"timeline section only, {n:,} entries", client, fragment, headers={"HX-Request": "true"}
            )
        )
    if 5_000 in by_size and 1_000 in by_size:
        slow, base = by_size[5_000]["seconds"], by_size[1_000]["seconds"]
        results.append(
            {
                "name": "5,000 vs 1,000 entries",
                "unit": "x",
                "value": slow / base,
                "target": "<= 2x the 1,000",
                "ok": slow / base <= 2,
            }
        )
    results.append(_quick_add_throughput(ctx, client, user))
    return results


def _quick_add_throughput(ctx, client, user) -> dict:
    """Entries per second through the quick-add view (HTMX request, time parsing, insert, history, render)."""
    import time

    incident = _incident_with_entries(0, user)
    url = reverse("incidents:timeline_quick_add", args=[incident.number])
    n = 40 if ctx.quick else 150
    headers = {"HX-Request": "true"}
    client.post(url, {"body": "warm-up"}, headers=headers)
    started = time.perf_counter()
    for i in range(n):
        response = client.post(
            url, {"body": f"Quick entry {i}", "when": "-1m", "kind": "action"}, headers=headers
        )
        assert response.status_code == 200, response.status_code
    elapsed = time.perf_counter() - started
    return {
        "name": f"quick add through the view ({n} posts, one client)",
        "seconds": elapsed / n,
        "unit": "entries/s",
        "value": n / elapsed,
    }
