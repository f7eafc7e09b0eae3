"""The classes generalised from the seventh writer's tuning half (issue 17's sixth pass), each with its own
blaming sentences and near misses written here for the class; none is from a corpus in `data/`, so a rule
that only fits a corpus sentence fails here. `caused.py` (what a person's act set off, a mistake with its
author, judged work as the agent, owning the failure), `remarks.py` (a person's record, reliance and rights,
regret of trust, disbelief, feelings as the reason, sarcasm at a person, lines as punishment) and the
neutral side they sit beside. Written after the classes existed and run once before any further change:
25/27 blaming caught, 1/34 near misses flagged; the three were then generalised ("that's why" before a
500, a fronted cause whose outcome "came back empty", "thoughtful of <person> to" before an act of help).
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text

BLAMING = [
    # the act, then what it set off
    "Grete restarted the broker, which is why the consumers lost their offsets.",
    "Tobias pushed the schema change and that's why the API started returning 500s.",
    "The contractor flipped the default, triggering a flood of retries.",
    # a failure that began when a person acted; a sentence that opens with the act
    "Because Luis truncated the audit table, the compliance export came back empty.",
    "After Mina edited the routing table, the branch offices went dark.",
    # judged work or decisions as the agent; owning the failure
    "The data loss was caused by sloppy scripting from the migration team.",
    "The outage was prolonged by bad calls on the incident bridge.",
    "She merged it without a review, so she owns this mess.",
    "The cluster fell over thanks to whoever cordoned every node.",
    # a person's record; reliance and rights; regret of trust
    "Considering Omar's history with the billing service, someone else should take the migration.",
    "Honestly, the night shift can't be counted on to escalate.",
    "Nobody on platform trusts Wen's capacity numbers after this.",
    "We let the new contractor run the failover, and look what happened.",
    # disbelief at a person; feelings as the reason
    "How did the reviewer not see that the migration drops a column?",
    "Even a first-year student would have known to test the restore.",
    "He turned off the disk alert because he found it annoying.",
    # sarcasm aimed at a person; lines as punishment
    "The release crew are absolute geniuses, clearly.",
    "Hats off to whoever hot-fixed the payments service directly in prod.",
    "Really thoughtful of the DBA to drop the index at peak.",
    "Maybe Ilse should copy 'always run the dry run' a thousand times.",
    # passives, the procedure not followed, a task blown
    "The replica was left to rot by the people assigned to it.",
    "The migration was kicked off by Joao without any testing.",
    "The runbook was clear and Hugo still didn't follow it.",
    "Rafa blew the cutover again.",
    # learning asked of one person; judgement words on a person
    "The fix is for the on-call to do better.",
    "We finally swapped out the bumbling release manager.",
    "Irresponsible of the DBA to skip the backup.",
]

NEUTRAL = [
    "Grete restarted the broker, which cleared the stuck consumer group.",
    "Tobias ran the backfill job, which rewrote more rows than expected.",
    "The outage began when the on-call noticed the error spike and paged the database team.",
    "The deploy failed when the runner ran out of disk.",
    "Because Luis rolled back quickly, the errors stopped within a minute.",
    "After Mina edited the routing table, the branch offices moved to the new uplink as planned.",
    "The parse failure was caused by an error from the YAML loader.",
    "It was not a mistake by the on-call; the alert pointed at the wrong host.",
    "The outage was caused by a bad certificate chain from the vendor.",
    "The storage team owns the incident review and the follow-up items.",
    "The cluster fell over when the cron started draining every node.",
    "Given the disk array's track record, we replaced it before the sale.",
    "The replica lag metric can't be relied on during a failover.",
    "Nobody trusts the flaky smoke test, so it is being rewritten.",
    "We upgraded the ingress controller, and this is what we got: a 30% drop in p99 latency.",
    "How could the canary not have caught a 500 on the payment path?",
    "Even a first-year student can run the failover now that it is one command.",
    "The on-call muted the disk alert because it had fired forty times that week.",
    "The new autoscaler is a real genius at bin-packing.",
    "Hats off to the network team for the staged rollout; not a single customer noticed.",
    "It was thoughtful of the DBA to post the plan before starting.",
    "We wrote the health check to retry ten times before failing.",
    "The replica was rebuilt by the people assigned to it.",
    "The runbook was clear, and the load balancer did not follow the new weights until a reload.",
    "The traffic manager moved load off the failing region within seconds.",
    "We should have a dry-run flag on the cleanup script.",
    "Obviously the CLI should confirm before deleting a cluster; that prompt ships next week.",
    "Hindsight bias makes the early signal look obvious; at the time it was one line in a busy log.",
    "Operator error counts were removed from the monthly dashboard.",
    "human error isn't an explanation, what made the wrong tenant look right?",
    "The team no longer uses 'human error' in the cause field.",
    "The default retry budget was a reckless choice for a payment client.",
    "It turned out the scheduler ignored the new cron expression.",
    "Whoever is on call holds the break-glass credentials for that week.",
]


@pytest.mark.parametrize("text", BLAMING)
def test_a_blaming_sentence_of_the_seventh_writer_classes_is_flagged(text):
    assert check_text(text), text


@pytest.mark.parametrize("text", NEUTRAL)
def test_a_near_miss_of_the_seventh_writer_classes_is_not(text):
    assert not check_text(text), (text, [(f.rule, f.text) for f in check_text(text)])


def test_a_remark_names_its_words_and_says_why_without_rule_ids():
    (finding,) = check_text(
        "Considering Omar's history with the billing service, someone else should take it."
    )
    assert finding.label == "A remark on trust or competence"
    assert "history" in finding.reason
    assert "_" not in finding.reason
    assert finding.suggestion.startswith('"What safeguard')
