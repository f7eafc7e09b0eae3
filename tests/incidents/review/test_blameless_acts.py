"""A sixth pass's own sentences (issue 17) for two families weak on a held-back half: ordinary acts of a
person, blaming when the act is made the cause of the failure or set beside a broken duty, neutral when
it is only what the person did; and systems as subjects, neutral when the system is what acted (people's
verbs on systems, products named like people), blaming when a system is cleared so a person is left as the
cause, or the system's failure is put on a person. Written for the families, none from a corpus in `data/`,
and run once before any change: ordinary acts 13/21 blaming caught and 1/21 near misses
flagged; systems 17/20 caught and 0/22 flagged. `KNOWN_MISSES` holds what is still wrong.
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text

ACT_BLAMING = [
    "The outage started the moment Tariq restarted the primary.",
    "Checkout went down because Noor rolled out the new config.",
    "Ingrid pushed the change on a Friday evening and went home.",
    "Lukas ran the cleanup script against production instead of staging.",
    "The on-call silenced the disk alert and went back to sleep.",
    "Because Femi merged without waiting for CI, the build shipped broken.",
    "What caused this? Helga clicked 'delete' on the wrong cluster.",
    "The migration failed after Sven kicked it off during peak traffic, against the guidance.",
    "The SRE just restarted everything instead of looking at the logs.",
    "Paolo rebooted the router, and that's what took the office offline.",
    "Ahmed deployed straight to prod without telling anyone.",
    "Our DBA dropped the table while the app was still writing to it.",
    "The release went out broken because the developer skipped the canary.",
    "It all went wrong when Kasia changed the DNS TTL.",
    "Rohan copied the config from an old ticket and applied it, which wiped the routes.",
    "The incident began when the contractor unplugged the wrong server.",
    "Quinn approved the PR in two minutes and it broke billing.",
    "Someone ran terraform apply from their laptop and destroyed the VPC.",
    "Mateo turned the feature flag on for everyone at once, causing the spike.",
    "Data was lost because the analyst ran the delete query without a WHERE clause.",
    "The engineer closed the incident while customers were still seeing errors.",
]

ACT_NEUTRAL = [
    "Tariq restarted the primary at 02:14, and writes resumed a minute later.",
    "Noor rolled out the new config to the canary region first, as planned.",
    "Ingrid pushed the fix at 18:05 and watched the error rate fall.",
    "Lukas ran the cleanup script against staging to test the new filter.",
    "The on-call acknowledged the disk alert and opened a ticket for the storage team.",
    "Femi merged the revert once CI passed.",
    "Helga clicked through the console to confirm the cluster's state.",
    "Sven started the migration at 09:00, and it failed when the lock timeout was hit.",
    "The SRE restarted the pods, which cleared the stuck connections.",
    "Paolo rebooted the router to apply the firmware update, and the office was offline for four minutes as planned.",
    "Ahmed deployed the hotfix to production after the incident channel agreed.",
    "Our DBA dropped the unused index during the maintenance window.",
    "The developer skipped the canary because the pipeline marks hotfixes as canary-exempt.",
    "Kasia lowered the DNS TTL a day ahead so the cutover would propagate fast.",
    "Rohan applied the config from the runbook, and the routes were rebuilt from it.",
    "The contractor swapped the failed disk, and the array started rebuilding.",
    "Quinn reviewed and approved the PR after the tests passed.",
    "Someone on the platform team ran terraform plan to see the drift.",
    "Mateo turned the feature flag on for 5% of users and watched the dashboards.",
    "The analyst exported the query results and shared them in the channel.",
    "The engineer closed the incident after the error rate had been flat for an hour.",
]

SYSTEM_BLAMING = [
    "The load balancer did its job; Marta sent all the traffic to one pool.",
    "Nothing was wrong with Kafka, the consumer lag came from Dev's hand-edited offsets.",
    "The pipeline only failed because the release engineer had disabled the tests.",
    "The alerting worked perfectly, the on-call just didn't look at it.",
    "Vault was fine; Hiro leaked the token in a screenshot.",
    "The scheduler ran as designed, it was Aiko who set the cron to every minute.",
    "The database held up until the DBA's rushed index change.",
    "The autoscaler couldn't keep up because the platform team capped it at two nodes without telling anyone.",
    "Postgres didn't fail; the engineer who ran VACUUM FULL at noon did.",
    "The deploy bot did what it was told; the person who told it was wrong.",
    "Jenkins built exactly what Callum pushed, broken tests and all.",
    "The firewall blocked payments because Oren fat-fingered the rule.",
    "The backups existed, but the ops lead never bothered to test a restore.",
    "Redis evicted the sessions after Bianca set maxmemory to 100MB on a whim.",
    "The CDN served stale pages because the web team forgot to purge it.",
    "The monitoring caught it; the SRE on shift ignored three pages.",
    "Our deploy tool is fine, it's the developers who keep bypassing it.",
    "The certificate renewal job failed because Nils deleted its service account.",
    "The cluster went down, thanks to whoever drained every node at once.",
    "Terraform warned about the destroy, and Ola approved it anyway.",
]

SYSTEM_NEUTRAL = [
    "The load balancer sent all traffic to one pool after a health check misfired.",
    "Kafka rebalanced the consumer group twice, which doubled the lag.",
    "The pipeline skipped the tests because the cache key matched an old build.",
    "The alerting system ignored the disk warning because its threshold was set at 99%.",
    "Vault refused the token after its TTL expired mid-deploy.",
    "The scheduler decided to run both jobs at once after the clock change.",
    "The database forgot its replication slot after the restart.",
    "The autoscaler gave up after hitting the node quota.",
    "Postgres chose a sequential scan once the statistics went stale.",
    "The deploy bot misread the branch name and released the wrong tag.",
    "Jenkins failed the build when the agent ran out of disk.",
    "The firewall blocked payments because the rule sync job dropped a CIDR.",
    "The backup job reported success even though the archive was empty.",
    "Redis evicted the sessions when memory crossed the limit.",
    "The CDN kept serving stale pages because the purge API timed out.",
    "The monitoring missed the outage because the probe ran from inside the same region.",
    "Ansible happily applied the old playbook to all hosts.",
    "The certificate renewal job failed silently when its DNS challenge timed out.",
    "Kubernetes killed the pods for exceeding their memory limit, as configured.",
    "Terraform planned a destroy because the state file was out of date.",
    "Dependabot opened forty pull requests overnight and filled the CI queue.",
    "Celery lost track of the tasks when the broker restarted.",
]

KNOWN_MISSES = {  # still wrong after the classes were generalised
    "The developer skipped the canary because the pipeline marks hotfixes as canary-exempt.",
}


def _cases(texts: list[str]) -> list:
    return [pytest.param(t, marks=pytest.mark.xfail(strict=True)) if t in KNOWN_MISSES else t for t in texts]


@pytest.mark.parametrize("text", _cases(ACT_BLAMING + SYSTEM_BLAMING))
def test_a_blaming_act_or_system_sentence_is_flagged(text):
    assert check_text(text), text


@pytest.mark.parametrize("text", _cases(ACT_NEUTRAL + SYSTEM_NEUTRAL))
def test_a_neutral_act_or_system_sentence_is_not(text):
    assert not check_text(text), (text, [(f.rule, f.text) for f in check_text(text)])


def test_an_act_tied_to_what_it_set_off_is_explained_in_plain_words():
    (finding,) = check_text("Quinn approved the PR in two minutes and it broke billing.")
    assert finding.label == "Fault pinned on someone"
    assert finding.reason.startswith('"Quinn approved')
    assert "ordinary" in finding.reason
    assert "_" not in finding.reason
    assert finding.suggestion.startswith('"What made this step look safe')
