"""A fifth round of own sentences (issue 17's sixth pass) over the five families weak on the sixth writer's
held-back half, written after the fourth round was generalised and run once before any further change:
ordinary acts 2/10 caught and 0/10 near misses flagged, systems 6/10 and 0/10, trust 6/10 and 0/10, "human
error" 10/10 and 1/10, judgement 8/10 and 1/10 (32/50 caught, 2/50 flagged). Ordinary acts tied to their
effect stay the weakest family on fresh sentences: each writer finds another way to tie them ("started with
Olga restarting", ", so every upload has failed since", "and we lost the audit trail"). The misses were
then generalised by class; one is kept as a known miss (a product's name that is also a given name). None
is from a corpus in `data/`.
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text

BLAMING = {
    "ordinary_action": [
        "Two minutes after Farah scaled the pool down, the API started timing out.",
        "The incident started with Olga restarting the wrong pod.",
        "Goran renamed the bucket, so every upload has failed since.",
        "Then Tomasz ran the cleanup job by hand and we lost the audit trail.",
        "Nadia approved her own change; by noon checkout was down.",
        "Because Aziz cleared the cache during peak, the database was swamped.",
        "The data was gone the moment the intern hit enter.",
        "Lena toggled the flag for all tenants instead of one.",
        "Wei edited the production config directly and the service crash-looped.",
        "Mateus kicked off the reindex without checking the disk, and the node filled up.",
    ],
    "system": [
        "The load balancer worked fine; Sami had drained the only healthy backend.",
        "Our alerting did fire, twice, and the on-call acknowledged both and did nothing.",
        "There was nothing wrong with the scheduler; someone had paused it and forgotten.",
        "Kafka was healthy the whole time, the consumer team just misread the lag graph.",
        "The canary caught the regression, but Imre promoted the release anyway.",
        "The backup job ran every night; nobody on the DBA team ever tried a restore.",
        "Redis only evicted the keys because the platform lead halved its memory.",
        "The database didn't fail, the analyst's runaway query did.",
        "Cloudflare served exactly what Hugo's rule told it to: nothing.",
        "The pipeline blocked the deploy and Rosa forced it through.",
    ],
    "trust": [
        "Going forward, Amir needs someone to review every query before it runs.",
        "The support team has earned a reputation for breaking prod.",
        "Let's not give the new SRE the root password again.",
        "Quentin shouldn't be anywhere near the billing database.",
        "Frankly, can we trust the infra team to run the next upgrade?",
        "Emma has proven she is not ready for the pager.",
        "Strip the contractors' admin role until they learn to follow the process.",
        "Nobody should let Bastian deploy on his own.",
        "We've lost confidence in the release team's judgement.",
        "Jun clearly can't be trusted with production access.",
    ],
    "human_error": [
        "Human error on the part of the on-call led to the data loss.",
        "The migration failed due to operator error.",
        "It was a simple oversight by the release manager.",
        "Once again, a user error by the finance team took down billing.",
        "This one is on human error, full stop.",
        "A typo by someone on the network team caused the routing loop.",
        "The investigation concluded that Ivo made an error.",
        "Root cause: the engineer's mistake.",
        "We traced the outage back to a slip-up by the DBA.",
        "PEBKAC again.",
    ],
    "judgement": [
        "Leaving the debug flag on in prod was sloppy work by Marta.",
        "The SRE team was complacent.",
        "Honestly, it was lazy of the contractor not to test the restore.",
        "Pavel's approach to change management is reckless.",
        "The handover from the day shift was careless at best.",
        "Only a fool would deploy without a rollback plan.",
        "That was incompetence, plain and simple.",
        "The on-call just didn't care enough to look.",
        "Bruno acted recklessly when he force-pushed to main.",
        "Our DBA was sloppy about the replication settings.",
    ],
}

NEUTRAL = {
    "ordinary_action": [
        "Two minutes after Farah scaled the pool up, the API recovered.",
        "The incident started with the nightly job restarting the wrong pod.",
        "Goran renamed the bucket, and the upload service was updated to the new name the same day.",
        "Then Tomasz ran the cleanup job by hand, as the runbook prescribes for a stuck queue.",
        "Nadia approved the change after two reviewers had signed off.",
        "Because Aziz cleared the cache before peak, the warm-up finished in time.",
        "The data was safe the moment the snapshot completed.",
        "Lena toggled the flag for one tenant to reproduce the bug.",
        "Wei edited the staging config and the tests passed.",
        "Mateus kicked off the reindex after checking the disk had 60% free.",
    ],
    "system": [
        "The load balancer drained the only healthy backend when its health check timed out.",
        "Our alerting fired twice, and both pages went to a rotation nobody was on.",
        "The scheduler paused itself after three failures, as designed.",
        "Kafka rebalanced the consumer group during the broker restart.",
        "The canary passed because the regression only shows under production traffic.",
        "The backup job ran every night but wrote to a bucket with a one-day retention.",
        "Redis evicted the keys when memory hit the configured limit.",
        "The database failed over when the primary's disk filled.",
        "Cloudflare cached the error page for four hours because of the default TTL.",
        "The pipeline allowed a forced deploy because the override flag had no approval step.",
    ],
    "trust": [
        "Going forward, every query against production goes through the query review tool.",
        "The support team earned a lot of goodwill with their customer updates.",
        "Let's rotate the root password and stop sharing it.",
        "Nobody should be able to reach the billing database from a laptop.",
        "Can we trust the upgrade script to be idempotent?",
        "Emma has been on the pager rotation since March.",
        "Contractors now get admin roles through the same approval flow as staff.",
        "No one deploys on their own any more: the pipeline needs a second approver.",
        "We've lost confidence in the staging environment as a test of scale.",
        "Production access now expires after eight hours for everyone.",
    ],
    "human_error": [
        "We looked past 'human error' to what made the command easy to mistype.",
        "The migration failed due to a lock timeout.",
        "The oversight board for changes meets on Tuesdays.",
        "A user error message now tells finance which field is wrong.",
        "Human error is not an acceptable root cause in this template.",
        "A typo in the routing template caused the loop.",
        "The investigation found that Ivo followed the runbook exactly.",
        "Root cause: the retry policy doubled the load.",
        "We traced the outage back to an expired certificate.",
        "The PEBKAC joke was removed from the incident template.",
    ],
    "judgement": [
        "Leaving the debug flag on in prod was possible because the flag has no expiry.",
        "The SRE team was stretched across three incidents.",
        "The restore test was skipped because the staging bucket was full.",
        "Pavel's approach to change management is documented in the wiki.",
        "The handover from the day shift had no written notes template.",
        "Deploying without a rollback plan was allowed by the pipeline.",
        "That was a gap in the tooling, plain and simple.",
        "The on-call didn't look because the alert went to the wrong channel.",
        "Bruno force-pushed to main after the branch protection was disabled for the migration.",
        "Our replication settings were copied from an old template.",
    ],
}


KNOWN_MISSES = {"Cloudflare served exactly what Hugo's rule told it to: nothing."}  # Hugo is also a product


def _cases(by_kind: dict[str, list[str]]) -> list:
    marks = pytest.mark.xfail(strict=True, reason="a given name that is also a product's name")
    return [
        pytest.param(t, id=f"{kind}: {t[:40]}", marks=marks if t in KNOWN_MISSES else ())
        for kind, texts in by_kind.items()
        for t in texts
    ]


@pytest.mark.parametrize("text", _cases(BLAMING))
def test_a_blaming_sentence_of_the_fifth_round_is_flagged(text):
    assert check_text(text), text


@pytest.mark.parametrize("text", _cases(NEUTRAL))
def test_a_near_miss_of_the_fifth_round_is_not(text):
    assert not check_text(text), (text, [(f.rule, f.text) for f in check_text(text)])
