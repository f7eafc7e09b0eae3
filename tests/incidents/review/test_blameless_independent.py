"""The blameless check on a corpus written independently of its rules.

`data/blameless_independent_tuning.json` was written by a writer who never saw the rules (given only the
definition of blame and the list of patterns); it is the tuning half of that corpus, the validation half is
held back by the project lead. The rules were generalised against it (not fitted to its sentences: no rule
exists for one sentence), so its figures are a floor guard: they may not fall by more than 5 points from what
was reached (recall 99.1%, false positives 0.0% when this test was written). Run with `-s` to see the
figures per kind and the sentences it gets wrong.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from tests.incidents.review.test_blameless import figures, report

REACHED_RECALL = 0.991
REACHED_FALSE_POSITIVES = 0.0
SLACK = 0.05
ROWS = json.loads((Path(__file__).parent / "data" / "blameless_independent_tuning.json").read_text("utf-8"))[
    "sentences"
]


def test_the_independent_corpus_is_the_tuning_half_as_written():
    assert len(ROWS) == 248
    assert Counter(r["blaming"] for r in ROWS) == {True: 113, False: 135}
    assert all(r["kind"] and r["text"].strip() for r in ROWS)
    assert len({r["text"] for r in ROWS}) == len(ROWS)


def test_no_regression_on_the_independent_corpus():
    f = figures(ROWS)
    print("\n" + report("independent corpus, tuning half", f))
    assert f["recall"] >= REACHED_RECALL - SLACK
    assert f["false_positives"] <= REACHED_FALSE_POSITIVES + SLACK
