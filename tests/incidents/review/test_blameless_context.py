"""Blame carried by context rather than by words (`context.py` and the clause-level fixes of issue 17's third
pass): each class with sentences written for it here, blaming ones and near misses that are not blame.

None of these sentences is from a corpus in `data/`: they are the classes' own tests, written from the
definition of each class, so a rule that only fits a corpus sentence fails here.
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text


def rules(text: str) -> set[str]:
    return {f.rule for f in check_text(text)}


def flagged(text: str) -> bool:
    return bool(check_text(text))


# --- stepping away beside a duty ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Dmitri kicked off the reindex and went home.",
        "The secondary on-call acknowledged the page, then went back to bed.",
        "Aiko pushed the config change and left for the airport.",
        "He silenced the pager and carried on working on his own ticket.",
        "The release manager started the rollout, logged off and was unreachable for two hours.",
        "Our DBA merged the schema change and boarded a flight to Lisbon.",
        "She turned off her phone halfway through her on-call shift.",
        "After acking the alert, Tomasz went back to playing his game.",
    ],
)
def test_stepping_away_beside_a_duty_is_blame_by_what_came_next(text):
    assert "sequence" in rules(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Dmitri kicked off the reindex and went home once it had finished.",
        "The secondary on-call went back to bed after the alert cleared.",
        "Aiko handed the pager to Jonas and left for the airport.",
        "She logged off at the end of her shift, as the rota says.",
        "Kofi went home at six; nothing was deployed that evening.",
        "The pipeline went offline during the maintenance window.",
        "He muted the alert after confirming it was a known false positive.",
    ],
)
def test_stepping_away_with_the_duty_done_or_no_duty_is_left_alone(text):
    assert "sequence" not in rules(text), text


def test_the_stepping_away_finding_names_the_duty_and_asks_what_would_call_them_back():
    (f,) = [
        f
        for f in check_text("Aiko pushed the config change and left for the airport.")
        if f.rule == "sequence"
    ]
    assert "pushed" in f.reason
    assert "step away" in f.reason
    assert "called them back" in f.suggestion
    assert f.label == "Blame by what came next"


# --- a duty shown broken --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "We counted on the release manager to check the freeze calendar, and she didn't.",
        "The team trusted Olu to renew the certificate and he let everyone down.",
        "We expected the vendor engineer to test the patch; that never happened.",
        "Nadia was supposed to rotate the keys last week and simply didn't.",
        "He promised to watch the canary, but never did.",
        "Warnings were sent twice and not even read.",
    ],
)
def test_a_duty_shown_broken_is_trust_or_passive_blame(text):
    assert rules(text) & {"trust", "passive_blame", "person_subject", "counterfactual"}, text


@pytest.mark.parametrize(
    "text",
    [
        "We counted on the release manager to check the freeze calendar, and she did.",
        "The team trusted Olu to renew the certificate, and the renewal job failed silently.",
        "We expected the replica to catch up within a minute; it didn't.",
        "Nadia was asked to rotate the keys, which she did on Tuesday.",
        "Warnings were sent twice and acknowledged within a minute.",
        "The retry was supposed to back off, and it didn't.",
    ],
)
def test_a_duty_kept_or_a_system_that_did_not_is_not_a_broken_duty(text):
    assert not flagged(text), text


def test_a_bare_denial_after_a_claim_is_flagged_but_not_about_a_thing():
    assert "trust" in rules("Omar said the backup was verified. He hadn't.")
    assert not flagged("We checked whether the backup was verified. It hadn't been.")


# --- competence deficits --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The contractor plainly had no idea how DNS caching works.",
        "Whoever wrote this migration doesn't understand the basics of indexing.",
        "The new SRE lacked even basic knowledge of our deploy tooling.",
        "Frankly the platform team doesn't take capacity planning seriously.",
        "I doubt Ravi takes security reviews seriously.",
        "Dropping the table without a WHERE clause was an amateur mistake.",
        "That was a beginner's error, plain and simple.",
    ],
)
def test_a_competence_deficit_is_flagged(text):
    assert rules(text) & {"trust", "judgement"}, text


@pytest.mark.parametrize(
    "text",
    [
        "We had no idea the replica was eight minutes behind.",
        "The on-call had no way to see the queue depth from the dashboard.",
        "Nobody on the bridge knew the cache was shared between regions.",
        "The runbook lacked a step for checking replication lag.",
        "New hires now get a walkthrough of how DNS caching works.",
        "The error was a classic off-by-one in the pagination code.",
    ],
)
def test_what_people_could_not_know_is_not_a_competence_deficit(text):
    assert not flagged(text), text


# --- a person's disposition made the problem -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Victor's habit of hotfixing on production is the root of this.",
        "Hannah's attitude to code review is the real issue.",
        "The quality of Pedro's reviews has been declining all quarter.",
        "Her habit of skipping the staging step finally caught up with us.",
    ],
)
def test_a_persons_disposition_made_the_problem_is_judgement(text):
    assert flagged(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Victor's habit of writing the timeline as he goes saved us an hour.",
        "Hannah's approach to code review is written up in the wiki.",
        "The quality of the alert descriptions has been slipping since the migration.",
        "The service's retry habit caught up with the database during the spike.",
    ],
)
def test_a_disposition_praised_or_of_a_system_is_left_alone(text):
    assert not flagged(text), text


# --- a person as the hazard ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The approval gate is there to protect production from engineers like Karim.",
        "No amount of automation can shield us from a developer who ignores every warning.",
        "We need guardrails so that people like Jo stop pushing on Fridays.",
    ],
)
def test_a_person_as_the_hazard_is_fault(text):
    assert "fault" in rules(text) or flagged(text), text


@pytest.mark.parametrize(
    "text",
    [
        "The rate limiter protects the API from clients that retry too fast.",
        "Feature flags exist so that people like Maria can ship safely behind a toggle.",
        "The dry run protects engineers from typos in the host list.",
    ],
)
def test_a_safeguard_against_outsiders_or_for_people_is_left_alone(text):
    assert not flagged(text), text


# --- remedies aimed at a person without a remedy word -----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "We had a word with the engineer involved and he won't do it again.",
        "Management sat down with Lucia and made it clear this can't happen again.",
        "Lesson for the night shift: always read the whole alert.",
        "Note to Sven: never deploy without checking the dashboard first.",
    ],
)
def test_a_conversation_or_a_lesson_aimed_at_a_person_is_a_sanction(text):
    assert "sanction" in rules(text), text


@pytest.mark.parametrize(
    "text",
    [
        "We spoke with the engineer involved to understand what the dashboard showed at 02:10.",
        "We talked to the on-call about what made the alert look like noise.",
        "Lessons for the platform team: add a lag alert to the promotion runbook.",
        "Note to readers: all times are UTC.",
    ],
)
def test_a_conversation_to_learn_or_a_lesson_about_the_system_is_left_alone(text):
    assert "sanction" not in rules(text), text


# --- a person's act pointed at as the cause ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Greta overrode the reviewers to merge on Friday, and this is the result.",
        "The team lead steamrolled past every objection, and here we are.",
    ],
)
def test_a_person_act_pointed_at_the_outcome_is_fault(text):
    assert flagged(text), text


@pytest.mark.parametrize(
    "text",
    [
        "The scheduler retried the job three times, and this is the result.",
        "Greta rolled back the deploy at 14:02, and error rates fell to baseline.",
    ],
)
def test_a_system_act_or_a_person_mitigating_is_left_alone(text):
    assert not flagged(text), text


# --- irony aimed at a person --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, Ingrid, for the 3am wake-up call.",
        "Much appreciated, Colm, for the surprise outage on launch day.",
        "Loved the DBA choosing to rebuild the index right before the sale.",
        "Smooth deploy, only took her four attempts.",
        "Ah, the classic Boris approach to testing: ship it and see.",
        "Wow, Ingrid, one config change and every region down.",
        "Well, at least the API team was consistent: broken in every region.",
    ],
)
def test_irony_aimed_at_a_person_is_sarcasm(text):
    assert "sarcasm" in rules(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, Ingrid, for the quick rollback.",
        "Thanks to Colm for staying on the bridge through the outage.",
        "The rollback only took four minutes.",
        "Wow, the retry storm took every region down within a minute.",
        "At least the CDN kept serving cached pages during the outage.",
    ],
)
def test_thanks_and_surprise_without_a_person_blamed_are_left_alone(text):
    assert "sarcasm" not in rules(text), text


# --- late, hasty, and absorbed -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The incident commander showed up thirty minutes late to the bridge.",
        "Ana rubber-stamped the 2,000-line diff ten seconds after it was posted.",
        "He was too caught up in the launch to look at the disk alert.",
        "The approver was far too busy with the offsite to read the change.",
    ],
)
def test_lateness_haste_and_absorption_are_a_person_as_the_cause(text):
    assert flagged(text), text


@pytest.mark.parametrize(
    "text",
    [
        "The page arrived thirty minutes late because the SMS gateway queued it.",
        "The bot approved the dependency bump ten seconds after CI passed.",
        "The dashboard was too slow to load during the spike.",
    ],
)
def test_lateness_and_haste_of_a_system_are_left_alone(text):
    assert not flagged(text), text


# --- clause-level fixes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The retention settings look sensible, but they were never applied to the new cluster.",
        "In hindsight the alerts were noisy, and they are now grouped by service.",
    ],
)
def test_they_refers_back_to_things_not_people(text):
    assert not flagged(text), text


def test_they_after_people_is_still_a_person():
    assert flagged("The reviewers saw the warning, and they ignored it.")


@pytest.mark.parametrize(
    "text",
    [
        "The partition key is set correctly; it's just that Yusuf keeps running the backfill by hand.",
        "The scheduler didn't fail, Priti overloaded it with a manual batch.",
        "The alerting rules are solid; it's the on-call engineers who keep muting them.",
    ],
)
def test_a_system_cleared_and_a_person_set_apart_is_fault(text):
    assert flagged(text), text


@pytest.mark.parametrize(
    "text",
    [
        "The scheduler didn't fail; Priti noticed the backlog and scaled it out.",
        "The partition key is set correctly, and the backfill job now checks it.",
    ],
)
def test_a_system_cleared_and_a_person_responding_is_left_alone(text):
    assert not flagged(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Mistakes were made by the releasing engineer.",
        "The fix was held up by a reviewer who went on holiday.",
        "The ticket was sat on for a week.",
        "pretty sure kasia deleted the bucket",
        "Ji-woo owned the alert and should have escalated it.",
        "they shouldve rolled back sooner",
        "Any of us would have caught it, except her.",
    ],
)
def test_passives_names_hedges_and_chat_spellings_read_as_their_plain_forms(text):
    assert flagged(text), text


@pytest.mark.parametrize(
    "text",
    [
        "A more experienced engineer joined the bridge at 03:10.",
        "The SRE team identified the root cause within an hour.",
        "Ji-woo spotted the misconfigured load balancer during the review.",
        "Priti deleted the stuck pods to restart them, which was the fastest option available.",
    ],
)
def test_graded_participles_cause_nouns_and_justified_acts_are_left_alone(text):
    assert not flagged(text), text


# --- the cause placed on a person ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "This outage is squarely on Bettina's shoulders.",
        "Responsibility for the data loss rests with the night DBA.",
        "The blame lies at the feet of the release team.",
        "It all went wrong on Marek's watch.",
    ],
)
def test_the_cause_placed_on_a_person_is_fault(text):
    assert "fault" in rules(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Ownership of the runbook sits with the platform team.",
        "Responsibility for the on-call rota lies with the SRE lead.",
        "The follow-up fix is on Bettina's plate for next sprint.",
        "The problem lies with the resolver's negative cache.",
    ],
)
def test_a_duty_assigned_or_a_cause_in_the_system_is_not_fault(text):
    assert not flagged(text), text


# --- more ways of stepping away, of breaking a duty, of judging competence -----------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Halfway through the failover, the operator fell asleep at his desk.",
        "Joao started the backfill and stepped out for a coffee.",
        "She was at the pub while her pager went off twice.",
        "He ran the cleanup script and shut his laptop for the day.",
    ],
)
def test_other_ways_of_stepping_away_beside_a_duty(text):
    assert "sequence" in rules(text), text


@pytest.mark.parametrize(
    "text",
    [
        "The operator was watching the dashboards during the failover.",
        "Joao stepped out for a coffee after the backfill completed.",
        "The on-call fell asleep after the handover to the day shift.",
    ],
)
def test_watching_the_work_or_leaving_after_it_is_not_stepping_away(text):
    assert "sequence" not in rules(text), text


@pytest.mark.parametrize(
    "text",
    [
        "The vendor assured us the patch was tested; it turned out they hadn't.",
        "Whoever owns the job doesn't even know what a cron expression is.",
        "Kenji's tendency to skip the checklist was always going to end like this.",
        "Somebody give Farah a medal for taking down staging and prod in one go.",
        "Great timing, Oskar: a schema change ten minutes before the sale.",
        "The engineer has been spoken to.",
    ],
)
def test_other_words_for_the_same_classes(text):
    assert flagged(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Ana deleted the replica, and the dashboards she saw at the time showed it as unused.",
        "I restarted the primary, which made sense given what we knew then.",
    ],
)
def test_an_act_answered_by_what_the_person_could_see_at_the_time_is_local_rationality(text):
    assert not flagged(text), text


def test_local_rationality_conceded_does_not_excuse():
    assert flagged(
        "Ana made the wrong call, even though the information she had at the time pointed the other way."
    )
