"""A sixth pass's own sentences (issue 17) for three families weak on a held-back half: trust and
readiness of a person (blaming when aimed at one person or team, neutral as policy for everyone or about a
signal); "human error" as the cause (blaming when the label or a mistake is the explanation, neutral when
the term is discussed or the mistake is explained by the system); judgement of a person's character,
care or competence (blaming when aimed at a person or a person's act, neutral when aimed at a thing or
when it credits). Written for the families, none from a corpus in `data/`, and run once before any
change: trust 12/20 blaming caught and 0/20 near misses flagged; "human error" 14/20 caught and 1/20
flagged; judgement 17/20 caught and 1/20 flagged. `KNOWN_MISSES` holds what is still wrong.
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text

TRUST_BLAMING = [
    "We can't let Yara near the production database again.",
    "I don't trust the new hire with deploys yet.",
    "Frankly the QA team can't be relied on to catch anything.",
    "Karim has lost the right to approve his own changes.",
    "From now on someone senior has to sign off on everything Jonas does.",
    "The offshore team shouldn't be allowed to touch the billing service.",
    "Take Ruth off the pager until she proves herself.",
    "Nobody on the team trusts Diego's estimates anymore.",
    "After this, the data team has no credibility left with us.",
    "Leila is clearly not ready to run incidents on her own.",
    "We gave the interns prod access and this is what we got.",
    "Should Ben really still be an approver after this?",
    "The contractor can no longer be trusted with root.",
    "Keep an eye on Mo's next few deploys.",
    "Milo needs supervision whenever he touches the network config.",
    "Trusting the junior dev with the migration was our first mistake.",
    "Honestly, I wouldn't let the mobile team ship on a Friday ever again.",
    "Ana's admin rights should be reviewed, given her track record.",
    "We relied on Theo and he let us down.",
    "The on-call engineer was not qualified to handle a database failover.",
]

TRUST_NEUTRAL = [
    "We can't let any single person reach the production database without a second approval.",
    "We don't trust the staging replica for load tests, its data is too small.",
    "The QA checks can't be relied on for the payment path, so we added contract tests.",
    "Nobody approves their own changes any more: the merge rule now requires a second reviewer.",
    "From now on every schema change needs two approvals, from anyone on the team.",
    "Access to the billing service now goes through a just-in-time grant for everyone.",
    "Ruth asked to come off the pager for a week while she moves house.",
    "The team trusts the burn-rate alert more than the raw error count.",
    "The status page lost credibility with customers because it stayed green during the outage.",
    "Leila ran her first incident on her own, with the runbook and a shadow.",
    "The interns get read-only prod access through the new role.",
    "Ben volunteered to stay an approver and to pair on the next release.",
    "Root access is now limited to the break-glass account.",
    "We'll keep an eye on the disk growth for the next few days.",
    "New on-call engineers shadow two shifts before taking the pager.",
    "We trusted the migration tool's dry run, which did not cover triggers.",
    "Nobody should have to ship on a Friday to hit a deadline.",
    "All admin rights are reviewed every quarter, by policy.",
    "We relied on a single DNS provider and it had an outage.",
    "The failover runbook did not say which checks the on-call needed before promoting.",
]

HUMAN_ERROR_BLAMING = [
    "This was a simple human error by the on-call.",
    "Root cause: operator error.",
    "Classic PEBKAC, the dev pointed the script at prod.",
    "Sofia made a mistake and the cluster went down.",
    "At the end of the day, someone screwed up.",
    "The data loss was down to a typo by Gianni.",
    "It was a careless slip by the release manager.",
    "The DBA's error cost us four hours of writes.",
    "Human error on Arjun's part caused the cache stampede.",
    "This one's a user error: the admin typed the wrong tenant ID.",
    "The incident boils down to a fat finger from the network engineer.",
    "We traced it to a mistake made by the support team.",
    "Paula messed up the rollout order.",
    "It was the engineer's fault, not the tooling's.",
    "Cause: a human mistake during the manual failover.",
    "The release failed because of a blunder by the deployer.",
    "Tomas got the command wrong and wiped the cache.",
    "Another human error from the night shift.",
    "The outage was entirely the result of a mistake by Chen.",
    "We're calling this human error, since Eva picked the wrong region.",
]

HUMAN_ERROR_NEUTRAL = [
    "We stopped using 'human error' as a root cause in our reports.",
    "The form accepted a tenant ID that did not exist, so one typo reached production.",
    "Typing the wrong cluster name was easy because both prompts looked the same.",
    "What made the mistyped command look right at the time?",
    "The script has no dry-run mode, so a wrong path deletes files at once.",
    "The review flagged 'operator error' in the draft and asked what the operator could see.",
    "A typo in the config file went unnoticed because the linter ignores YAML anchors.",
    "Error budgets for the checkout service were exhausted by Tuesday.",
    "The error rate rose to 12% when the cache emptied.",
    "Mistakes are expected, so the tooling should make them cheap to undo.",
    "The console puts 'delete' and 'detach' side by side in the same colour.",
    "Sofia spotted the error in the config and rolled it back.",
    "Gianni fixed a typo in the alert message.",
    "The user error page now explains what to try next.",
    "Calling this a fat finger would hide that the CLI accepted a bare wildcard.",
    "The wrong region was picked because the default in the deploy tool is us-east-1.",
    "The manual failover has eleven steps and no checklist.",
    "The deployer's screen showed the old version number, which looked correct.",
    "The investigation found no single mistake; several small gaps lined up.",
    "Chen's query returned an error because the replica was still catching up.",
]

JUDGEMENT_BLAMING = [
    "Honestly, Rafael was being lazy.",
    "The on-call was sloppy with the rollback.",
    "That was a reckless call by the incident commander.",
    "Kofi doesn't care about quality.",
    "It was naive of the team to think the cache would hold.",
    "The platform team was arrogant about the load test.",
    "Priya clearly didn't think it through.",
    "What Hugo did was inexcusable.",
    "The devs were careless with the secrets file.",
    "Stefan's decision to skip the review was foolish.",
    "Ivana is not competent enough to own the payments service.",
    "The architect's design was lazy thinking.",
    "The release manager was asleep at the wheel.",
    "Clearly the SRE team didn't take the alert seriously.",
    "Lars showed a total lack of judgement.",
    "It was a dumb move to restart both nodes together, Emre.",
    "The security team's handling of the key rotation was amateurish.",
    "Nadia should know better by now.",
    "Such an obvious mistake for someone as senior as Greg.",
    "The backend devs were complacent about the disk warnings.",
]

JUDGEMENT_NEUTRAL = [
    "The retry logic was lazy about backoff.",
    "Our runbook for rollbacks is sloppy and out of date.",
    "The default timeout was a reckless choice for a payment call.",
    "The API doesn't care about the order of the fields.",
    "The capacity model was naive: it assumed traffic grows linearly.",
    "The load test plan was overconfident about peak traffic.",
    "The design doc did not think through the failure of the second region.",
    "Skipping the review was allowed by the repository settings.",
    "The secrets file was world-readable because of the default umask.",
    "The decision to skip the review made sense with the information on the dashboard.",
    "The payments service has no owner listed in the catalogue.",
    "The design was simple on purpose, to ship before the sale.",
    "The release checklist does not say who watches the canary.",
    "The alert was not treated as urgent because it fires every day.",
    "Lars made the call to fail over, and it held.",
    "Restarting both nodes together is what the runbook said to do.",
    "The key rotation procedure is amateurish: a wiki page and a shell script.",
    "Nadia knows the billing system better than anyone and walked us through it.",
    "Greg is a senior engineer on the storage team.",
    "The disk warnings had fired so often that everyone had learned to tune them out.",
]

KNOWN_MISSES = {  # still wrong after the classes were generalised
    "Keep an eye on Mo's next few deploys.",
    "What Hugo did was inexcusable.",
}


def _cases(texts: list[str]) -> list:
    return [pytest.param(t, marks=pytest.mark.xfail(strict=True)) if t in KNOWN_MISSES else t for t in texts]


@pytest.mark.parametrize("text", _cases(TRUST_BLAMING + HUMAN_ERROR_BLAMING + JUDGEMENT_BLAMING))
def test_a_blaming_trust_error_or_judgement_sentence_is_flagged(text):
    assert check_text(text), text


@pytest.mark.parametrize("text", _cases(TRUST_NEUTRAL + HUMAN_ERROR_NEUTRAL + JUDGEMENT_NEUTRAL))
def test_a_neutral_trust_error_or_judgement_sentence_is_not(text):
    assert not check_text(text), (text, [(f.rule, f.text) for f in check_text(text)])
