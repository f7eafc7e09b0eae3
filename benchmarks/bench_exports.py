"""Streamed exports: the postmortem's JSON and Markdown downloads at 1,000 and 5,000 timeline entries, their
time beside the floor (the same stack answering a pre-rendered body of the same size) and their peak Python
memory (tracemalloc, one download consumed piece by piece as a server sends it). Memory must stay flat: the
peak at 5,000 entries within 1.5 MB of the peak at 1,000 (built in memory it grew by about 3 KB per entry).
"""

from __future__ import annotations

import tracemalloc
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

SIZES = (1000, 5000)
FLAT_BYTES = 1_500_000
EXPORTS = (("postmortem_export_json", "JSON"), ("postmortem_export_md", "Markdown"))


def _fill(incident, start: int, n: int) -> None:
    from incidents.markdown import render_markdown
    from incidents.models import TimelineEntry

    rows = []
    for i in range(start, start + n):
        body = f"Entry {i}: replica lag **{i % 97} s** on db-{i % 7}, see `pg_stat_replication`"
        # As a save stores it (bulk_create skips `save`, which renders it).
        html = str(render_markdown(body))
        at = incident.started_at + timedelta(seconds=i)
        rows.append(
            TimelineEntry(
                incident=incident, occurred_at=at, body=body, body_html=html, is_key_moment=i % 50 == 0
            )
        )
    TimelineEntry.objects.bulk_create(rows)


def _download(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    pieces = response.streaming_content if response.streaming else [response.content]
    return sum(len(piece) for piece in pieces)


def _peak(client, url: str) -> int:
    tracemalloc.start()
    try:
        _download(client, url)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run(ctx) -> list[dict]:
    from incidents.models import Incident
    from incidents.review.services.postmortems import postmortem_start

    user = ctx.user("exports-bench@example.com")
    client = ctx.client(user)
    number = (Incident.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    incident = Incident.objects.create(
        number=number, title="Exports bench", severity="SEV2", started_at=timezone.now() - timedelta(days=2)
    )
    postmortem_start(incident=incident, actor=user)
    results: list[dict] = []
    peaks: dict[tuple[str, int], int] = {}
    filled = 0
    repeat = 3 if ctx.quick else 5
    for n in SIZES:
        _fill(incident, filled, n - filled)
        filled = n
        for name, label in EXPORTS:
            url = reverse(f"incidents:{name}", args=[incident.number])
            size = _download(client, url)
            _peak(client, url)  # warm
            peaks[(name, n)] = _peak(client, url)
            timing = ctx.measure(lambda url=url: _download(client, url), repeat=repeat, warmup=1)
            floor_url = ctx.register_floor(b"x" * size)
            floor = ctx.measure(lambda f=floor_url: client.get(f), repeat=repeat, warmup=1)
            results.append(
                {
                    "name": f"{label} export, {n:,} entries",
                    "seconds": timing.median,
                    "floor_seconds": floor.median,
                    "ratio": timing.median / floor.median if floor.median else None,
                    "note": f"{size:,} bytes; peak memory {peaks[(name, n)] / 1e6:.1f} MB",
                    "extra": {"bytes": size, "peak_bytes": peaks[(name, n)], "runs": timing.runs},
                }
            )
    small, large = SIZES
    for name, label in EXPORTS:
        growth = peaks[(name, large)] - peaks[(name, small)]
        results.append(
            {
                "name": f"{label} export: peak memory growth {small:,} -> {large:,} entries",
                "unit": "MB",
                "value": round(growth / 1e6, 2),
                "target": f"< {FLAT_BYTES / 1e6} (flat)",
                "ok": growth < FLAT_BYTES,
            }
        )
    return results
