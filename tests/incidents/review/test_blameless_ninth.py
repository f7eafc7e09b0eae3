"""Issue 17's ninth pass: own sentences over the families of blame the ninth writer's tuning half showed weak
(read as families, never copied: none of these sentences is from a corpus in `data/`), and the families the
lead named weak on earlier held-back halves. Written before the parts they test and run once first (figures
in `data/README.md`).
"""

from __future__ import annotations

import pytest

from incidents.review.blameless import check_text

# a rotation read as a schedule, not as people
KNOWN_MISSES = {"The on-call rotation mishandled the escalation."}
KNOWN_FLAGGED: set[str] = set()

# Dekker's "old view": the human as the weak link, the failure mode, the common factor of the incidents
WEAK_LINK_BLAMING = [
    "The failure mode here was the operator, not the software.",
    "The weakest link in the chain was the human at the console.",
    "The common denominator in all four outages is the night-shift DBA.",
    "Honestly, the single point of failure is Kwame.",
    "The deciding factor was the release manager.",
    "The common thread across these incidents is the platform team.",
    "The weak link, as usual, was the people.",
    "Grace is the common factor in every one of these pages.",
]
WEAK_LINK_NEUTRAL = [
    "The failure mode was a full disk on the primary.",
    "The weakest link in the chain was the single config server.",
    "The common denominator in all four outages is the shared Redis cluster.",
    "The single point of failure is the one NAT gateway in eu-west-1.",
    "The deciding factor was the replication lag the dashboard showed.",
    "The common thread across these incidents is that each began during a deploy window.",
    "Grace is the common point of contact for the vendor.",
    "The human in the loop is the last safeguard, so the tool should show them the diff.",
]

# A team, a plural or "they" as the subject of a failure verb
TEAM_BLAMING = [
    "They fumbled the failover.",
    "Ops flubbed the cutover and the site stayed down.",
    "The data team muffed the schema change.",
    "Our contractors screwed up the firewall rules.",
    "The frontend folks goofed and cached the login page.",
    "The on-call rotation mishandled the escalation.",
    "The SREs fouled up the certificate renewal.",
    "The mobile devs shipped a build that crashed on launch.",
]
TEAM_NEUTRAL = [
    "They rehearsed the failover twice before the window.",
    "Ops cut over at 02:00 and the site came back.",
    "The data team applied the schema change with the migration tool.",
    "Our contractors documented the firewall rules.",
    "The frontend folks cached the login page as the design asked, and the CDN served stale sessions.",
    "The load balancer mishandled the health checks after the upgrade.",
    "The SREs renewed the certificate a week early.",
    "The mobile devs shipped a build that fixed the crash on launch.",
]

# A remedy aimed at the one responsible: the culprit singled out, then trained, restricted or recorded
CULPRIT_REMEDY_BLAMING = [
    "The engineer responsible will complete mandatory change-management training.",
    "The developer at fault will present what went wrong at the all-hands.",
    "Going forward, the person responsible will have every deploy approved by a lead.",
    "Whoever caused this will be written up.",
    "The responsible SRE is to be taken off the on-call rota until further notice.",
    "The offending engineer will attend a refresher course.",
    "The DBA who ran the script will be barred from production until she proves herself.",
    "The outage goes on the record of the engineer responsible.",
]
CULPRIT_REMEDY_NEUTRAL = [
    "The engineer responsible for the rota will add a second on-call for weekends.",
    "The person responsible for the runbook will add the missing failover step.",
    "Going forward, every deploy to production will be approved by a second engineer.",
    "The team responsible for the service will add an alert on replica lag.",
    "All engineers will complete the new change-management training by March.",
    "The DBA who ran the script will walk us through the confirmation prompt so we can redesign it.",
    "The outage goes on the service's reliability record for the quarter.",
    "Whoever is on call next week will test the new failover runbook.",
]

# Mock praise aimed at a team or a person, with no failure word needed
MOCK_PRAISE_BLAMING = [
    "Superb job as ever, networking.",
    "Way to go, security, locking everyone out of the VPN.",
    "Top-notch planning from the release crew there.",
    "Another spotless handover from our friends in infra.",
    "A truly world-class rollout by the mobile team.",
    "Outstanding vigilance from the night shift, as always.",
    "What a textbook response from our esteemed DBAs.",
    "Nothing says teamwork like the backend team pushing straight to main.",
]
MOCK_PRAISE_NEUTRAL = [
    "Great job, ops: the failover finished in four minutes with no data loss.",
    "Way to go, security: the phishing drill was reported by every team within the hour.",
    "Top-notch planning from the release crew meant the rollback took two minutes.",
    "Another spotless handover from infra: the notes listed every open alert.",
    "A truly world-class rollout by the mobile team, with zero crashes reported.",
    "The night shift spotted the disk filling and paged storage early.",
    "What a textbook failover the database did on its own.",
    "Nothing in the deploy tooling stopped a push straight to main.",
]

