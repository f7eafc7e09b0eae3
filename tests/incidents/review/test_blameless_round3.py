"""A third round of own sentences (issue 17's sixth pass), over classes generalised from what the fifth
writer's tuning half still missed: a person named as the cause through "whoever" or a relative clause, rights
lost, competence with a plural object, probation, a system's failure pinned on a person ("evicted ... because
she set"), responsibility for a gerund of damage, mock praise for damage, blame that "lies with" a person,
learning asked of one person, "because of <person>", praise for a risky practice; and beside each the
neutral near miss. None is from a corpus in `data/`. Written after the classes existed and run once before
any further change: 19/21 blaming caught, 0/21 near misses flagged; the two ("isn't going anywhere near
... again", "locking the whole office out") were then generalised.
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text

BLAMING = [
    "The load balancer fell over, but the real culprit was whoever edited the pool weights.",
    "The root cause was whoever disabled the health check.",
    "Since Tuesday, Priyanka has lost her prod access.",
    "The SRE who restarted both primaries is the reason replication broke.",
    "The payments team can't write migrations.",
    "The build broke, but only because the mobile devs can't configure pipelines.",
    "Ossian isn't going anywhere near the DNS zone again.",
    "The data team stays read-only until they prove they can handle it.",
    "The scheduler evicted the batch jobs, but only because he set the quotas far too low.",
    "The platform team is responsible for checkout being down on Monday.",
    "The network team is responsible for locking the whole office out of the VPN.",
    "A round of applause for the storage team, who brought billing to its knees.",
    "Gold star to the release crew for snapshots that contained absolutely nothing.",
    "Blame for the lost orders lies squarely with Fenna.",
    "The failover was bungled by the night shift.",
    "Devs like Kaito need to understand that a schema change is not a hotfix.",
    "Ximena should go through the deploy training again.",
    "Somebody needs to teach Arvid how retries work.",
    "The queue backed up because of Leopold.",
    "Brilliant thinking by the release team, deploying during the freeze.",
    "Well done to whoever decided the migration didn't need a backup.",
    # added after the round, with the classes that followed it
    "The reason the import failed is that the data team can't write a schema.",
    "The reason we had no alerting is the platform team.",
    "The duty SRE is responsible for the two hours of silence on the bridge.",
    "The release slipped because the PM was too disorganised to book the window.",
    "Our release manager never reads the rollout checklist.",
]

NEUTRAL = [
    "The load balancer fell over, but the real cause was the pool weights file the sync job rewrote.",
    "The root cause was a health check that passed while the database was read-only.",
    "Since Tuesday, Priyanka has lost access to the VPN because of a laptop swap.",
    "The SRE who restarted both primaries is the reason we recovered in minutes.",
    "The migration tool can't handle a renamed column.",
    "The build broke, but only because the runner image can't configure pipelines with nested includes.",
    "The DNS zone now goes through review, whoever edits it.",
    "New data engineers stay read-only for their first week, by policy.",
    "The scheduler evicted the batch jobs when the node ran out of memory.",
    "The platform team is responsible for the checkout runbook and the follow-up items.",
    "The network team is responsible for locking the server room.",
    "A round of applause for the storage team, who brought billing back in ten minutes.",
    "Gold star to the release crew for snapshots that restored cleanly in the drill.",
    "Blame for the lost orders does not lie with any one person; the retry had no idempotency key.",
    "The failover was started by the night shift at 02:10, as the runbook says.",
    "We need to understand how the purge API rate-limits us.",
    "All new hires go through the deploy training in their first month.",
    "Arvid taught the new hires how retries work.",
    "The queue stayed healthy because of Leopold's early rollback.",
    "Brilliant thinking by the release team, deploying before the freeze with a tested rollback.",
    "Great work on the backup procedure, Fenna; it restored everything in twenty minutes.",
    "The reason we page the primary first is that they hold the most context.",
    "The reason we had no alerting is that the exporter was never deployed to that region.",
    "The duty SRE is responsible for the bridge and the status page.",
    "The release slipped because the change window was booked by another team.",
    "The rollout tool never reads the checklist; it only checks the version.",
]


@pytest.mark.parametrize("text", BLAMING)
def test_a_blaming_sentence_of_the_third_round_is_flagged(text):
    assert check_text(text), text


@pytest.mark.parametrize("text", NEUTRAL)
def test_a_near_miss_of_the_third_round_is_not(text):
    assert not check_text(text), (text, [(f.rule, f.text) for f in check_text(text)])
