"""Trust, access and supervision of ONE person (issue 17's fifth pass, `supervised.py`): each family with
blaming sentences and near misses written for it here, from the definition of the family (none from a corpus
in `data/`): a sentence that takes rights from a person, sets someone to watch over them, withdraws
confidence from them or moves them down as a consequence blames that person; the same change for everyone,
a role by policy or a service account is the safeguard a blameless review asks for.

When first run, before `supervised.py` existed, the check caught 13/47 of these blaming sentences and
flagged 3/52 near misses.
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text


def kinds(text: str) -> set[str]:
    return {str(f.rule) for f in check_text(text)}


@pytest.mark.parametrize(
    "text",
    [
        "Honestly Dmitri should lose his production access until he can show he understands the blast radius.",
        "Pull the intern's write access to the billing schema today.",
        "We revoked Carla's deploy rights after the second bad push.",
        "My recommendation: suspend the contractor's VPN credentials for the rest of the engagement.",
        "The on-call engineer from last night should have his sudo taken away.",
        "Strip the data team of their admin role on the warehouse until they learn.",
        "Maybe it's time the mobile team lost their merge rights on main.",
        "Jorge no longer gets root on the bastion, full stop.",
        "take away kev's prod creds, he's a menace",
        "Revoke her access to the payment keys before she breaks something else.",
        "The SRE who ran the script should be locked out of the cluster for a while.",
        "Is it wise to let Priyanka keep admin rights after this?",
        "Why does the new guy still have write access to prod?",
        "Should Tomasz really still be holding the deploy keys?",
        "Do we want the frontend team keeping access to the CDN console after last week?",
    ],
)
def test_access_blames_the_person(text):
    """Rights taken from one person, or their keeping them questioned."""
    assert check_text(text), text


@pytest.mark.parametrize(
    "text",
    [
        "We moved everyone to just-in-time access for production databases.",
        "Service accounts should not have access to the signing keys.",
        "Access for departing employees is revoked automatically on their last day.",
        "We revoked Carla's API token after it showed up in a public log.",
        "Contractors get read-only access by default under the new policy.",
        "The CI runner lost its credentials when the vault lease expired.",
        "Dmitri lost access to the VPN when the certificate rotated.",
        "Interns should not have write access to production, so the role was narrowed.",
        "The on-call role now has break-glass access that expires after four hours.",
        "Admin rights on the warehouse are now granted per request and time-boxed.",
        "We should rotate the deploy keys every ninety days.",
        "Is it wise to let the autoscaler keep the last node during a drain?",
        "Should the backup job still have delete permissions on the bucket?",
        "Revoke the old webhook's access to the ticket API once the new one is live.",
        "Jorge asked for root on the bastion to debug the kernel panic and got it for an hour.",
    ],
)
def test_access_near_misses_are_not_blame(text):
    """Not blame: the same change for everyone, a role, a service account or a leaked credential."""
    assert not check_text(text), (text, kinds(text))


@pytest.mark.parametrize(
    "text",
    [
        "Oleksandr should not be allowed to touch the load balancer config unsupervised.",
        "The junior DBA needs someone watching over her shoulder for schema changes.",
        "Every change Mateus makes needs a second sign-off from now on.",
        "From here on the platform team needs adult supervision for anything in prod.",
        "Someone senior has to supervise Ravi's deploys until further notice.",
        "Keep the new hire on a short leash for the next few months.",
        "Can someone babysit Wen during the next failover?",
        "he clearly can't be left to run migrations on his own",
        "The contractor shouldn't be deploying without somebody checking his work.",
        "Going forward, I want a senior engineer reviewing everything Hamid pushes.",
        "We need to keep a much closer eye on the payments team's releases.",
        "Lucia needs to be supervised on anything touching DNS.",
    ],
)
def test_supervision_blames_the_person(text):
    """Someone set to watch over one person, or a person not to be let work alone."""
    assert check_text(text), text


@pytest.mark.parametrize(
    "text",
    [
        "All production changes need a second sign-off under the change policy.",
        "Schema migrations now require two approvals from the database owners.",
        "New on-call engineers shadow a senior for two weeks before taking the pager.",
        "The deploy pipeline should not allow unsupervised merges to main.",
        "The on-call needs someone to escalate to when the primary does not answer.",
        "Ravi supervised the failover and kept the bridge informed.",
        "We want a second pair of eyes on every DNS change, whoever makes it.",
        "The batch job runs unsupervised overnight, which is why nobody saw the lag.",
        "Someone has to watch the replication lag during the migration window.",
        "Keep a close eye on the disk usage graph after the upgrade.",
        "Lucia paired with a senior engineer on her first DNS change, as planned.",
        "Changes to the load balancer now need a reviewer from the network team.",
    ],
)
def test_supervision_near_misses_are_not_blame(text):
    """Not blame: a check the task needs whoever does it, or a person supervising the work."""
    assert not check_text(text), (text, kinds(text))


@pytest.mark.parametrize(
    "text",
    [
        "I have zero confidence in the release team at this point.",
        "Frankly, I don't trust Bogdan with anything near the billing service.",
        "There's no confidence left in Ingrid's judgement on database work.",
        "i dont trust the infra folks anymore",
        "Nobody on the team trusts the new lead's calls during incidents.",
        "How can we trust the vendor engineers after this?",
        "We have little faith in the QA team catching this kind of thing.",
        "My confidence in Aleksei is basically gone.",
        "I wouldn't trust him to restart a pod.",
        "After three incidents, the networking team has lost all credibility with us.",
    ],
)
def test_confidence_blames_the_person(text):
    """No confidence left in a person or a team."""
    assert check_text(text), text


@pytest.mark.parametrize(
    "text",
    [
        "I don't trust the dashboard's p99 numbers during a deploy.",
        "We have zero confidence in the backup restore until it is tested end to end.",
        "Confidence in the root cause is low: we could not reproduce it.",
        "We have high confidence in the fix after a week in staging.",
        "We trust the on-call to make the call on rolling back.",
        "The team doesn't trust the client's timestamps, so the server sets them now.",
        "Nobody trusts the flaky integration suite, so failures get retried.",
        "How can we trust the metrics pipeline when it drops samples under load?",
        "Trust between the two teams grew during the long incident call.",
        "Bogdan said he had low confidence in the capacity estimate.",
    ],
)
def test_confidence_near_misses_are_not_blame(text):
    """Not blame: distrust of a signal, a tool or an estimate, and trust given."""
    assert not check_text(text), (text, kinds(text))


@pytest.mark.parametrize(
    "text",
    [
        "As punishment, Sven gets every weekend on-call shift this quarter.",
        "Karim was demoted off the primary rotation after the outage.",
        "The engineer was benched from releases for a month.",
        "Kick the web team off the deploy rota until they fix their tests.",
        "She got moved to the docs team as a lesson.",
        "No more Friday deploys for Nikos, ever.",
        "That should teach the contractor to read the runbook.",
        "Taking Ahmed off the incident commander list sends the right message.",
        "Let's ground the mobile team from production pushes for two sprints.",
        "Paolo lost his release privileges as a consequence of the outage.",
    ],
)
def test_demotion_blames_the_person(text):
    """A person moved down or out as a consequence, or a consequence meant as a lesson."""
    assert check_text(text), text


@pytest.mark.parametrize(
    "text",
    [
        "The old primary was demoted to a replica after the failover.",
        "Sven moved off the rotation for parental leave.",
        "The flaky test was benched until someone fixes the timing.",
        "We took the broken node off the load balancer rota.",
        "No more Friday deploys for anyone: the freeze starts at noon on Fridays.",
        "Karim stepped down as incident commander to focus on the fix.",
        "The replica was punished by the scheduler with lower priority after it lagged.",
        "Ahmed asked to be taken off the commander list while he recovers.",
        "We removed the retired pager integration from the rotation.",
        "Release privileges now come from group membership, not individual grants.",
    ],
)
def test_demotion_near_misses_are_not_blame(text):
    """Not blame: a system demoted, a person stepping down or off by choice, a freeze for everyone."""
    assert not check_text(text), (text, kinds(text))


def test_possessing_rights_is_not_a_modal_perfect():
    # "should not have write access" is about what a role may hold, not what someone should have done
    assert not check_text("Interns should not have write access to production, so the role was narrowed.")
    assert "counterfactual" in kinds("The intern should never have had prod access.")


@pytest.mark.parametrize(
    ("text", "kind", "words"),
    [
        (
            "Pull the intern's write access to the billing schema today.",
            "access",
            "rights away from one person",
        ),
        ("Keep the new hire on a short leash.", "supervision", "watch over one person"),
        ("I have zero confidence in the release team.", "confidence", "withdraws confidence"),
        ("Karim was demoted off the primary rotation after the outage.", "demotion", "retribution"),
    ],
)
def test_the_finding_says_why_and_points_at_the_task_not_the_person(text, kind, words):
    (finding,) = check_text(text)
    assert words in finding.reason
    assert finding.reason.startswith(f'"{finding.text}"')
    assert (
        "whoever" in finding.suggestion or "anyone" in finding.suggestion or "next time" in finding.suggestion
    )
    assert "_" not in finding.reason  # no rule ids in what people read
