"""The blameless check (rules and the model's opinion, as every surface runs it) on its labelled corpus: recall and false positives on the tuning half and on the
validation half (the issue's targets apply to the validation half: recall >= 90%, false positives <= 10%),
per kind of sentence; the same on the corpora written without sight of the rules (one per writer); and
the time per sentence (target < 20 ms on one core).
"""

from __future__ import annotations

import time


def _rows() -> list[dict]:
    from tests.incidents.review.test_blameless import SENTENCES, figures

    rows: list[dict] = []
    for half in ("tune", "validate"):
        f = figures([r for r in SENTENCES if r["half"] == half])
        graded = half == "validate"
        rows.append(
            {
                "name": f"blameless recall, {half} half ({f['blaming']} blaming)",
                "unit": "%",
                "value": round(f["recall"] * 100, 1),
                "target": ">= 90" if graded else None,
                "ok": f["recall"] >= 0.9 if graded else None,
            }
        )
        rows.append(
            {
                "name": f"blameless false positives, {half} half ({f['neutral']} neutral)",
                "unit": "%",
                "value": round(f["false_positives"] * 100, 1),
                "target": "<= 10" if graded else None,
                "ok": f["false_positives"] <= 0.1 if graded else None,
            }
        )
        for kind, (n, right) in sorted(f["per_kind"].items()):
            rows.append({"name": f"  {half}: {kind}", "unit": "right", "value": f"{right}/{n}"})
        for r in f["wrong"]:
            rows.append(
                {
                    "name": f"  {half} wrong: {r['text'][:70]}",
                    "value": "missed" if r["blaming"] else "flagged",
                }
            )
    return rows


def _independent() -> list[dict]:
    """The corpora written without sight of the rules, one per writer (their tuning halves; the lead holds the
    validation halves and adds their figures)."""
    from tests.incidents.review.test_blameless import figures
    from tests.incidents.review.test_blameless_independent import CORPORA, rows

    out: list[dict] = []
    for name in sorted(CORPORA):
        n = (
            name.removesuffix(".json").removeprefix("blameless_independent_tuning") or "1"
        )  # the writer's number
        f = figures(rows(name))
        out += [
            {
                "name": f"blameless recall, writer {n} tuning half ({f['blaming']} blaming)",
                "unit": "%",
                "value": round(f["recall"] * 100, 1),
            },
            {
                "name": f"blameless false positives, writer {n} tuning half ({f['neutral']} neutral)",
                "unit": "%",
                "value": round(f["false_positives"] * 100, 1),
            },
        ]
        out += [
            {"name": f"  writer {n}: {kind}", "unit": "right", "value": f"{right}/{total}"}
            for kind, (total, right) in sorted(f["per_kind"].items())
        ]
        out += [
            {
                "name": f"  writer {n} wrong: {r['text'][:70]}",
                "value": "missed" if r["blaming"] else "flagged",
            }
            for r in f["wrong"]
        ]
    return out


def _held_back() -> list[dict]:
    """The held-back validation halves of independent writers (committed once measured), graded against
    the issue's targets."""
    from tests.incidents.review.test_blameless import figures
    from tests.incidents.review.test_blameless_independent import GRADED, rows

    out: list[dict] = []
    for name in sorted(GRADED):
        f = figures(rows(name))
        label = name.removesuffix(".json").removeprefix("blameless_independent_")
        out += [
            {
                "name": f"blameless recall, {label} ({f['blaming']} blaming)",
                "unit": "%",
                "value": round(f["recall"] * 100, 1),
                "target": ">= 90",
                "ok": f["recall"] >= 0.9,
            },
            {
                "name": f"blameless false positives, {label} ({f['neutral']} neutral)",
                "unit": "%",
                "value": round(f["false_positives"] * 100, 1),
                "target": "<= 10",
                "ok": f["false_positives"] <= 0.1,
            },
        ]
    return out


def _lowo() -> list[dict]:
    """Leave one writer out, as the training script measured it when it wrote the model's weights (each writer's
    tuning half scored by a model trained without it): the rules alone, the model alone, either, and the
    combination the check uses (a rule finding vetoed below 0.2, a model finding from 0.76)."""
    import json
    from importlib.resources import files

    data = json.loads(
        (files("incidents.review.blameless") / "data" / "model" / "blameless.json").read_text("utf-8")
    )
    measured = data.get("lowo") or {}
    out: list[dict] = []
    for name, (caught, blaming, flagged, neutral) in (measured.get("pooled") or {}).items():
        out += [
            {
                "name": f"blameless recall, leave one writer out, {name} ({blaming} blaming)",
                "unit": "%",
                "value": round(caught / blaming * 100, 1),
            },
            {
                "name": f"blameless false positives, leave one writer out, {name} ({neutral} neutral)",
                "unit": "%",
                "value": round(flagged / neutral * 100, 1),
            },
        ]
    for writer, by in sorted((measured.get("per_writer") or {}).items(), key=lambda kv: int(kv[0])):
        caught, blaming, flagged, neutral = by["combined"]
        out.append(
            {
                "name": f"  writer {writer} left out, combined",
                "unit": "recall / false positives",
                "value": f"{caught / blaming:.1%} / {flagged / neutral:.1%}",
            }
        )
    return out


def _speed() -> dict:
    from incidents.review.blameless import check_text, model
    from incidents.review.blameless.parts import _sentence_hits
    from tests.incidents.review.test_blameless import SENTENCES

    check_text("warm up the name lists")
    _sentence_hits.cache_clear()  # the figures above checked these sentences already: time them uncached
    model._sentence_probability.cache_clear()
    start = time.perf_counter()
    for r in SENTENCES:
        check_text(r["text"])
    ms = (time.perf_counter() - start) / len(SENTENCES) * 1000
    return {
        "name": f"blameless check per sentence, rules and model, one core ({len(SENTENCES)} sentences)",
        "unit": "ms",
        "value": round(ms, 3),
        "target": "< 20",
        "ok": ms < 20,
    }


def run(ctx) -> list[dict]:
    return [*_rows(), *_independent(), *_held_back(), *_lowo(), _speed(), _model_speed()]


def _model_speed() -> dict:
    from incidents.review.blameless import _names, model
    from tests.incidents.review.test_blameless import SENTENCES

    names = _names([])
    model.probability("warm up the weights", names)
    start = time.perf_counter()
    for r in SENTENCES:
        model.probability(r["text"], names)
    ms = (time.perf_counter() - start) / len(SENTENCES) * 1000
    return {"name": "blameless model alone per sentence, one core", "unit": "ms", "value": round(ms, 3)}
