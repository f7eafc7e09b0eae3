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


# --- an ordinary act framed as THE cause ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Yusuf is the reason the nightly export never finished.",
        "Honestly, the release manager is why the rollout stalled for a day.",
        "Mira's config push is what knocked out the EU region.",
        "The DBA's index rebuild is why checkout timed out.",
        "Oskar rebooting the bastion host is what cut everyone off.",
        "The real culprit is the contractor's cutover script.",
        "Ana's the culprit, she rotated the key mid-deploy.",
        "The underlying cause is that someone bumped the pool size by hand.",
        "The root cause was that the on-call restarted both replicas at once.",
        "the intern deleted the namespace, that's the root cause",
        "Marta flipped the flag for everyone, and that was the incident.",
        "Proximate cause: the SRE drained the wrong node pool.",
        "Immediate cause: an engineer merged with a red build.",
    ],
)
def test_an_ordinary_act_framed_as_the_cause_is_fault(text):
    assert "fault" in rules(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Yusuf is the reason we caught the export bug before customers did.",
        "Mira's failover drill is what saved the EU region.",
        "The DBA's index rebuild is why checkout is fast again.",
        "The root cause is that the pool was sized for last year's peak.",
        "The root cause is that the on-call had no way to see the replica lag.",
        "The underlying cause is that the runbook told responders to restart both replicas.",
        "Oskar's runbook is what we followed all night.",
        "The TTL was set to a year, that's the root cause.",
        "Proximate cause: a retry storm from the mobile clients.",
        "Root cause analysis is owned by the platform team.",
        "Marta flipped the flag for everyone, and that was the fix.",
    ],
)
def test_credit_a_system_cause_or_a_gap_the_person_had_is_not_framed_as_blame(text):
    assert not flagged(text), text


def test_the_framed_cause_finding_explains_the_frame_and_asks_what_else_had_to_be_true():
    (f,) = [
        f for f in check_text("Yusuf is the reason the nightly export never finished.") if f.rule == "fault"
    ]
    assert "frames what a person did as the cause" in f.reason
    assert "What else had to be true" in f.suggestion
