"""The postmortem's PDF export (WeasyPrint) with 3,000 timeline entries, each with bold and code as a
busy timeline has: one timed download (a render takes seconds, so a single run is the figure; WeasyPrint is
imported before, as a server has it loaded), its query count and size. Target: under 15 s. With the timeline
as a table of formatted rows it took 277 s on the 2-CPU development machine (under load); `make bench` or
`.venv/bin/python benchmarks/run.py --only pdf` measures it.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from benchmarks.bench_exports import _download, _fill

PDF_ENTRIES = 3000
PDF_TARGET_SECONDS = 15.0


def run(ctx) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.models import Incident
    from incidents.review.services.postmortems import postmortem_start

    user = ctx.user("pdf-bench@example.com")
    client = ctx.client(user)
    number = (Incident.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    incident = Incident.objects.create(
        number=number, title="PDF bench", severity="SEV2", started_at=timezone.now() - timedelta(days=2)
    )
    postmortem_start(incident=incident, actor=user)
    _fill(incident, 0, PDF_ENTRIES)
    url = reverse("incidents:postmortem_export_pdf", args=[incident.number])
    import weasyprint  # noqa: F401 - a server imports it once (seconds); the figure is one export

    sizes: list[int] = []
    cpu = time.process_time()
    with CaptureQueriesContext(connection) as queries:
        timing = ctx.measure(lambda: sizes.append(_download(client, url)), repeat=1, warmup=0)
    cpu = time.process_time() - cpu
    return [
        {
            "name": f"PDF export, {PDF_ENTRIES:,} entries",
            "seconds": timing.median,
            "target": f"< {PDF_TARGET_SECONDS:g} s",
            "ok": timing.median < PDF_TARGET_SECONDS,
            "note": f"{cpu:.1f} s of CPU (the wall time includes waiting for a busy machine); "
            f"{len(queries)} queries; {sizes[0]:,} bytes",
            "extra": {"queries": len(queries), "bytes": sizes[0], "cpu_seconds": round(cpu, 2)},
        }
    ]