# A person's work, call or handling judged with a quality word
JUDGED_WORK_BLAMING = [
    "Her handling of the page was sloppy and distracted.",
    "It was a poor call by the on-call lead to skip the canary.",
    "Frankly the networking team did a lousy job on this one.",
    "The contractor's code was shoddy from the start.",
    "His runbook edits were half-hearted and incomplete.",
    "Tomasz's config is always a mess.",
    "That was an amateurish decision by the DBA.",
    "The vendor engineers' work was subpar and it showed.",
]
JUDGED_WORK_NEUTRAL = [
    "The runbook's handling of the failover was incomplete: it had no step for the replica.",
    "It was a reasonable call by the on-call lead to skip the canary, since the canary itself was down.",
    "The networking team did the cutover in twenty minutes.",
    "The config is a mess of overrides that nobody can read, which the migration will flatten.",
    "The dashboard's layout made the decision hard.",
    "His runbook edits were reviewed and merged the same day.",
    "The vendor's API was slow and returned partial pages.",
    "The old deploy script did a poor job of reporting which step failed.",
]

# Second round, written after the first was generalised and run once before its parts (figures in data/README.md)

# Hindsight held to a standard anyone would have met: "should have been apparent to anyone", "any seasoned

# engineer knows not to"
ANYONE_BLAMING = [
    "It ought to have been clear to anyone on the team that the cert was expiring.",
    "It should have been apparent to anybody who read the graphs for more than a minute that the disk was filling.",
    "Any seasoned engineer knows never to run migrations at peak.",
    "Every experienced DBA knows better than to drop an index on the primary.",
    "The outage was completely foreseeable, and nobody in ops foresaw it.",
    "Anyone with half a clue knows you don't restart all the brokers at once.",
]
ANYONE_NEUTRAL = [
    "The outage was not foreseeable from the dashboards we had.",
    "Any engineer knows where the runbook is, because it is linked in every alert.",
    "It was clear to anyone reading the new dashboard that the disk was filling, which is why we built it.",
    "Every DBA knows the failover command; what they lacked was a way to see which replica was current.",
    "The failure was foreseeable in the sense that the vendor had published the bug; we had no feed of their notices.",
    "Anyone on call can restart the brokers one at a time from the console.",
]

# Counterfactuals in other shapes: the condition after the main clause, the competence idiom, a plain past
COUNTERFACTUAL_BLAMING = [
    "Customers would never have noticed if the on-call had known what she was doing.",
    "The incident would have been caught in minutes if he read the alerts channel.",
    "We would have been fine if the DBA checked the replica before promoting it.",
    "None of this would have happened if the platform team knew what they were doing.",
]
COUNTERFACTUAL_NEUTRAL = [
    "We would have caught it in minutes if the alert had fired.",
    "The data would still be there had the backup job run that night.",
    "If the on-call saw the alert at all, the page would have said which region was failing.",
    "We would have been fine if the replica had been current.",
]

# Trust in a person's work or word lost, reliability denied
RELIABLE_BLAMING = [
    "Nobody should trust the on-call engineer's judgement after this.",
    "His estimates aren't reliable.",
    "Our vendor engineers have shown they are not dependable.",
    "We can no longer trust the release team's sign-off.",
    "Frankly her testing isn't trustworthy.",
]
RELIABLE_NEUTRAL = [
    "Nobody should trust the disk alert until its threshold is fixed.",
    "The vendor's API has shown it is not dependable under load.",
    "The release pipeline isn't reliable enough to run without a human check.",
    "We can no longer trust the staging data, so we will refresh it weekly.",
    "Her testing found the bug before the release.",
]

# Shame asked of people, an excuse denied them, values imputed to them, "we all know who"
SHAME_BLAMING = [
    "They ought to be ashamed of this rollout.",
    "The platform team should be embarrassed by how long this took.",
    "Noisy alerts don't excuse the on-call for ignoring the page.",
    "Apparently code review doesn't matter to the mobile team.",
    "Our SREs clearly don't believe in backups.",
    "Everybody knows who was behind this outage.",
]
SHAME_NEUTRAL = [
    "Nobody should feel ashamed of paging for help.",
    "We were embarrassed by how long the status page took to update, so we automated it.",
    "Noisy alerts explain why the on-call took twenty minutes to see the page.",
    "The linter doesn't care about trailing whitespace.",
    "Code review mattered to the team, so we made it required.",
    "We all know who to page for the database now that the rota is in the alert.",
]

