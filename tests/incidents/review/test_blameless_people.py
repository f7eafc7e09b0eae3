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


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Mark knew the replica was lagging and deployed anyway.", "judgement"),
        ("She knew the backup hadn't run in a week and said nothing.", "judgement"),
        ("Owner: Helen. Action: pay more attention during handovers.", "sanction"),
        ("The fix is for the release manager to stop cutting corners.", "sanction"),
        ("Jenkins did exactly what Mark told it to, unfortunately.", "fault"),
        ("The Jenkins job is fine; it's Farid who keeps triggering it on the wrong branch.", "fault"),
        ('Oh good, Kevin "tested" it again.', "sarcasm"),
        ("The contractor's sloppy wiring caused the outage.", "fault"),
    ],
)
def test_knowing_and_proceeding_imperative_remedies_clefts_and_scare_quotes(text, rule):
    assert rule in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "Mark knew the replica was lagging, so he paused the deploy.",
        "Action: slow down the rollout to one region at a time.",
        "The plan is for the release manager to add a canary stage.",
        "The Jenkins job is fine; it was Farid who first noticed the wrong branch.",
        'The bot posted "rolling back" in the channel.',
        "Kevin's laptop was slow to boot.",
    ],
)
def test_the_same_shapes_without_blame_are_left_alone(text):
    assert not rules(text)


def test_common_given_names_that_are_rare_english_words_are_names():
    assert "person_subject" in rules("Raj ignored the alert for an hour.")
    assert "person_subject" in rules("Shah deleted the production bucket.")


def test_people_outside_software_and_shifts_are_people():
    assert "person_subject" in rules("The night nurse neglected to chart the pump setting change.")
    assert rules("The night shift ignored the alarms.")
    assert not rules("The traffic shift dropped requests to the old region.")


@pytest.mark.parametrize(
    "text",
    [
        "With hindsight, the warning signs are visible in the metrics.",
        "It is now clear that the two services shared a Redis instance.",
        "The rollout was rushed because the release calendar left only one day.",
        "Lesson: alerts that fire weekly train responders to ignore them, so we are deleting twelve of them.",
        "Dave will drop the old index after the migration.",
        "Thanks to Kwame for staying on the bridge until the failover completed.",
        "Responders did not trust the dashboards because they had shown false positives.",
    ],
)
def test_hindsight_about_systems_explained_passives_plans_and_gratitude_are_neutral(text):
    assert not rules(text)


def test_at_once_is_not_a_clause_and_hyphenated_objects_count():
    assert rules("Sven rolled out the change to all regions at once against advice.")
    assert rules("Hannah let the on-call rotation lapse over the holiday.")


def test_knowing_and_going_ahead_is_explained_as_a_choice_not_a_character():
    (f,) = check_text("Mark knew the replica was lagging and deployed anyway.")
    assert "choice made knowing of a risk" in f.reason
    assert "look reasonable at the time" in f.suggestion
