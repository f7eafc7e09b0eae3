"""A system failure pinned on a person, responsibility and reason (issue 17's fifth pass, `pinned.py`), a
passive with a person agent and a damage verb, names that are also words in chat, and software named like a
role: each family with blaming sentences and near misses written for it here (none from a corpus in `data/`).

When first run, before these parts, the check caught 5/12 pinned failures (flagged 0/12 near misses), 4/10
responsibility and reason (0/10), 4/10 passives of damage (2/10), 5/8 chat names (0/8), and flagged 4/8
sentences about operators as software or "human error" as a term.
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text


def found(text: str) -> list[tuple[str, str]]:
    return [(f.rule, f.text) for f in check_text(text)]


@pytest.mark.parametrize(
    "text",
    [
        "The failover did fail, but only because Hiroshi had disabled the health checks the day before.",
        "Replication broke. That's because the DBA on shift changed the binlog format.",
        "The certificate outage was a direct result of Amara's decision to skip the renewal ticket.",
        "Search stayed down for two hours because the on-call went to bed.",
        "Images 404ed for everyone because someone on the web team set the cache TTL to a week.",
        "The queue overflowed since the intern paused the consumers and walked away.",
        "The restore took all night, and that's on the backup team forgetting to test it.",
        "Checkout broke thanks to Pieter pushing an untested config.",
        "The export job was corrupted as a consequence of Ngozi's manual edit.",
        "The pager storm happened because the SRE lead muted the wrong alert group.",
        "Latency spiked purely because the platform team bumped the pool size without telling anyone.",
        "the cluster fell over cause tomas restarted all three masters at once",
    ],
)
def test_a_failure_pinned_on_a_persons_act_is_fault(text):
    assert check_text(text), text


@pytest.mark.parametrize(
    "text",
    [
        "The failover failed because the health checks had been disabled by a stale feature flag.",
        "Replication broke because the binlog format changed in the minor upgrade.",
        "We recovered quickly because Hiroshi spotted the disabled health checks.",
        "The alert fired because the on-call had set a threshold of 80% last month, as intended.",
        "The rollback took twenty minutes because the on-call had to wait for an approval.",
        "Search stayed down for two hours because nobody was paged: the route was empty.",
        "The restore was slow because the backup team had no tested procedure for a region loss.",
        "The incident was declared because the support lead saw the spike in tickets.",
        "The page went to Amara because she was the primary that week.",
        "The queue drained once the intern restarted the consumers.",
        "The outage ended because the platform team rolled back the pool change.",
        "Latency spiked because the pool size was bumped without a load test in the pipeline.",
    ],
)
def test_a_system_cause_a_rescue_a_gap_a_state_or_a_good_outcome_is_not(text):
    assert not check_text(text), (text, found(text))


@pytest.mark.parametrize(
    "text",
    [
        "The payments team is responsible for this outage, plain and simple.",
        "Wojciech is responsible for the data loss on Tuesday.",
        "Kenji is the reason the dashboards were blank all weekend.",
        "The reason the nightly build broke is the frontend team merging without CI.",
        "The reason DNS failed was Agnieszka editing the zone file by hand.",
        "The reason we lost the queue is that the on-call deleted the wrong volume.",
        "Blame for the broken release belongs to the mobile team.",
        "The QA folks are responsible for letting the regression through.",
        "The only reason prod went down is Farhan.",
        "Whoever merged that PR is responsible for the mess we're in.",
    ],
)
def test_responsibility_for_damage_and_a_person_as_the_reason_are_fault(text):
    assert check_text(text), text


@pytest.mark.parametrize(
    "text",
    [
        "The payments team is responsible for the follow-up action items.",
        "Wojciech is responsible for the rotation schedule this quarter.",
        "Kenji is the reason the dashboards came back so quickly.",
        "The reason the nightly build broke is a race in the artifact cache.",
        "The reason DNS failed was a zone file with a missing trailing dot that the linter did not check.",
        "The reason we caught it early is that the on-call watched the canary.",
        "Who is responsible for updating the runbook after this?",
        "The mobile team is responsible for the release train and owns the fix.",
        "The storage layer is responsible for the data loss: fsync was disabled.",
        "The reason we page the primary first is that they hold the context.",
    ],
)
def test_a_duty_owned_credit_and_a_system_reason_are_not(text):
    assert not check_text(text), (text, found(text))


@pytest.mark.parametrize(
    "text",
    [
        "The routing table got mangled by the network team during the change window.",
        "Checkout was taken down by Gregor on Friday afternoon.",
        "The S3 bucket was left open by the analytics team for a week.",
        "Our config repo was trashed by someone force-pushing to main.",
        "The primary got clobbered by the DBA's restore to the wrong host.",
        "The release was botched by the release manager.",
        "The whole cluster was brought down by one engineer running a loop.",
        "The production keys were exposed by the intern pasting them into a ticket.",
        "The customer records were overwritten by Hanne.",
    ],
)
def test_damage_done_by_a_person_in_a_passive_is_blame(text):
    assert check_text(text), text


@pytest.mark.parametrize(
    "text",
    [
        "The staging database was wrecked by the cleanup cron that matched every schema.",
        "The routing table got mangled by a bug in the route reflector.",
        "Checkout was brought back by Gregor within ten minutes.",
        "The S3 bucket was left open by a default in the Terraform module.",
        "Our config repo was restored by the platform team from a mirror.",
        "The primary was clobbered by the Kubernetes Postgres operator during the resize.",
        "The stale feature branches were deleted by Hanne as part of the cleanup.",
        "The cluster was taken down by the network team for the planned maintenance.",
        "The release was paused by the release manager when the canary went red.",
        "The records were overwritten by the nightly sync, which has no conflict check.",
    ],
)
def test_damage_done_by_software_and_routine_work_by_a_person_are_not(text):
    assert not check_text(text), (text, found(text))


@pytest.mark.parametrize(
    "text",
    [
        "bc rose hammered the db with that backfill",
        "lol mark nuked the cache again",
        "tbh bill broke staging and never said anything",
        "faith ignored the page for an hour",
        "grant pushed a bad config and went offline",
        "pretty sure will deleted the wrong bucket",
        "hunter skipped the canary again smh",
        "so basically rose forgot to renew the cert",
    ],
)
def test_a_name_that_is_also_a_word_is_a_person_in_chat(text):
    assert check_text(text), text


@pytest.mark.parametrize(
    "text",
    [
        "bc rose steadily the db needed a bigger disk",
        "mark the alert as resolved once the lag is under a minute",
        "bill the hours to the incident code",
        "grant the read role to the new service account",
        "will the retry storm stop once the breaker opens?",
        "we need faith in the canary before we widen it",
        "traffic rose sharply after the marketing email",
        "hunter is the name of the new batch scheduler, it dropped jobs under load",
    ],
)
def test_the_word_in_chat_is_a_word(text):
    assert not check_text(text), (text, found(text))


@pytest.mark.parametrize(
    "text",
    [
        "The on-call operator dropped the replica by hand instead of failing over.",
        "Human error by the release manager caused the outage.",
        "It was human error on Dana's part, end of story.",
    ],
)
def test_a_person_operator_and_human_error_as_a_cause_stay_blame(text):
    assert check_text(text), text


@pytest.mark.parametrize(
    "text",
    [
        "The Kubernetes Postgres operator dropped the replica during the resize.",
        "The Strimzi operator restarted every broker at once.",
        "We stopped writing 'human error' as a cause in postmortems.",
        "'Human error' is where an investigation starts, not where it ends.",
        "The template no longer offers human error as a root cause category.",
        "Calling this human error would hide the missing guard on the delete API.",
        "The prometheus operator missed the new service monitor.",
    ],
)
def test_software_operators_and_human_error_as_a_term_are_not(text):
    assert not check_text(text), (text, found(text))


def test_the_pinned_finding_names_the_frame_and_asks_what_else_had_to_be_true():
    text = "Search stayed down for two hours because the on-call went to bed."
    (finding,) = [f for f in check_text(text) if f.rule == "fault"]
    assert [t for t, lit in finding.context if lit] == ["because the on-call", "went"]
    assert "ties the system's failure to what a person did" in finding.reason
    assert "What else had to be true" in finding.suggestion
