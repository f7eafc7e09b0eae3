"""Blameless review: the blameless check's recall and false-positive rate on the labelled corpus (the issue's
numbers: recall >= 90%, false positives <= 10%), the check's speed on a long postmortem, and the postmortem
page at 10 and 200 contributing factors against the floor (queries must stay flat).
"""

from __future__ import annotations

import time
from datetime import timedelta
from types import SimpleNamespace

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

SIZES = (10, 200)


def _corpus_rows() -> list[dict]:
    from incidents.review.blameless import check_text, names_from_users
    from tests.incidents.review.blameless_corpus import BLAME, CORPUS, NAMES, NEUTRAL

    names = names_from_users([SimpleNamespace(display_name=n) for n in NAMES])
    blaming = [s for s, label, _ in CORPUS if label == BLAME]
    neutral = [s for s, label, _ in CORPUS if label == NEUTRAL]
    recall = sum(bool(check_text(s, names=names)) for s in blaming) / len(blaming)
    fp = sum(bool(check_text(s, names=names)) for s in neutral) / len(neutral)
    return [
        {
            "name": f"blameless recall ({len(blaming)} blaming sentences)",
            "unit": "%",
            "value": round(recall * 100, 1),
            "target": ">= 90",
            "ok": recall >= 0.9,
        },
        {
            "name": f"blameless false positives ({len(neutral)} neutral sentences)",
            "unit": "%",
            "value": round(fp * 100, 1),
            "target": "<= 10",
            "ok": fp <= 0.1,
        },
    ]


def _speed_row() -> dict:
    from incidents.models import POSTMORTEM_SECTIONS
    from incidents.review.blameless import check_sections
    from tests.incidents.review.blameless_corpus import CORPUS

    text = " ".join(s for s, _, _ in CORPUS) * 3
    sections = {k: text for k, _ in POSTMORTEM_SECTIONS}
    chars = sum(len(v) for v in sections.values())
    names = [f"Person{i} Name{i}" for i in range(300)]
    start = time.perf_counter()
    check_sections(sections, names=names)
    seconds = time.perf_counter() - start
    return {
        "name": f"blameless check, {chars:,} characters, 300 user names",
        "unit": "s",
        "value": round(seconds, 4),
        "seconds": seconds,
        "target": "< 0.5 (live preview)",
        "ok": seconds < 0.5,
    }


def _fill(incident, n: int) -> None:
    from incidents.models import ActionItem, ContributingFactor, FactorCategory, TimelineEntry

    entries = TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                incident=incident,
                occurred_at=incident.started_at + timedelta(minutes=i),
                body=f"Entry {i}",
                is_key_moment=i % 5 == 0,
            )
            for i in range(n)
        ]
    )
    factors = ContributingFactor.objects.bulk_create(
        [
            ContributingFactor(
                incident=incident,
                category=FactorCategory.values[i % 10],
                title=f"Factor {i}",
                description="**why**",
            )
            for i in range(n)
        ]
    )
    through = ContributingFactor.evidence_entries.through
    through.objects.bulk_create(
        [
            through(contributingfactor_id=f.pk, timelineentry_id=e.pk)
            for f, e in zip(factors, entries, strict=True)
        ]
    )
    ActionItem.objects.bulk_create(
        [ActionItem(incident=incident, factor=f, title=f"Item {f.pk}") for f in factors]
    )


def run(ctx) -> list[dict]:
    from incidents.models import Incident
    from incidents.review.services.postmortems import postmortem_start

    results = [*_corpus_rows(), _speed_row()]
    user = ctx.user("review-bench@example.com")
    client = ctx.client(user)
    number = (Incident.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    incident = Incident.objects.create(
        number=number, title="Review bench", severity="SEV2", started_at=timezone.now() - timedelta(days=2)
    )
    postmortem_start(incident=incident, actor=user)
    counts = {}
    filled = 0
    for n in SIZES:
        _fill(incident, n - filled)
        filled = n
        url = reverse("incidents:postmortem", args=[incident.number])
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        counts[n] = len(captured.captured_queries)
        row = ctx.compare_page(f"postmortem page, {n} factors, entries and items", client, url)
        row["extra"]["queries"] = counts[n]
        results.append(row)
    results.append(
        {
            "name": f"postmortem page: queries at {SIZES[0]} vs {SIZES[-1]} factors",
            "unit": "queries",
            "value": counts[SIZES[-1]],
            "target": f"= {counts[SIZES[0]]} (flat)",
            "ok": counts[SIZES[-1]] == counts[SIZES[0]],
        }
    )
    return results
