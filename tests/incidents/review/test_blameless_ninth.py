"""Issue 17's ninth pass: own sentences over the families of blame the ninth writer's tuning half showed weak
(read as families, never copied: none of these sentences is from a corpus in `data/`), and the families the
lead named weak on earlier held-back halves. Written before the parts they test and run once first (figures
in `data/README.md`).
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text

KNOWN_MISSES: set[str] = set()
KNOWN_FLAGGED: set[str] = set()

# Dekker's "old view": the human as the weak link, the failure mode, the common factor of the incidents
WEAK_LINK_BLAMING = [
    "The failure mode here was the operator, not the software.",
    "The weakest link in the chain was the human at the console.",
    "The common denominator in all four outages is the night-shift DBA.",
    "Honestly, the single point of failure is Kwame.",
    "The deciding factor was the release manager.",
    "The common thread across these incidents is the platform team.",
    "The weak link, as usual, was the people.",
    "Grace is the common factor in every one of these pages.",
]
WEAK_LINK_NEUTRAL = [
    "The failure mode was a full disk on the primary.",
    "The weakest link in the chain was the single config server.",
    "The common denominator in all four outages is the shared Redis cluster.",
    "The single point of failure is the one NAT gateway in eu-west-1.",
    "The deciding factor was the replication lag the dashboard showed.",
    "The common thread across these incidents is that each began during a deploy window.",
    "Grace is the common point of contact for the vendor.",
    "The human in the loop is the last safeguard, so the tool should show them the diff.",
]

BLAMING = WEAK_LINK_BLAMING
NEUTRAL = WEAK_LINK_NEUTRAL


def _marks(sentences: list[str], known: set[str]) -> list[object]:
    return [
        pytest.param(s, marks=pytest.mark.xfail(strict=True, reason="known")) if s in known else s
        for s in sentences
    ]


@pytest.mark.parametrize("sentence", _marks(BLAMING, KNOWN_MISSES))
def test_a_blaming_sentence_of_the_ninth_round_is_flagged(sentence):
    assert check_text(sentence), sentence


@pytest.mark.parametrize("sentence", _marks(NEUTRAL, KNOWN_FLAGGED))
def test_a_near_miss_of_the_ninth_round_is_left_alone(sentence):
    assert not check_text(sentence), [(f.rule, f.text) for f in check_text(sentence)]
