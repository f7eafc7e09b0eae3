"""The eleventh writer's corpus, written blind to the rules and the model: its halves split once by sha256(text)
parity (even: tuning, in the model's training; odd: validation, never trained or tuned on), and the held-back
half meeting issue 17's targets (recall >= 90%, false positives <= 10%). Run with `-s` for both halves' figures
per kind and the sentences each gets wrong.

(Kept out of the `test_blameless*.py` files on purpose: scripts/train_blameless_model.py trains on the sentences
those files hold, and this file quotes the held-back half.)
"""

from __future__ import annotations

import hashlib

from tests.incidents.review.test_blameless import figures, report
from tests.incidents.review.test_blameless_independent import CORPORA, rows


def test_the_eleventh_writer_wrote_their_own_sentences():
    eleventh, eleventh_held = (
        {r["text"] for r in rows(f"blameless_independent_{n}.json")} for n in ("tuning11", "validation11")
    )
    earlier = {r["text"] for name in CORPORA if "11" not in name for r in rows(name)}
    # one sentence of an earlier writer's in each half, and a common label
    assert eleventh & earlier == {"He's the reason we were down for three hours."}
    assert eleventh_held & earlier == {
        "Root cause: human error.",
        "Sam's change was the first deploy after the dependency bump, so we looked at it first.",
    }


def test_the_halves_are_split_by_hash_and_the_held_back_half_meets_the_targets():
    tune = rows("blameless_independent_tuning11.json")
    validate = rows("blameless_independent_validation11.json")
    parity = {r["text"]: int(hashlib.sha256(r["text"].encode()).hexdigest(), 16) % 2 for r in tune + validate}
    assert all(parity[r["text"]] == 0 for r in tune)
    assert all(parity[r["text"]] == 1 for r in validate)
    assert not {r["text"] for r in tune} & {r["text"] for r in validate}
    tuned, held = figures(tune), figures(validate)
    print("\n" + report("writer 11, tuning half (in the model's training)", tuned))
    print(report("writer 11, validation half (never trained or tuned on)", held))
    assert held["recall"] >= 0.9
    assert held["false_positives"] <= 0.1
