"""A fourth round of own sentences (issue 17's sixth pass) over the five families weak on the sixth writer's
held-back half (ordinary acts, systems as subjects, trust, "human error", judgement), in other registers
(chat, formal report prose, timeline notes), written after every part of the pass existed and run once
before any further change: ordinary acts 2/12 caught and 0/12 near misses flagged, systems 6/12 and 0/12,
trust 10/12 and 1/12, "human error" 8/12 and 1/12, judgement 8/12 and 0/12 (34/60 caught, 2/60 flagged:
ordinary acts tied to a failure by coordination, a timeline or a fronted clause were the weakest). None is
from a corpus in `data/`. The misses were then generalised by class (`caused.py`: the next clause a system
failing, "right after <person> ...", a timeline in the present, a system that did what a person gave it, a
fault said to be a person's; `remarks.py`: competence put as a question, care a person lacked as the remedy).
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text

BLAMING = {
    "ordinary_action": [
        "ok so mehmet ran the reindex on prod at lunch and search died",
        "The engineer on duty applied the patch to all regions at once, and every region went down with it.",
        "Kofi merged his own PR at 6pm Friday; the weekend pages followed.",
        "The analyst's ad-hoc query locked the orders table for forty minutes.",
        "Yuki changed the TTL to zero and walked away.",
        "Checkout was fine until Lior touched the feature flags.",
        "The outage traces back to Dario running the seed script against production.",
        "Niamh deployed over the top of a running migration.",
        "The contractor rebooted the wrong host, taking the primary down with it.",
        "Right after Bjorn rotated the keys, every client started failing auth.",
        "She clicked through three warnings to run the destroy.",
        "Per the timeline, the first errors appear the minute Aditi pushes her config change.",
    ],
    "system": [
        "The autoscaler behaved exactly as configured; Hana had capped it at three nodes.",
        "Vault did its job and denied the request; the outage came from Pedro hard-coding the old token.",
        "There was nothing wrong with the CDN, the web team just never purged it.",
        "Prometheus fired the alert on time, and the on-call slept through it.",
        "Terraform printed the destroy plan in red, and Ines applied it anyway.",
        "The retry storm started because the backend team set the timeout to one millisecond.",
        "GitHub Actions ran what Rowan committed: a workflow that deleted the cache bucket.",
        "The deploy pipeline is fine; the problem is engineers skipping it.",
        "Postgres held up; the DBA's manual vacuum is what stalled writes.",
        "The circuit breaker tripped only because the SRE hand-edited its thresholds.",
        "The firewall change was pushed by Emil without a ticket, and payments stopped.",
        "Jenkins flagged the failing tests, but the release manager overrode the gate.",
    ],
    "trust": [
        "Honestly I wouldn't trust Gideon with a staging deploy, let alone prod.",
        "Until further notice, every change Mirela makes needs a second approver.",
        "The offshore vendor has shown they can't be trusted with production credentials.",
        "Revoke Sunil's sudo on the database hosts.",
        "We can no longer rely on the mobile team to test their own releases.",
        "Is the night shift even capable of handling a failover?",
        "Someone has to babysit the interns during deploys from now on.",
        "Taking Clara off the on-call rotation should be an action item.",
        "After this, nobody is going to let the data team near the warehouse config.",
        "I've lost faith in Benedikt's code reviews.",
        "The junior devs clearly aren't ready for write access to prod.",
        "Petra should not be running migrations unsupervised.",
    ],
    "human_error": [
        "Root cause: human error (typo in the region name).",
        "This incident was the result of an operator mistake.",
        "The failure was ultimately down to a slip by the on-call engineer.",
        "Classic fat-finger from ops.",
        "Contributing factor: user error by the support agent.",
        "Plain and simple, Hamid made a mistake.",
        "The loss of data was caused by a mistake on the DBA's part.",
        "We've filed this one under human error.",
        "It's a people problem, not a tooling problem.",
        "The error was Greta's, and she has owned it.",
        "At the end of the day somebody typed the wrong command.",
        "Cause category: operator error.",
    ],
    "judgement": [
        "The rollback was handled sloppily by the release engineer.",
        "That was a careless thing for Ruben to do.",
        "Frankly, the platform team has been lazy about patching.",
        "Anton's decision to skip the canary was reckless.",
        "The way the on-call handled the escalation was unprofessional.",
        "Carmen was negligent in leaving the bucket public.",
        "It beggars belief that the SRE didn't check the backups.",
        "Nobody with any sense would restart all three brokers together.",
        "Selim showed a shocking lack of care with the customer data.",
        "The security team were arrogant enough to think a firewall rule couldn't break payroll.",
        "A bit of common sense from the DBA would have prevented this.",
        "Honestly the migration plan from the data team was half-baked.",
    ],
}

NEUTRAL = {
    "ordinary_action": [
        "ok so mehmet ran the reindex on prod at lunch and search latency dropped",
        "The engineer on duty applied the patch to one region first, as the runbook says.",
        "Kofi merged the fix at 18:02 and the error rate fell by 18:05.",
        "The analyst's query ran against the read replica, as intended.",
        "Yuki lowered the TTL a day before the cutover.",
        "Checkout recovered after Lior turned off the new flag.",
        "Dario ran the seed script against staging to reproduce the bug.",
        "Niamh paused the migration before deploying the hotfix.",
        "The contractor rebooted the bastion host to apply the kernel update.",
        "Right after Bjorn rotated the keys, the old ones were revoked on schedule.",
        "She clicked through the console to find the destroy plan and shared it in the channel.",
        "Per the timeline, Aditi pushes her config change at 14:01 and the canary passes at 14:09.",
    ],
    "system": [
        "The autoscaler hit its configured maximum of three nodes and stopped adding capacity.",
        "Vault denied the request because the token had expired mid-deploy.",
        "The CDN kept serving stale pages because the purge API returned 429s.",
        "Prometheus fired the alert on time, but the pager app had been logged out by an OS update.",
        "Terraform printed the destroy plan inside a 4,000-line diff, where it was easy to miss.",
        "The retry storm started when the client library's default timeout dropped to one millisecond.",
        "GitHub Actions ran a cached workflow that deleted the bucket.",
        "The deploy pipeline skipped the integration stage because of a misconfigured path filter.",
        "Postgres stalled writes during the autovacuum of the orders table.",
        "The circuit breaker tripped when error rates crossed its default threshold.",
        "The firewall sync job pushed an empty rule set, and payments stopped.",
        "Jenkins marked the flaky tests as passed after three retries.",
    ],
    "trust": [
        "We trust the canary analysis more than the manual smoke test now.",
        "Every production change now needs a second approver, whoever makes it.",
        "The vendor's API can't be trusted to return consistent pagination.",
        "Revoke the shared sudo account on the database hosts and move everyone to named accounts.",
        "We can no longer rely on the staging data to reflect production volumes.",
        "Is the failover runbook even usable at 3am?",
        "New hires shadow two deploys before running one.",
        "Clara asked to come off the on-call rotation for parental leave.",
        "The data team now applies warehouse config through CI instead of by hand.",
        "I've lost faith in the nightly backup report since it showed green during the outage.",
        "Junior devs get write access to prod after the on-call training, like everyone else.",
        "Migrations now run through the pipeline, not from laptops.",
    ],
    "human_error": [
        "We don't use 'human error' as a root cause.",
        "The typo in the region name was accepted because the CLI doesn't validate regions.",
        "The console made it easy to pick the wrong environment.",
        "Why did a single typo reach production without a check?",
        "The form accepted user input that the API later rejected.",
        "Hamid found the mistake in the alert query and fixed it.",
        "The DBA's runbook had an error in step four.",
        "The error budget for search was spent by Wednesday.",
        "Calling this operator error would hide that the script ran without confirmation.",
        "Greta's review caught two errors in the migration plan.",
        "Somebody typed the wrong command because the two clusters had the same prompt.",
        "The operator error dashboard was retired in favour of per-step failure counts.",
    ],
    "judgement": [
        "The rollback script is sloppy about cleaning up temp files.",
        "Careless defaults in the chart let the replica count go to one.",
        "The patching process has been lazy: no schedule and no owner.",
        "Skipping the canary made sense with the signal the dashboard showed.",
        "The escalation policy was unclear about who pages the DBA.",
        "The bucket was public because the template defaulted to public-read.",
        "It is surprising that the backup job never alerted on failure.",
        "Restarting all three brokers together is what the upgrade guide recommends.",
        "The customer data export has no access logging.",
        "The security team was confident the firewall rule was safe because the test environment had no payroll traffic.",
        "A restore drill would have shown the backups were empty.",
        "The migration plan was half-finished when the freeze started.",
    ],
}


def _cases(by_kind: dict[str, list[str]]) -> list:
    return [pytest.param(t, id=f"{kind}: {t[:40]}") for kind, texts in by_kind.items() for t in texts]


@pytest.mark.parametrize("text", _cases(BLAMING))
def test_a_blaming_sentence_of_the_fourth_round_is_flagged(text):
    assert check_text(text), text


@pytest.mark.parametrize("text", _cases(NEUTRAL))
def test_a_near_miss_of_the_fourth_round_is_not(text):
    assert not check_text(text), (text, [(f.rule, f.text) for f in check_text(text)])
