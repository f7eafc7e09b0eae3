"""The parts about people's behaviour as the remedy, trust and readiness, a system cleared so a person is left
as the cause, and exasperation in chat (incidents/review/blameless/people.py). Each part is shown with the
words it needs and with the same words where they do not blame (about a system, denied, or an ordinary act).
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text


def rules(text: str) -> set[str]:
    return {f.rule for f in check_text(text)}


@pytest.mark.parametrize(
    "text",
    [
        "Action: Dave to be more careful when running migrations.",
        "Engineers must pay more attention to alerts.",
        "Lesson learned: Tom needs to slow down.",
        "Going forward, the on-call must read every alert carefully.",
        "The responders need to be more vigilant.",
        "We need to double-check everything before a deploy.",
        "Remove Priya from the on-call rotation until she completes training.",
        "Put the DBA on a performance improvement plan.",
        "Follow-up: disciplinary review for the engineer involved.",
        "Send the support team to a refresher course on escalation.",
    ],
)
def test_a_remedy_aimed_at_a_persons_behaviour_is_a_sanction(text):
    assert "sanction" in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "We will add training material to the onboarding wiki.",
        "Retraining the anomaly model reduced false pages.",
        "Priya reminded the channel that the freeze starts at 17:00.",
        "No disciplinary action will be taken.",
        "The deploy tool must slow down rollouts to one region at a time.",
        "Action: Dave to add an alert on replica lag.",
        "Nobody needs to be more careful; the tool needs a guard.",
    ],
)
def test_the_same_words_about_a_system_or_denied_are_not_a_sanction(text):
    assert "sanction" not in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "Honestly I don't think Marco is ready for on-call.",
        "Frankly, Omar isn't capable of running a failover on his own.",
        "She is too junior to hold the pager alone.",
        "We can't rely on the offshore team for anything critical.",
        "The platform team has lost our confidence.",
    ],
)
def test_remarks_on_readiness_and_reliance_are_trust(text):
    assert "trust" in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "The team lost confidence in the dashboards after the outage.",
        "We can't rely on the replica for reads during a failover.",
        "Omar was ready for the failover because he had rehearsed it in the game day.",
        "The responder was careful to drain the node first.",
    ],
)
def test_readiness_of_a_system_or_said_in_praise_is_not_trust(text):
    assert "trust" not in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "Kafka isn't to blame here; Olivia set retention to one hour.",
        "Terraform did exactly what it was told; Mike told it to delete the VPC.",
        "Don't blame Kubernetes, blame whoever wrote that manifest.",
        "The pager worked fine; the on-call just didn't answer.",
    ],
)
def test_a_system_cleared_and_a_person_left_as_the_cause_is_fault(text):
    assert "fault" in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "The alert fired on time; Raj acknowledged it within a minute.",
        "Kafka wasn't the problem; the disk on broker 3 was full.",
        "We don't blame individuals for outages.",
        "The pipeline worked as designed and Priya rolled back at 14:05.",
    ],
)
def test_a_system_cleared_with_no_person_left_as_the_cause_is_not_fault(text):
    assert not rules(text)


def test_exasperation_needs_a_person_in_the_sentence():
    assert "sarcasm" in rules("smh kev did it again")
    assert "sarcasm" in rules("Nobody should be surprised, given who was on call.")
    assert not rules("smh the dashboard broke again")


def test_chat_without_apostrophes_reads_as_with_them():
    assert rules("welp, someone didnt read the runbook") == rules("welp, someone didn't read the runbook")
    assert rules("welp, someone didnt read the runbook")
