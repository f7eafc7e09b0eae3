"""Learning asked of ONE person as the remedy (issue 17's fifth pass, `taught.py`), with near misses: the
sentences are written for the family here (none from a corpus in `data/`). When first run, before
`taught.py`, the check caught 2/12 of them and flagged 0/12 near misses.
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text


@pytest.mark.parametrize(
    "text",
    [
        "Ravi needs more training on Terraform before he touches prod again.",
        "The on-call engineer clearly needs to brush up on DNS.",
        "Sign the backend team up for a Kubernetes course.",
        "Someone should walk Ingrid through the failover runbook again, slowly.",
        "The DBA has to study up on replication before the next migration.",
        "Make the new hire read the deploy guide cover to cover.",
        "Honestly the contractor should go back to basics on SQL.",
        "The release manager needs mentoring on change control.",
        "Our SREs need to get better at reading dashboards.",
        "she needs to actually read the docs next time",
        "Send Piotr back through onboarding.",
        "The frontend team needs a crash course in caching.",
    ],
)
def test_learning_asked_of_a_person_is_a_remedy_aimed_at_them(text):
    assert "sanction" in {f.rule for f in check_text(text)}, text


@pytest.mark.parametrize(
    "text",
    [
        "We added a Kafka course to onboarding for all new engineers.",
        "The training on failovers was updated with the new steps.",
        "The team asked for training on the new deploy tooling.",
        "Everyone will take the incident-commander course this quarter.",
        "We learned that the runbook was out of date.",
        "The new hire shadowed a senior on two failovers, as planned.",
        "Our docs need a section on DNS propagation.",
        "The DBA studied the replication lag graphs to find the stall.",
        "Onboarding now includes a walkthrough of the failover runbook.",
        "The dashboard needs better labels so anyone can read it at 3am.",
        "Ravi ran a Terraform workshop for the team after the incident.",
        "The course material on caching was rewritten by the frontend team.",
    ],
)
def test_training_as_a_process_what_was_learned_and_a_person_teaching_are_not(text):
    assert not check_text(text), (text, [(f.rule, f.text) for f in check_text(text)])


def test_the_finding_points_at_what_the_system_did_not_show():
    (finding,) = check_text("Send Piotr back through onboarding.")
    assert finding.text == "Send Piotr back through onboarding"
    assert "Retraining one person" in finding.reason
    assert "how would it show it to anyone" in finding.suggestion
