"""Issue 17's eighth pass: own sentences over the families seen weak on the held-back halves (described by the
lead, not quoted), written before the parts they test and run once first: 30/48 blaming caught, 3/48 near
misses flagged (after the look-behind fix and the occupations of `scripts/build_role_nouns.py`, which the
role family was written just after; the other families before any change). By family when first run: role
and team subjects with a failure verb 10/12 caught, 0/12 flagged; states judged 5/10, 1/10; thanks and praise
for a failure 5/10, 0/10; credibility and doubt 2/8, 1/8; counterfactuals and hindsight about people 8/8,
1/8. None is from a corpus in `data/`. Three stayed wrong for the rules alone (a lower-case team name in prose, "to
ops"; "We can't count on the staging environment", read as a remark about us; "asleep at the wheel" said of a
health check), which the model's opinion puts right (`KNOWN_MISSES`, `KNOWN_FLAGGED`).
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text

# Wrong for the rules alone and right since the model's opinion is combined with them (a model hit for the
# first, a veto for the others; incidents/review/blameless/model.py); the training script leaves every KNOWN
# set out of the model's training, so these are sentences it has not seen.
KNOWN_MISSES = {"Congratulations to ops on our third outage this month."}
KNOWN_FLAGGED = {
    "We can't count on the staging environment to match production.",
    "The health check is asleep at the wheel: it only checks that the port is open.",
}

ROLE_BLAMING = [
    "The DBA caused the replication outage.",
    "The SRE introduced the bad retry setting.",
    "QA broke the staging data when they reloaded fixtures.",
    "The release engineer botched the cutover.",
    "Our network administrator misconfigured the firewall rule.",
    "The data scientist overwrote the production feature table.",
    "The product manager pushed an untested flag to everyone.",
    "The support agents ignored the spike in tickets for an hour.",
    "The security officer forgot to renew the certificate.",
    "The consultants deleted the backup bucket.",
    "The SWE on call skipped the canary.",
    "The project coordinator wiped the shared calendar of change windows.",
]

ROLE_NEUTRAL = [
    "The DBA restored the replica from the morning snapshot.",
    "The SRE paged the database team at 02:10.",
    "QA reported the regression two days before the release.",
    "The release engineer followed the cutover checklist step by step.",
    "Our network administrator opened a ticket with the carrier.",
    "The data scientist rebuilt the feature table from the raw events.",
    "The product manager postponed the launch until the fix shipped.",
    "The support agents posted a status update every thirty minutes.",
    "The security officer rotated every key that the leak could have touched.",
    "The consultants documented the backup layout for us.",
    "The query planner picked a sequential scan and the report timed out.",
    "The message broker dropped the oldest messages once the queue filled.",
]

STATE_BLAMING = [
    "The on-call team was asleep at the wheel while the queue grew.",
    "The platform team stayed completely silent while customers were down.",
    "The indifference of the infra team is why this dragged on.",
    "Their overreaction, restarting every node at once, turned a blip into an outage.",
    "The database team simply wasn't thinking when they ran the migration.",
    "Marta was half asleep and approved it anyway.",
    "The release manager's complacency let the broken build through.",
    "Ops went quiet for two hours during the worst of it.",
    "The networking team's apathy about alerts is the real problem.",
    "The developers were clueless about what the flag did.",
]

STATE_NEUTRAL = [
    "The disk alert was silent because its threshold was 99%.",
    "The pager stayed quiet because the integration token had expired.",
    "The team was asleep when the job started, as the rota planned: nobody was on shift for that region.",
    "The dashboard's indifference to the error budget is a design gap we will fix.",
    "The autoscaler overreacted to the spike and added forty nodes.",
    "The failover script wasn't thinking about replicas in other regions; it only checked the local one.",
    "Marta was off shift and asleep; the page went to her anyway because the rota was stale.",
    "The status page went quiet for two hours because its job crashed.",
    "The health check is asleep at the wheel: it only checks that the port is open.",
    "We were all uncertain what the flag did, because it had no description.",
]

THANKS_BLAMING = [
    "Thanks, Priya, for deleting the only copy of the config.",
    "Special thanks to the platform team for shipping a release that never started.",
    "Congrats to the mobile devs on crashing every Android phone in one release.",
    "Kudos to the DBA for taking the primary down in record time.",
    "Big shoutout to Jonas for his bold reinterpretation of the change freeze.",
    "Hats off to the networking team for skipping the review entirely.",
    "Congratulations to ops on our third outage this month.",
    "Thank you, QA, for signing off on a build that failed every test.",
    "A round of applause for the release manager, who merged it without reading it.",
    "Props to the backend team for breaking checkout in record time.",
]

THANKS_NEUTRAL = [
    "Thanks, Priya, for restoring the config from the backup within minutes.",
    "Special thanks to the platform team for shipping the rollback tooling that saved us.",
    "Congrats to the mobile devs on a crash-free release after last month's hard work.",
    "Kudos to the DBA for bringing the primary back in record time.",
    "Big shoutout to Jonas for writing the change-freeze calendar everyone used.",
    "Thanks to the networking team for staying on the bridge until the carrier fixed the link.",
    "Congratulations to the dashboards, which managed to show green during the whole outage.",
    "What a great Monday: the pager went off before the coffee was ready.",
    "Amazing how the one alert we needed was the one that was muted by default.",
    "The new deploy pipeline broke records today, in the worst way: eighty failed builds in an hour.",
]

TRUST_BLAMING = [
    "Nobody believes the security team's alerts any more, after last quarter.",
    "The database team has no credibility left after this.",
    "We can't count on the mobile team to test anything.",
    "The vendor's support team has burned through whatever trust we had.",
    "Ops have cried wolf so often that their pages get ignored.",
    "Frankly the backend team's estimates mean nothing now.",
    "After this, nobody will take the QA team's sign-off seriously.",
    "The platform team's word counts for very little these days.",
]

TRUST_NEUTRAL = [
    "Nobody believes the disk alert any more, because it fires every night during backups.",
    "The dashboard lost credibility when its numbers disagreed with the billing data.",
    "We can't count on the staging environment to match production.",
    "Trust in the deploy pipeline grew after we added the canary stage.",
    "The pager cried wolf so often that we tuned six alerts after this review.",
    "Our estimates for the migration were off because the table was twice the size we thought.",
    "Teams trusted the vendor status page, which showed green throughout.",
    "We will rebuild confidence in the backup job by testing a restore every week.",
]

COUNTERFACTUAL_BLAMING = [
    "The on-call engineer should have rolled back at the first error.",
    "It was obvious that the DBA needed to check the replica first.",
    "Any decent SRE would have noticed the disk filling.",
    "The networking team ought to have known the route would flap.",
    "If the release manager had read the diff, none of this would have happened.",
    "Clearly the developers should have tested the migration on a copy.",
    "It should have been obvious to Lena that the flag was global.",
    "Looking back, the support lead should never have closed those tickets.",
]

COUNTERFACTUAL_NEUTRAL = [
    "The alert should have fired at 80%, but its threshold was set to 99%.",
    "It was obvious from the dashboard afterwards that the replica had been lagging for an hour.",
    "In hindsight, the graphs showed the disk filling from 01:00.",
    "If the runbook had listed the replica check, the on-call would have done it first.",
    "The deploy tool should have refused a global flag without a second approval.",
    "Looking back, the logs showed the route flapping a day earlier.",
    "We should have a rollback button in the release page.",
    "The metrics made it clear, after the fact, that retries doubled the load.",
]

BLAMING = ROLE_BLAMING + STATE_BLAMING + THANKS_BLAMING + TRUST_BLAMING + COUNTERFACTUAL_BLAMING
NEUTRAL = ROLE_NEUTRAL + STATE_NEUTRAL + THANKS_NEUTRAL + TRUST_NEUTRAL + COUNTERFACTUAL_NEUTRAL


@pytest.mark.parametrize("sentence", BLAMING)
def test_a_blaming_sentence_of_the_eighth_round_is_flagged(sentence):
    assert check_text(sentence), sentence


@pytest.mark.parametrize("sentence", NEUTRAL)
def test_a_near_miss_of_the_eighth_round_is_left_alone(sentence):
    assert not check_text(sentence), [f.rule for f in check_text(sentence)]


def test_what_the_rules_alone_get_wrong_the_model_puts_right():
    for sentence in KNOWN_MISSES:
        assert not _rules_alone(sentence), sentence
        assert check_text(sentence), sentence
    for sentence in KNOWN_FLAGGED:
        assert _rules_alone(sentence), sentence
        assert not check_text(sentence), sentence


def _rules_alone(text: str) -> bool:
    from incidents.review.blameless import _names, parts

    return bool(parts.find(text, _names([])))


def test_the_new_parts_explain_themselves():
    for sentence, words in [
        ("The platform team stayed completely silent while customers were down.", "silent"),
        ("The database team has no credibility left after this.", "credibility"),
        ("Thanks, Priya, for deleting the only copy of the config.", "Thanks"),
    ]:
        (finding, *_) = check_text(sentence)
        assert words in finding.text + "".join(t for t, h in finding.context if h)
        assert finding.reason
        assert finding.suggestion
        assert "_" not in finding.label
