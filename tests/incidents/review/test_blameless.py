"""The blameless-language check on a labelled corpus: recall on blaming text, false positives on neutral text.

Run `pytest tests/incidents/test_blameless_corpus.py -s` to see the figures.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from incidents.review.blameless import check_text, names_from_users
from tests.incidents.review.blameless_corpus import BLAME, CORPUS, NAMES, NEUTRAL

RECALL_AT_LEAST = 0.90
FALSE_POSITIVES_AT_MOST = 0.10
NAMES_IN_SYSTEM = names_from_users([SimpleNamespace(display_name=n) for n in NAMES])


def _figures(rows):
    blaming = [s for s, label, _ in rows if label == BLAME]
    neutral = [s for s, label, _ in rows if label == NEUTRAL]
    caught = [s for s in blaming if check_text(s, names=NAMES_IN_SYSTEM)]
    flagged = [s for s in neutral if check_text(s, names=NAMES_IN_SYSTEM)]
    return blaming, neutral, caught, flagged


def test_corpus_is_big_enough_and_balanced():
    blaming, neutral, _, _ = _figures(CORPUS)
    assert len(CORPUS) >= 60
    assert len(blaming) == len(neutral)
    assert sum(1 for _, _, src in CORPUS if src and src != "held-out") >= 20


def test_recall_and_false_positive_rate_meet_the_thresholds():
    blaming, neutral, caught, flagged = _figures(CORPUS)
    recall = len(caught) / len(blaming)
    fp_rate = len(flagged) / len(neutral)
    held = [row for row in CORPUS if row[2] == "held-out"]
    hb, hn, hc, hf = _figures(held)
    print(
        f"\nblameless check on {len(CORPUS)} sentences: recall {len(caught)}/{len(blaming)} = {recall:.1%}, "
        f"false positives {len(flagged)}/{len(neutral)} = {fp_rate:.1%}"
        f"\n  held-out subset: recall {len(hc)}/{len(hb)}, false positives {len(hf)}/{len(hn)}"
    )
    for s in sorted(set(blaming) - set(caught)):
        print(f"  missed: {s}")
    for s in flagged:
        print(f"  false positive: {s}")
    assert recall >= RECALL_AT_LEAST
    assert fp_rate <= FALSE_POSITIVES_AT_MOST


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("The intern forgot to renew the certificate.", "person_subject"),
        ("The new engineer ignored the alert.", "person_subject"),
        ("It was human error.", "human_error"),
        ("A careless change.", "careless"),
        ("That was negligent.", "negligent"),
        ("We should have waited.", "should_have"),
        ("They failed to page the DBA.", "failed_to"),
        ("Obviously the disk was full.", "obviously"),
        ("You simply restart it.", "simply"),
        ("Just roll it back.", "just"),
        ("If only we had a second replica.", "counterfactual"),
        ("Had they checked the prompt, nothing would be lost.", "counterfactual"),
        ("It was clear that the backups were broken.", "hindsight"),
    ],
)
def test_each_rule_fires_on_its_phrase(text, rule):
    assert rule in {f.rule for f in check_text(text)}


def test_a_user_name_as_subject_is_flagged_but_not_as_an_actor():
    names = ["Priya Nair", "Priya"]
    assert [f.rule for f in check_text("Priya deleted the wrong directory.", names=names)] == [
        "person_subject"
    ]
    assert check_text("Priya paged the database team at 22:00.", names=names) == []


def test_finding_has_span_reason_and_suggestion():
    text = "After the deploy, the intern forgot to restart the worker."
    (finding,) = check_text(text)
    assert text[finding.start : finding.end] == finding.text == "the intern forgot"
    assert finding.reason
    assert "system" in finding.suggestion or "the " in finding.suggestion


def test_time_and_system_uses_are_not_flagged():
    assert check_text("Just after 23:00 the replica stopped.") == []
    assert check_text("The backup job failed to upload its archive.") == []


def test_ordinary_first_words_of_display_names_are_not_names():
    names = names_from_users(
        [SimpleNamespace(display_name="The Admin"), SimpleNamespace(display_name="Mei Lin")]
    )
    assert "The" not in names
    assert "Mei" in names
    assert check_text("The deploy broke the login page.", names=names) == []
    assert [f.rule for f in check_text("Mei broke the login page.", names=names)] == ["person_subject"]
