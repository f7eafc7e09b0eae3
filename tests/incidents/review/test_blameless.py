"""The blameless-language check: each part on its own, then the labelled corpora.

`blameless_sentences.json` is split once into a tuning half and a validation half (by sha256 of the
sentence); the rules were tuned on the tuning half only. The figures per half and per kind are printed by
`pytest tests/incidents/review/test_blameless.py -s` (and by `make bench`); the validation half must give
recall >= 90% and false positives <= 10%. The older corpus in `blameless_corpus.py` is a third set.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from incidents.review.blameless import check_text, names_from_users
from incidents.review.blameless.explain import LABELS
from tests.incidents.review.blameless_corpus import BLAME, CORPUS, NAMES, NEUTRAL

RECALL_AT_LEAST = 0.90
FALSE_POSITIVES_AT_MOST = 0.10
NAMES_IN_SYSTEM = names_from_users([SimpleNamespace(display_name=n) for n in NAMES])
SENTENCES = json.loads((Path(__file__).parent / "blameless_sentences.json").read_text(encoding="utf-8"))[
    "sentences"
]


def rules(text: str, names: list[str] | None = None) -> set[str]:
    return {f.rule for f in check_text(text, names=names or [])}


def figures(rows: list[dict]) -> dict:
    """Recall and false-positive rate over `rows`, overall and per kind, with the sentences it gets wrong."""
    per: dict[str, list[int]] = {}
    wrong: list[dict] = []
    for row in rows:
        flagged = bool(check_text(row["text"]))
        tally = per.setdefault(("blaming " if row["blaming"] else "neutral ") + row["kind"], [0, 0])
        tally[0] += 1
        tally[1] += flagged == row["blaming"]
        if flagged != row["blaming"]:
            wrong.append(row)
    blaming = [r for r in rows if r["blaming"]]
    neutral = [r for r in rows if not r["blaming"]]
    missed = [r for r in wrong if r["blaming"]]
    false_pos = [r for r in wrong if not r["blaming"]]
    return {
        "recall": (len(blaming) - len(missed)) / len(blaming),
        "false_positives": len(false_pos) / len(neutral),
        "blaming": len(blaming),
        "neutral": len(neutral),
        "per_kind": per,
        "wrong": wrong,
    }


def report(name: str, f: dict) -> str:
    lines = [
        f"{name}: recall {f['recall']:.1%} of {f['blaming']} blaming, "
        f"false positives {f['false_positives']:.1%} of {f['neutral']} neutral"
    ]
    lines += [f"    {k:34} {ok}/{n} right" for k, (n, ok) in sorted(f["per_kind"].items())]
    lines += [
        f"    wrong ({'missed' if r['blaming'] else 'false positive'}): {r['text']}" for r in f["wrong"]
    ]
    return "\n".join(lines)


# --- the corpus itself ------------------------------------------------------------------------------------


def test_the_corpus_is_big_balanced_tagged_and_split_once_by_hash():
    assert len(SENTENCES) >= 400
    counts = Counter(r["blaming"] for r in SENTENCES)
    assert abs(counts[True] - counts[False]) <= len(SENTENCES) * 0.02
    assert all(r["kind"] for r in SENTENCES)
    assert len({r["text"] for r in SENTENCES}) == len(SENTENCES)
    for r in SENTENCES:  # nobody moved a sentence from one half to the other
        expected = "tune" if int(hashlib.sha256(r["text"].encode()).hexdigest(), 16) % 2 == 0 else "validate"
        assert r["half"] == expected, r["text"]


def test_validation_half_meets_the_targets_and_both_halves_are_reported():
    tune = figures([r for r in SENTENCES if r["half"] == "tune"])
    validate = figures([r for r in SENTENCES if r["half"] == "validate"])
    print("\n" + report("tuning half", tune) + "\n" + report("validation half", validate))
    assert validate["recall"] >= RECALL_AT_LEAST
    assert validate["false_positives"] <= FALSE_POSITIVES_AT_MOST


def test_the_older_corpus_still_meets_the_thresholds():
    blaming = [s for s, label, _ in CORPUS if label == BLAME]
    neutral = [s for s, label, _ in CORPUS if label == NEUTRAL]
    caught = [s for s in blaming if check_text(s, names=NAMES_IN_SYSTEM)]
    flagged = [s for s in neutral if check_text(s, names=NAMES_IN_SYSTEM)]
    print(
        f"\nolder corpus: recall {len(caught)}/{len(blaming)}, false positives {len(flagged)}/{len(neutral)}"
    )
    assert len(caught) / len(blaming) >= RECALL_AT_LEAST
    assert len(flagged) / len(neutral) <= FALSE_POSITIVES_AT_MOST


def test_a_sentence_takes_well_under_20_ms():
    check_text("warm up the name lists")
    texts = [r["text"] for r in SENTENCES]
    start = time.perf_counter()
    for t in texts:
        check_text(t)
    assert (time.perf_counter() - start) / len(texts) < 0.020


# --- person mentions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Priya forgot to renew the certificate.",  # a given name from the names dataset
        "Nguyen forgot to renew the certificate.",  # a surname
        "The intern forgot to renew the certificate.",  # a role
        "The on-call engineer forgot to renew the certificate.",
        "The payments team forgot to renew the certificate.",  # a team
        "QA forgot to renew the certificate.",
        "She forgot to renew the certificate.",  # a pronoun
        "Nobody bothered to renew the certificate.",
        "Will forgot to renew the certificate.",  # a name that is also a word, as a subject
    ],
)
def test_person_mentions_as_subject_of_a_failure(text):
    assert "person_subject" in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "The renewal job forgot nothing: the certificate was renewed on time.",
        "Will the renewal job renew the certificate in time?",  # "Will" as a verb
        "Mark each renewal as done in the channel.",  # "Mark" as a verb
        "In May the renewal job failed to renew the certificate.",  # "May" after a preposition
        "The grant of admin rights broke nothing.",  # "grant" after a determiner
        "Cassandra failed to compact the SSTables.",  # a product with a person's name
        "Jenkins skipped the integration suite.",
    ],
)
def test_names_that_are_words_or_products_need_the_structure(text):
    assert "person_subject" not in rules(text)


def test_a_product_name_is_a_person_when_only_a_person_could_have_done_it():
    assert "person_subject" in rules("Ray forgot to remove the debug flag.")
    assert "person_subject" not in rules("Ray failed to schedule the tasks on GPU nodes.")


def test_users_of_the_installation_are_people_even_when_their_name_is_unusual():
    names = ["Zorblat Quux"]
    assert "person_subject" in rules("Zorblat deleted the production bucket.", names)
    assert "person_subject" not in rules("Zorblat deleted the production bucket.")


def test_possessives_make_the_owner_the_cause():
    assert rules("Sam's mistake caused the outage.") & {"fault", "person_subject"}
    assert "person_subject" in rules("Priya's change broke the login flow.")
    assert "fault" in rules("His carelessness cost us four hours.") | rules("It was his fault.")
    assert rules("One person's knowledge of the billing system was all we had.") == set()
    assert rules("The tool's error messages did not name the environment.") == set()


# --- failure predicates: active, omission, passive ------------------------------------------------------


def test_failure_predicates_are_tied_to_the_person_in_the_same_clause():
    assert "person_subject" in rules("Chen pushed the migration without testing it.")
    assert "person_subject" in rules("Okafor did not escalate the page.")
    assert "person_subject" in rules(
        "Bob was tired and failed to follow the runbook."
    )  # the subject carries over
    # The failure belongs to the system in its own clause.
    assert rules("The engineer ran the cleanup script, which deleted more rows than expected.") == set()
    assert rules("Kenji restarted the worker because the health check failed to detect it.") == set()


def test_passives_with_a_person_agent_and_passives_that_imply_one():
    assert "passive_blame" in rules("The alert was ignored by the on-call engineer.")
    assert "passive_blame" in rules("The runbook was not followed.")
    assert rules("The alert was suppressed by the maintenance window.") == set()
    assert rules("The migration step was skipped because the pipeline cached the result.") == set()


def test_what_people_knew_at_the_time_is_not_an_omission():
    assert rules("The responders did not know the flag was shared.") == set()
    assert rules("We did not know that billing read this flag.") == set()


# --- judgement, hindsight, counterfactuals, human error, trust, sarcasm ---------------------------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("A careless change.", "judgement"),
        ("That was negligent.", "judgement"),
        ("The engineer was not paying attention.", "person_subject"),
        ("It was human error.", "human_error"),
        ("The cause was operator error.", "human_error"),
        ("Obviously the disk was full.", "hindsight"),
        ("It was clear that the backups were broken.", "hindsight"),
        ("We should have waited.", "counterfactual"),
        ("The intern should have checked the replica lag.", "counterfactual"),
        ("If only we had a second replica.", "counterfactual"),
        ("Had they checked the prompt, nothing would be lost.", "counterfactual"),
        ("If the DBA had taken a backup, we would have lost nothing.", "counterfactual"),
        ("Any competent engineer would have spotted the typo.", "counterfactual"),
        ("You simply restart it.", "minimiser"),
        ("Just roll it back.", "minimiser"),
        ("We can no longer trust Dave with production access.", "trust"),
        ("Kevin lacks the experience to deploy alone.", "trust"),
        ("Nice work breaking prod on a Friday, Kevin.", "sarcasm"),
        ("Apparently reading the runbook is optional.", "sarcasm"),
        ("Why didn't Tom check the replica lag?", "person_subject"),
    ],
)
def test_each_part_fires_on_its_pattern(text, rule):
    assert rule in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "The validation step should have rejected the empty host list.",  # a counterfactual about a system
        "If the deploy tool had required confirmation, the command would not have reached every region.",
        "What would have helped the responder notice the lag sooner?",  # a review question
        "Why did the pipeline let an untested migration through?",
        "We learned that the runbook assumed a single region.",
        "Human factors such as fatigue and alert noise made the signal hard to see.",
        "The circuit breaker opened after five failures, as designed.",
        "Thanks to the retry queue, no data was lost.",
        "git blame showed the line was unchanged since 2019.",
        "Just after 23:00 the replica stopped.",
        "The backup job failed to upload its archive.",
        "Priya paged the database team at 22:00.",
    ],
)
def test_the_neutral_side_is_left_alone(text):
    assert rules(text) == set()


# --- findings that teach --------------------------------------------------------------------------------


def test_a_finding_names_the_words_explains_in_plain_language_and_rewords_from_the_sentence():
    text = "After the deploy, the intern forgot to restart the worker."
    (finding,) = check_text(text)
    assert text[finding.start : finding.end] == finding.text == "the intern forgot"
    assert all(text[a:b] in finding.text for a, b in finding.spans)
    assert finding.label == LABELS[finding.rule]
    assert finding.rule not in finding.reason
    assert "_" not in finding.reason
    assert "worker" in finding.suggestion
    assert "intern" not in finding.suggestion


def test_the_issue_example_is_reworded_toward_the_system():
    findings = check_text("Sam's mistake caused the outage.")
    assert any(f.suggestion.startswith('"What in the system let this change') for f in findings)
    assert all("Sam" not in f.suggestion for f in findings)


def test_ordinary_first_words_of_display_names_are_not_names():
    names = names_from_users(
        [SimpleNamespace(display_name="The Admin"), SimpleNamespace(display_name="Mei Lin")]
    )
    assert "The" not in names
    assert "Mei" in names
    assert check_text("The deploy broke the login page.", names=names) == []
    assert [f.rule for f in check_text("Mei broke the login page.", names=names)] == ["person_subject"]


def test_a_user_name_as_subject_is_flagged_but_not_as_an_actor():
    names = ["Priya Nair", "Priya"]
    assert [f.rule for f in check_text("Priya deleted the wrong directory.", names=names)] == [
        "person_subject"
    ]
    assert check_text("Priya paged the database team at 22:00.", names=names) == []


# --- parts that span the sentence, chat-style text, and the neutral side they must leave alone ------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("The root cause is the release manager.", "fault"),  # a person as the complement of a cause
        ("If you want the cause, it's Ingrid.", "fault"),
        ("Honestly, this one is on the platform team.", "fault"),
        ("It all comes down to Lukas.", "fault"),  # after a causal connective
        ("The outage comes down to the DBA ignoring the alert.", "person_subject"),  # a person + -ing
        ("Noor is the weakest link on the rotation.", "judgement"),  # a copular judgement of a person
        ("Somebody can't follow a basic checklist.", "judgement"),  # competence
        ("The release team needs to actually read the alerts.", "judgement"),  # a judgement as a remedy
        ("She's a liability on call.", "judgement"),
        ("Whoever merged this should be fired.", "sanction"),
        ("Heads will roll for this.", "sanction"),
        ("Another masterpiece from the mobile team.", "sarcasm"),  # mocking praise with a person named
        ("Love how the reviewer 'checked' the diff.", "sarcasm"),
        ("Nice of the on-call engineer to show up.", "sarcasm"),
        ("Tariq again.", "sarcasm"),
        ("The backups were never verified by the storage team.", "passive_blame"),  # negated, person agent
        ("If she'd tested the restore, we wouldn't have lost data.", "counterfactual"),
        ("What he should have done was escalate.", "counterfactual"),
        ("They clearly rushed the release.", "person_subject"),  # an adverb between subject and verb
        ("The vendor's support engineer misread the ticket.", "person_subject"),  # the owned noun is a person
        ("Mark wasted an hour debugging, but only after insisting the code was fine.", "person_subject"),
        ("Rajesh, once again, didn't run the tests.", "person_subject"),  # the subject before the commas
        ("Terraform didn't destroy anything; Kim did.", "fault"),  # a system cleared, a person named
        ("The script was fine, the person running it wasn't.", "fault"),
        ("I don't trust Ben's judgement anymore.", "trust"),
        ("She's not cut out for on-call.", "trust"),
        ("Our so-called expert deleted the backups.", "sarcasm"),
        ("The engineer responsible has been spoken to.", "sanction"),
        ("The rollback plan was never even read.", "passive_blame"),
        ("Ines's hasty rollback wiped the cache.", "fault"),
        ("Dana deleted the wrong table because she was tired.", "person_subject"),  # "the wrong" stays
        ("Lesson learned: Tomas needs more supervision.", "judgement"),
        ("Follow-up: make sure Priya actually reads the runbook.", "sanction"),  # a remedy aimed at a person
        ("Action item: remind Luis not to deploy without approval.", "sanction"),
        ("Thanks to Hakan, we lost a day of orders.", "sarcasm"),
        ("The culprit was, unsurprisingly, Ivo.", "fault"),
        ("The whole outage is on Farid.", "fault"),
        ("Gosia should never have been given admin rights.", "trust"),
        ("14:20 UTC - the deploy by @kwame broke auth", "person_subject"),  # an action with its person
        ("re: INC-88 tbh alex should've known better", "hindsight"),  # a ticket id before the subject
        ("ugh, ops forgot to renew the cert", "person_subject"),  # a team in lower case
        ("There's no excuse for Olu not checking the replica first.", "fault"),
        ("If it weren't for Theo, we'd have been fine.", "fault"),
        ("Another day, another outage courtesy of the data team.", "fault"),
        ("It's always Kevin's deploys that page us at night.", "fault"),  # habitual blame in a cleft
        ("Tyler was warned twice and still pushed the change.", "judgement"),
        ("The on-call had one job.", "judgement"),
        ("They were too busy to look at the dashboards.", "person_subject"),
        ("The team lead signed off without even opening the PR.", "person_subject"),
        ("Nadia nuked the staging database.", "person_subject"),
        ("The platform team keeps shipping broken releases.", "person_subject"),
        ("Jakub should be kept away from the release process.", "trust"),
        ("At this point I assume anything Ola touches will break.", "trust"),
        ("Way to go, Hugo, prod is down again.", "sarcasm"),
        ("Loved the part where Zainab deleted the only backup.", "sarcasm"),
        ("Maybe next time Kaito could try reading the error message.", "sarcasm"),
        ("I guess testing is for other people, right Dev?", "sarcasm"),
        ("Anyone paying attention would have caught it.", "counterfactual"),  # an indefinite with a modifier
        ("Clearly, Goran didn't think it through.", "person_subject"),
        ("You'd think a senior engineer would know not to do that.", "sarcasm"),
        ("Our DBA's refusal to follow the change process caused the outage.", "person_subject"),
        ("The contractor's shoddy work on the firewall exposed the database.", "fault"),
        ("The release captain dropped the ball on the go/no-go check.", "person_subject"),
        ("The interns keep breaking staging.", "person_subject"),
        ("The alarm was acknowledged and then ignored by Piet.", "passive_blame"),  # an elided auxiliary
        ("The freeze was broken by someone on the payments team.", "passive_blame"),
        ("It wasn't Kubernetes, it was the person who wrote the manifest.", "fault"),  # system cleared
        ("Going forward, Ines will double-check her work.", "judgement"),
    ],
)
def test_sentence_wide_parts_fire_on_their_pattern(text, rule):
    assert rule in rules(text)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("tbh this is on sarah, she merged w/o review", "fault"),  # a lower-case name in chat-style text
        ("lol @dk broke prod again", "person_subject"),  # an @mention is a person, whatever the handle
        ("root cause = tom's fat finger on the delete command", "fault"),
        ("whoever wrote the cleanup script shoudl have tested it", "counterfactual"),  # a swapped-letter typo
    ],
)
def test_chat_style_text_is_read_like_prose(text, rule):
    assert rule in rules(text)


@pytest.mark.parametrize(
    "text",
    [
        "It was Mateo who first noticed the spike in errors.",  # a cleft that says what someone did
        "The cause was a race between two cron jobs.",
        "Calling it carelessness would hide that both buttons looked the same.",  # a judgement denied
        "Nobody acted recklessly; the deploy followed the documented process.",
        "The word 'obviously' came up, and we agreed it was only obvious afterwards.",  # mentioned, not used
        "If the graphs had shown per-shard latency, the hot shard would have been obvious.",
        "Had the alert named the host, the responder could have acted in minutes.",  # what a better system allows
        "Anyone following the runbook would have run the same command.",  # the substitution test
        "If the engineer had known the script was not idempotent, would they have run it again?",
        "We trust the on-call to make judgement calls without waiting for approval.",  # a permission
        "Genius move by the retry library: retry forever, no jitter.",  # irony about a system
        "Great, the pager went silent right when we needed it.",
        "Of course the one node without monitoring is the one that filled up.",
        "The checklist simply did not cover this case.",
        "The alert was not seen by the on-call because it went to an old channel.",  # what reached people
        "lena: seeing timeouts on payments-api, anyone else?",
        "priya turned off the flapping alert at 03:10, per the known-issues doc",
        "Thanks to Femi for writing the timeline so quickly.",  # a name only names-dataset knows
        "Summer and Grace joined the bridge at 11:05.",  # given names that are English words
        "Ana deleted the stale DNS records as planned.",  # an ordinary verb carrying out the plan
        "The DBA dropped the unused index during the maintenance window.",
        "The on-call engineer missed the page because the carrier dropped SMS delivery.",  # the system explains
        "Bo broke the migration into three smaller changes.",
        "Mina forgot nothing: the checklist had no step for the replica.",
        "Her review caught the missing index before it shipped.",
        "If Ana had been paged, she would have joined.",  # something done to the person
        "Human error was our first guess, but the logs showed the tool picked the default region.",
        "Kim's typo fix was merged at 11:00.",
        "The pager is on Farid this week.",
        "The incident commander was Farid.",
        "The culprit was a stale DNS cache on the resolvers.",
        "Whoever wrote this query could not have known the table would grow.",  # local rationality
        "We're going to talk to the vendor about the rate limits.",
        "Make sure the on-call has the runbook link.",
        "Bianca deleted the bucket after the retention review approved it.",
        "We just rolled back the release and errors are dropping.",  # "just" as "a moment ago"
        "The engineer could have used a safer command, but the tool offered no dry run.",
        "Brilliant work by the support team keeping customers informed during the outage.",
        "sev2 because the canary stage was skipped by the pipeline for docs-only changes",
        "Any engineer on the rotation could have hit this, given the same runbook.",
        "Obviously-named metrics would help; 'queue_depth_2' told nobody anything.",
        "Mohammed rotated the leaked secret within ten minutes of the alert.",
        "Kai drained the node without dropping a single request.",  # a failure said not to have happened
        "The incident commander asked everyone except the database team to drop off the call.",
        "She was left alone on the rotation because two people were sick.",
        "If it weren't for the canary, the bad build would have reached every region.",
        "Rich deleted the stale DNS zone after the migration was verified.",
        "Way to go, team: the restore finished an hour ahead of plan.",
        "Impressive work by Stefan restoring the cluster from scratch.",
        "Maybe next time the alert text could include the error message.",
        "It should have been obvious from the dashboard, but the panel was collapsed by default.",
        "The signs were there in the metrics, but no alert watched that metric.",
        "No one is to blame here: the system let a normal action have an outsized effect.",
        "The term human error appears nowhere in our root-cause section, by design.",
        "Our DBA's change request was approved through the normal process.",
        "The freeze was lifted by the release manager at 09:00.",
        "It wasn't Kubernetes; the manifest requested more memory than the node had.",
    ],
)
def test_the_neutral_side_of_the_sentence_wide_parts(text):
    assert rules(text) == set()


def test_a_call_to_punish_is_explained_and_reworded_without_its_rule_key():
    (finding,) = [f for f in check_text("Whoever merged this should be fired.") if f.rule == "sanction"]
    assert finding.label == LABELS["sanction"]
    assert "sanction" not in finding.reason
    assert "safeguard" in finding.suggestion
