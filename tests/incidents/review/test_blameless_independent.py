"""The blameless check on corpora written independently of its rules, by nine writers.

Each file in `data/` is the tuning half of one writer's corpus: the writer never saw the rules (given only the
definition of blame and the list of patterns), and the validation halves are held back by the project lead.
The rules were generalised against these halves (not fitted to their sentences: no rule exists for one
sentence), so their figures are a floor guard: they may not fall by more than 5 points from what was
reached. Run with `-s` to see the figures per kind and the sentences each gets wrong.

Cross-writer figures (rules tuned on one writer, measured on the other before any tuning on it) are in
`data/README.md`; they are the honest estimate of how the check does on a writer it has never seen.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.incidents.review.test_blameless import figures, report

SLACK = 0.05
DATA = Path(__file__).parent / "data"
CORPORA = {
    # file: (sentences, blaming, recall reached, false positives reached)
    "blameless_independent_tuning.json": (248, 113, 1.0, 0.0),
    "blameless_independent_tuning2.json": (216, 109, 0.972, 0.0),
    "blameless_independent_tuning3.json": (216, 113, 0.991, 0.0),
    "blameless_independent_tuning4.json": (283, 132, 0.955, 0.02),
    "blameless_independent_tuning5.json": (304, 161, 0.975, 0.035),
    "blameless_independent_tuning7.json": (371, 184, 0.989, 0.0),
    # committed before any rule was changed while looking at it: the figures of main at 6ebbb61
    "blameless_independent_tuning8.json": (404, 201, 0.861, 0.084),
    # committed unchanged before any rule was changed while looking at it (main at 64a3da8: 0.786, 0.029);
    # the floor is what the ninth pass reached in-sample
    "blameless_independent_tuning9.json": (410, 206, 0.927, 0.029),
    # the tenth writer's tuning half, committed unchanged before any rule was changed while looking at it:
    # the figures of main at 64e44df (its validation half is held back)
    "blameless_independent_tuning10.json": (384, 200, 0.81, 0.114),
    # the seventh writer's validation half, held back through its tuning pass and measured once at its end
    "blameless_independent_validation7.json": (349, 176, 0.915, 0.04),
    # the tenth writer's validation half, held back and measured at main 64e44df and again at 4732ff0 with no
    # rule changed between: 91.7% / 6.1%; committed spent, as a floor (the next honest figure needs a new writer)
    "blameless_independent_validation10.json": (376, 180, 0.917, 0.061),
    # the eleventh writer's corpus, split by sha256(text) parity (even: tuning, odd: validation); the tuning half
    # is in the model's training (in-sample: 98.2%, 1.0% with the rules); the validation half never was, and
    # was measured once with the model's settings already chosen (rules alone 81.7%, 4.7%)
    "blameless_independent_tuning11.json": (370, 171, 0.982, 0.010),
    "blameless_independent_validation11.json": (399, 208, 0.927, 0.052),
}
# the validation halves the issue's targets apply to (recall >= 90%, false positives <= 10%)
GRADED = {"blameless_independent_validation10.json", "blameless_independent_validation11.json"}


def rows(name: str) -> list[dict]:
    return json.loads((DATA / name).read_text("utf-8"))["sentences"]


ROWS = rows("blameless_independent_tuning.json")  # the first writer's half, as benchmarks read it


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_each_independent_corpus_is_a_tuning_half_as_written(name):
    size, blaming, _, _ = CORPORA[name]
    got = rows(name)
    assert len(got) == size
    assert Counter(r["blaming"] for r in got) == {True: blaming, False: size - blaming}
    assert all(r["kind"] and r["text"].strip() for r in got)
    assert len({r["text"] for r in got}) == len(got)


def test_the_writers_wrote_their_own_sentences():
    first, second, third, fourth, fifth, seventh, eighth, ninth, tenth, seventh_held = (
        {r["text"] for r in rows(f"blameless_independent_{n}.json")}
        for n in ("tuning", *(f"tuning{i}" for i in (2, 3, 4, 5, 7, 8, 9, 10)), "validation7")
    )
    tenth_held = {r["text"] for r in rows("blameless_independent_validation10.json")}
    # one sentence is in the first two: the example of mock praise in the list of patterns they were given
    assert first & second == {"Another masterpiece from the backend team."}
    assert not first & third
    assert not second & third
    assert not fourth & (first | second | third)
    assert not fifth & (first | second | third | fourth)
    # the sixth writer's half is not committed; the seventh wrote the same example of mock praise
    assert seventh & (first | second | third | fourth | fifth) == {
        "Another masterpiece from the backend team."
    }
    assert not seventh_held & (first | second | third | fourth | fifth | seventh)
    # the eighth writer happened on one sentence of the first writer's
    assert eighth & (first | second | third | fourth | fifth | seventh | seventh_held) == {
        "The contractor's incompetence is the root cause here."
    }
    # the ninth writer happened on one sentence of the eighth writer's
    assert ninth & (first | second | third | fourth | fifth | seventh | seventh_held | eighth) == {
        "He should have known better."
    }
    # the tenth writer happened on one neutral sentence of an earlier writer's
    earlier = first | second | third | fourth | fifth | seventh | seventh_held | eighth | ninth
    assert not tenth & tenth_held
    assert tenth_held & earlier == {"Root cause: human error."}
    assert tenth & earlier == {
        "The runbook was last updated in 2021, before the service moved to Kubernetes."
    }


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_no_regression_on_an_independent_corpus(name):
    _, _, recall, false_positives = CORPORA[name]
    f = figures(rows(name))
    print("\n" + report(f"independent corpus {name}", f))
    assert f["recall"] >= recall - SLACK
    assert f["false_positives"] <= false_positives + SLACK


@pytest.mark.parametrize("name", sorted(GRADED))
def test_a_held_back_validation_half_meets_the_issues_targets(name):
    f = figures(rows(name))
    assert f["recall"] >= 0.9
    assert f["false_positives"] <= 0.1
