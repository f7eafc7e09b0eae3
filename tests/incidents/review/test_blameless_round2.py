"""A second round of sentences over the fifth pass's families (trust and access, demotion, mock praise, a
failure pinned on a person, responsibility and reason, passives of damage, chat names, software operators),
written after `supervised.py`, `mocked.py` and `pinned.py` existed and run once before any change: 17/20
blaming caught and 2/20 near misses flagged. Its misses were then generalised by family (a rhetorical "can
we trust", "emptied" as a failure, "another weekend of pages", praise for keeping something up through an
outage, a Strimzi operator); none from a corpus in `data/`.
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text


@pytest.mark.parametrize(
    "text",
    [
        "Honestly, Beatriz shouldn't have deploy rights anymore.",
        "We should pull the night shift's access to the payment console.",
        "I'd want someone checking every migration Kwame writes.",
        "Can we really trust the infra team with the next cutover?",
        "The support engineers have lost all credibility after this week.",
        "Olu got benched from the release rota for a quarter.",
        "Cheers, Dmitri, for truncating the audit log.",
        "Fantastic effort by the data team, another wiped staging schema.",
        "The import only broke because the intern renamed the bucket.",
        "The cert expired because Ines ignored three renewal emails.",
        "The outage was a direct consequence of the SRE lead's shortcut.",
        "The mobile team is responsible for the crash loop on Monday.",
        "The reason the cache emptied was Pavel flushing it by hand.",
        "The firewall rules were trashed by the network contractor.",
        "lol grant wiped the wrong volume again",
        "mark deleted prod data and went to lunch",
        "Paging broke, and that was only because the on-call muted the service.",
        "Whoever approved that change is responsible for this mess.",
        "Revoke the contractor's admin rights before he breaks anything else.",
        "Thanks so much to the platform team for another weekend of pages.",
    ],
)
def test_a_blaming_sentence_of_the_second_round_is_flagged(text):
    assert check_text(text), text


@pytest.mark.parametrize(
    "text",
    [
        "We revoked everyone's standing admin rights and moved to short-lived grants.",
        "The deploy bot should not have write access to the release branch.",
        "Every migration needs a second approval, whoever writes it.",
        "We can't trust the lag metric during a failover, so we added a second signal.",
        "Olu moved off the release rota to work on the new pipeline.",
        "Cheers, Dmitri, for catching the truncated audit log before the export ran.",
        "Fantastic effort by the data team rebuilding the staging schema overnight.",
        "The import broke because the bucket was renamed by a lifecycle rule.",
        "The cert expired because the renewal emails went to an unmonitored alias.",
        "The outage was a direct consequence of the retry policy doubling traffic.",
        "The mobile team is responsible for the follow-up on the crash loop.",
        "The reason the cache emptied was an eviction policy set to all keys.",
        "The firewall rules were overwritten by the sync job from the old repo.",
        "grant the on-call group read access to the audit bucket",
        "mark the incident as resolved once the queue drains",
        "The Strimzi operator deleted the old broker pods during the upgrade.",
        "We recovered fast because the on-call rolled back within minutes.",
        "Nobody trusts the flaky canary, so its failures get retried.",
        "The team discussed whether 'human error' belongs in the cause field and agreed it does not.",
        "Kudos to the platform team for keeping the status page current through the outage.",
    ],
)
def test_a_near_miss_of_the_second_round_is_not(text):
    assert not check_text(text), (text, [(f.rule, f.text) for f in check_text(text)])
