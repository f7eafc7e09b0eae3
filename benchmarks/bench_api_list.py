"""The incident list endpoint (`GET /api/v1/incidents/`) and the incident list page with 1,000 and 10,000
incidents, against the floor, with query counts.

A list is paginated, so the target is that time and queries do not grow with the table: the 10,000 row
may cost at most 2x the 1,000 row, and the query count is the same at both sizes. Each incident carries a
Markdown summary and customer impact with their HTML stored as a save stores it, so a list that rendered
Markdown per row would show here (with empty texts it did not: 18 ms CPU a request stored, 42 ms rendered).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

SIZES = (1_000, 10_000)


def _summary(n: int) -> str:
    return (
        f"Replica lag on **db-{n % 7}** reached {n % 90} s after the `vacuum` of *orders*.\n\n"
        f"- checkout errors for {n % 40} min\n- see [the dashboard](https://grafana.example/d/{n})\n"
    )


def _fill(total: int) -> None:
    from incidents.markdown import render_markdown
    from incidents.models import Incident

    have = Incident.objects.count()
    start = (Incident.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    now = timezone.now()
    Incident.objects.bulk_create(
        [
            Incident(
                number=start + i,
                title=f"API list bench incident {start + i}",
                severity=("SEV1", "SEV2", "SEV3", "SEV4")[i % 4],
                status="resolved" if i % 3 else "investigating",
                started_at=now - timedelta(hours=i + 3),
                resolved_at=(now - timedelta(hours=i + 1)) if i % 3 else None,
                # As a save stores them (bulk_create skips `save`, which renders them).
                summary=(summary := _summary(start + i)),
                summary_html=str(render_markdown(summary)),
                customer_impact=(impact := f"About {i % 13}% of checkouts **failed** in eu-{i % 3}."),
                customer_impact_html=str(render_markdown(impact)),
            )
            for i in range(total - have)
        ],
        batch_size=2000,
    )


def run(ctx) -> list[dict]:
    user = ctx.user("api-bench@example.com")
    client = ctx.client(user)
    rows: list[dict] = []
    for name, url in (("API incident list", "/api/v1/incidents/"), ("incident list page", "/incidents/")):
        per_size = {}
        for size in SIZES:
            _fill(size)
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            count = len(queries.captured_queries)  # read now: the log window moves with later queries
            row = ctx.compare_page(f"{name}, {size:,} incidents", client, url)
            row["value"] = f"{count} queries"
            per_size[size] = (row, count)
            rows.append(row)
        (small, q_small), (big, q_big) = per_size[SIZES[0]], per_size[SIZES[1]]
        growth = big["seconds"] / small["seconds"] if small["seconds"] else None
        big["target"] = "<= 2x the 1,000 row; same queries"
        big["ok"] = bool(growth is not None and growth <= 2 and q_small == q_big)
        big["note"] = f"{growth:.2f}x the 1,000 row; queries {q_small} vs {q_big}"
    return rows
