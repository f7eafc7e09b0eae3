"""Who the words are aimed at (issue 17's fourth pass): each class with sentences written for it here, blaming
ones and near misses that are not blame.

None of these sentences is from a corpus in `data/`: they are the classes' own tests, written from the
definition of each class (judgement words apply to people only when they describe a person or a person's
act; an ordinary act made THE cause; a person told to learn; mock praise aimed at a person), so a rule that
only fits a corpus sentence fails here.
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text


def rules(text: str) -> set[str]:
    return {f.rule for f in check_text(text)}


def flagged(text: str) -> bool:
    return bool(check_text(text))


# --- judgement words: a person or a person's act, not a thing --------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The retry wrapper is lazy about backoff: it retries at once, forever.",
        "A careless default in the chart set the replica count to one.",
        "Our staging seed data is sloppy, with half the tenants missing a region.",
        "The old cron scheduler was reckless with overlapping runs.",
        "The importer is frankly incompetent at malformed CSV rows.",
        "A lazy readiness probe reported healthy before the cache had loaded.",
        "The vendor SDK is negligent about closing sockets on timeout.",
        "The disk cleanup job was careless with symlinks and followed them out of the volume.",
    ],
)
def test_judgement_words_about_a_thing_are_not_blame(text):
    assert "judgement" not in rules(text), text


@pytest.mark.parametrize(
    "text",
    [
        "The reviewer was lazy and approved without reading.",
        "Our new SRE is incompetent with Terraform.",
        "A careless operator typed the wrong cluster name.",
        "The migration was run by a reckless contractor.",
        "Careless work on the firewall rules let the scanner in.",
        "The way Ines ran the failover was sloppy.",
        "It was reckless of the DBA to skip the backup.",
        "That rollback was sloppy from start to finish.",
        "He is lazy about writing tests.",
        "Her careless schema change dropped the index.",
        "Their sloppy cutover script was never reviewed.",
    ],
)
def test_judgement_words_about_a_person_or_their_act_stay_blame(text):
    assert "judgement" in rules(text), text
