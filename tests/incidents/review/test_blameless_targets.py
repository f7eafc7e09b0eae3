"""Who the words are aimed at (issue 17's fourth pass): each class with sentences written for it here, blaming
ones and near misses that are not blame.

None of these sentences is from a corpus in `data/`: they are the classes' own tests, written from the
definition of each class (judgement words apply to people only when they describe a person or a person's
act; an ordinary act made THE cause; a person told to learn; mock praise aimed at a person), so a rule that
only fits a corpus sentence fails here.
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text


def rules(text: str) -> set[str]:
    return {f.rule for f in check_text(text)}


def flagged(text: str) -> bool:
    return bool(check_text(text))


# --- judgement words: a person or a person's act, not a thing --------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The retry wrapper is lazy about backoff: it retries at once, forever.",
        "A careless default in the chart set the replica count to one.",
        "Our staging seed data is sloppy, with half the tenants missing a region.",
        "The old cron scheduler was reckless with overlapping runs.",
        "The importer is frankly incompetent at malformed CSV rows.",
        "A lazy readiness probe reported healthy before the cache had loaded.",
        "The vendor SDK is negligent about closing sockets on timeout.",
        "The disk cleanup job was careless with symlinks and followed them out of the volume.",
    ],
)
def test_judgement_words_about_a_thing_are_not_blame(text):
    assert "judgement" not in rules(text), text


@pytest.mark.parametrize(
    "text",
    [
        "The reviewer was lazy and approved without reading.",
        "Our new SRE is incompetent with Terraform.",
        "A careless operator typed the wrong cluster name.",
        "The migration was run by a reckless contractor.",
        "Careless work on the firewall rules let the scanner in.",
        "The way Ines ran the failover was sloppy.",
        "It was reckless of the DBA to skip the backup.",
        "That rollback was sloppy from start to finish.",
        "He is lazy about writing tests.",
        "Her careless schema change dropped the index.",
        "Their sloppy cutover script was never reviewed.",
    ],
)
def test_judgement_words_about_a_person_or_their_act_stay_blame(text):
    assert "judgement" in rules(text), text


# --- an ordinary act framed as THE cause ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Yusuf is the reason the nightly export never finished.",
        "Honestly, the release manager is why the rollout stalled for a day.",
        "Mira's config push is what knocked out the EU region.",
        "The DBA's index rebuild is why checkout timed out.",
        "Oskar rebooting the bastion host is what cut everyone off.",
        "The real culprit is the contractor's cutover script.",
        "Ana's the culprit, she rotated the key mid-deploy.",
        "The underlying cause is that someone bumped the pool size by hand.",
        "The root cause was that the on-call restarted both replicas at once.",
        "the intern deleted the namespace, that's the root cause",
        "Marta flipped the flag for everyone, and that was the incident.",
        "Proximate cause: the SRE drained the wrong node pool.",
        "Immediate cause: an engineer merged with a red build.",
    ],
)
def test_an_ordinary_act_framed_as_the_cause_is_fault(text):
    assert "fault" in rules(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Yusuf is the reason we caught the export bug before customers did.",
        "Mira's failover drill is what saved the EU region.",
        "The DBA's index rebuild is why checkout is fast again.",
        "The root cause is that the pool was sized for last year's peak.",
        "The root cause is that the on-call had no way to see the replica lag.",
        "The underlying cause is that the runbook told responders to restart both replicas.",
        "Oskar's runbook is what we followed all night.",
        "The TTL was set to a year, that's the root cause.",
        "Proximate cause: a retry storm from the mobile clients.",
        "Root cause analysis is owned by the platform team.",
        "Marta flipped the flag for everyone, and that was the fix.",
    ],
)
def test_credit_a_system_cause_or_a_gap_the_person_had_is_not_framed_as_blame(text):
    assert not flagged(text), text


def test_the_framed_cause_finding_explains_the_frame_and_asks_what_else_had_to_be_true():
    (f,) = [
        f for f in check_text("Yusuf is the reason the nightly export never finished.") if f.rule == "fault"
    ]
    assert "frames what a person did as the cause" in f.reason
    assert "What else had to be true" in f.suggestion


# --- learning asked of a person -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Priyanka needs to learn how connection pooling works before she touches the proxy again.",
        "The night shift has to learn that you never fail over both zones at once.",
        "Our QA team must learn what a smoke test is for.",
        "He should learn when to ask for a second pair of eyes.",
        "We suggest that the new SRE complete the Terraform training again.",
        "The management recommends that the on-call engineer attend a refresher on paging etiquette.",
        "The offending developer should be sent back to onboarding.",
        "Action: the DBA to redo the induction course.",
    ],
)
def test_learning_asked_of_a_person_is_a_sanction(text):
    assert "sanction" in rules(text), text


@pytest.mark.parametrize(
    "text",
    [
        "We need to learn how the scheduler orders jobs under contention.",
        "The team wants to learn Go this quarter.",
        "Onboarding now includes a failover drill for every new engineer.",
        "We recommend that the alert include the hostname and the runbook link.",
        "New hires are sent through onboarding in their first week.",
        "What the on-call learned that night went into the runbook.",
        "She did not need to learn anything new: the tool explained itself.",
    ],
)
def test_learning_about_the_system_or_onboarding_as_a_process_is_left_alone(text):
    assert "sanction" not in rules(text), text


# --- trust and "human error": aimed at a person, or a thing and a label ---------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "We can't trust the queue depth gauge while the broker is rebalancing.",
        "The disk usage graph can't be trusted after a volume resize.",
        "Nobody should trust a cached health status older than a minute.",
        'Earlier write-ups filed this under "human error," which told us nothing.',
        "The old form had a human-error checkbox, which we removed.",
        "We dropped the operator error tag from the incident template.",
    ],
)
def test_distrust_of_a_signal_or_the_human_error_label_discussed_is_not_blame(text):
    assert not rules(text) & {"trust", "human_error"}, text


@pytest.mark.parametrize(
    "text",
    [
        "We can't trust Ilse with the deploy keys.",
        "We can no longer trust the vendor's engineers.",
        "The new contractor can't be trusted near the billing database.",
        "Honestly we can't trust his reviews.",
        "Cause: human error by the operator on shift.",
    ],
)
def test_distrust_of_a_person_and_human_error_used_as_a_cause_stay_blame(text):
    assert rules(text) & {"trust", "human_error"}, text


# --- praise: sincere with its reason, mock when the praised act is the damage -----------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Nice work, Bea, on catching the bad migration in review.",
        "Great job, Tomas, for keeping the bridge calm at 3am.",
        "Thanks to the SRE who stayed on at midnight to walk us through the failover.",
        "Kudos, Farah, on writing the cleanup script that saved the weekend.",
    ],
)
def test_praise_with_its_reason_is_not_sarcasm(text):
    assert "sarcasm" not in rules(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Congratulations to the payments team on crashing checkout twice in one week.",
        "Kudos to the platform team for the crash loop on every node.",
        "Must be nice to ship without running the tests.",
        "Must have been nice to approve it without opening the diff.",
        "Thanks to Ravi, who skipped the canary at 2am, we were down till dawn.",
    ],
)
def test_praise_for_the_damage_is_sarcasm(text):
    assert "sarcasm" in rules(text), text


# --- names that are also words, and what a person reported --------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The backup never ran because Rose forgot to re-enable the timer.",
        "Checkout broke after Will skipped the canary.",
        "The queue filled up since Hope ignored the disk alert.",
    ],
)
def test_a_name_that_is_also_a_word_is_a_person_when_a_verb_follows(text):
    assert "person_subject" in rules(text), text


@pytest.mark.parametrize(
    "text",
    [
        "Ngozi opened the dashboard and confirmed the error rate had doubled.",
        "The on-call paged the DBA and reported the replica had fallen behind.",
        "Prices rose after the cache was cleared.",
        "The error rate rose because the retry budget was exhausted.",
    ],
)
def test_what_a_person_reported_and_a_verb_that_is_also_a_name_are_not_blame(text):
    assert not flagged(text), text


# --- a field of knowledge a person lacks, a possessive's fault, "should never have" ----------------------


@pytest.mark.parametrize(
    "text",
    [
        "The outage happened because the contractor didn't understand DNS.",
        "The plan was applied by someone who doesn't know Terraform.",
        "Clearly the new hire did not grasp replication.",
        "The incident traces back to her rushed rollback.",
        "Their sloppy, untested cutover took the region down.",
        "He should never have touched the primary.",
        "She can't handle the pressure of being on call.",
    ],
)
def test_knowledge_lacked_a_pronouns_fault_and_should_never_have_are_blame(text):
    assert flagged(text), text


@pytest.mark.parametrize(
    "text",
    [
        "The on-call didn't understand the alert text, which named an internal service id.",
        "She didn't know yet that the replica had been promoted.",
        "We did not know Kafka would rebalance on that setting.",
        "His rollback plan was reviewed by two people.",
        "Her notes from the drill were the most useful document.",
        "The connection pool can't handle the load of a full failover.",
    ],
)
def test_what_a_person_did_not_know_then_and_a_pronouns_ordinary_things_are_not_blame(text):
    assert not flagged(text), text