# Third round, run once before its parts (figures in data/README.md)

# Probation, watch lists and "try harder": remedies aimed at one person or team
PROBATION_BLAMING = [
    "The new DBA stays off the primary until she has proven herself.",
    "Keep the platform team away from prod until they earn back our trust.",
    "Put the on-call's name in the channel topic so everyone knows who to keep an eye on.",
    "Track which engineers cause the most incidents so we know who to watch.",
    "The lesson for the data team is to try harder next time.",
    "The SREs must pull their socks up.",
    "Going forward, Bruno needs to get his act together.",
    "The contractors are on probation until they prove they can follow the change process.",
    "Leo stays off the deploy rota until he's proven himself.",
]
PROBATION_NEUTRAL = [
    "The new DBA stays off the primary until the failover drill is done, as every new DBA does.",
    "We put the on-call's name in the channel topic so everyone knows who to page.",
    "The lesson for us is that the runbook needs a step for the replica.",
    "Track which services cause the most incidents so we know where to invest.",
    "The new alert stays in shadow mode until it has proven itself for a week.",
    "The canary stays at one percent until it earns our trust with a clean week.",
    "The retry loop tries harder than it should: it never backs off.",
    "The feature flag is on probation until the error budget recovers.",
]

# Irony with no praise word: "at least <person> is consistent", glad a person was there to do nothing
IRONY_BLAMING = [
    "Well, at least the release team is consistent: fourth rollback this week.",
    "So glad the on-call was around to notice absolutely nothing.",
    "Good thing security was watching, they caught none of it.",
    "At least Omar is reliable: every Friday deploy breaks something.",
    "At least Priya's consistent, second revert today.",
]
IRONY_NEUTRAL = [
    "At least the backups are consistent: every one restored in the drill.",
    "So glad the on-call was around to notice the disk filling.",
    "Good thing security was watching: they caught the token in the first minute.",
    "At least the alert is reliable: it fired within a minute every time.",
    "At least Priya's consistent about writing the timeline as she goes.",
]


BLAMING = (
    WEAK_LINK_BLAMING
    + TEAM_BLAMING
    + CULPRIT_REMEDY_BLAMING
    + MOCK_PRAISE_BLAMING
    + JUDGED_WORK_BLAMING
    + ANYONE_BLAMING
    + COUNTERFACTUAL_BLAMING
    + RELIABLE_BLAMING
    + SHAME_BLAMING
    + PROBATION_BLAMING
    + IRONY_BLAMING
)
NEUTRAL = (
    WEAK_LINK_NEUTRAL
    + TEAM_NEUTRAL
    + CULPRIT_REMEDY_NEUTRAL
    + MOCK_PRAISE_NEUTRAL
    + JUDGED_WORK_NEUTRAL
    + ANYONE_NEUTRAL
    + COUNTERFACTUAL_NEUTRAL
    + RELIABLE_NEUTRAL
    + SHAME_NEUTRAL
    + PROBATION_NEUTRAL
    + IRONY_NEUTRAL
)


def _marks(sentences: list[str], known: set[str]) -> list[object]:
    return [
        pytest.param(s, marks=pytest.mark.xfail(strict=True, reason="known")) if s in known else s
        for s in sentences
    ]


@pytest.mark.parametrize("sentence", _marks(BLAMING, KNOWN_MISSES))
def test_a_blaming_sentence_of_the_ninth_round_is_flagged(sentence):
    assert check_text(sentence), sentence


@pytest.mark.parametrize("sentence", _marks(NEUTRAL, KNOWN_FLAGGED))
def test_a_near_miss_of_the_ninth_round_is_left_alone(sentence):
    assert not check_text(sentence), [(f.rule, f.text) for f in check_text(sentence)]


def test_the_new_parts_explain_themselves():
    for sentence, words in [
        ("The weakest link in the chain was the human at the console.", "weakest link"),
        ("The engineer responsible will complete mandatory change-management training.", "responsible"),
        ("Top-notch planning from the release crew there.", "Top-notch"),
        ("Frankly the networking team did a lousy job on this one.", "lousy job"),
        ("Any seasoned engineer knows never to run migrations at peak.", "knows never to"),
        ("Everybody knows who was behind this outage.", "who was behind"),
    ]:
        (finding, *_) = check_text(sentence)
        assert words in "".join(t for t, h in finding.context if h), (sentence, finding.context)
        assert finding.reason
        assert finding.suggestion
        assert "_" not in finding.label
