"""Demo: the GitLab.com incident's blameless review, from the facts in `shared/data/README.md`, in our words.

`load_gitlab_review` (run by `load_demo` through `incidents.demo.LOADERS`, after the follow-through demo)
gives the incident contributing factors in six categories with their evidence, links the follow-through
demo's action items to them, answers the detection and change questions (linking the access-control
finding the follow-through demo opened), records a
meeting, and a postmortem taken through the whole workflow: written by the scribe, changes requested by
the database lead, revised, approved by both reviewers and published by the commander. It goes through the
services like any other write and is idempotent: once the postmortem exists nothing is added again.
"""

from __future__ import annotations

from incidents.demo import gitlab as demo_gitlab
from incidents.demo import people as demo_people
from incidents.followup.services import items as services_items
from incidents.models import (
    ActionItem,
    ContributingFactor,
    FactorCategory,
    Postmortem,
    PostmortemTemplate,
    ReviewDecision,
    TestType,
)
from incidents.review.services import factors as services_factors
from incidents.review.services import postmortems as services_postmortems
from incidents.review.services import reviews

SECTIONS_V2 = {
    "summary": (
        "On 31 January 2017 at 23:27 UTC a command meant to clear the data directory of the secondary "
        "database ran on the primary. About 300 GB of 310 GB was removed before it was stopped. None of "
        "the regular backups could be restored, so GitLab.com was restored from a manual LVM snapshot "
        "taken at 17:20 for staging. The site was back at 18:14 UTC on 1 February, 18 h 47 min after "
        "the data was removed."
    ),
    "impact": (
        "| What | How much |\n| --- | --- |\n"
        "| GitLab.com unavailable | 18 h 47 min (23:27 to 18:14 UTC) |\n"
        "| Database changes lost | made between about 17:20 and 00:00 UTC on 31 January |\n"
        "| Projects lost | about 5,000 |\n| Comments lost | about 5,000 |\n| New user accounts lost | about 700 |\n\n"
        "Git repositories and wikis were unavailable during the outage but lost nothing."
    ),
    "trigger": (
        "Replication to the secondary had stopped because the primary had already removed the WAL "
        "segments it needed. While re-seeding the secondary, a command to empty its data directory "
        "(`rm -rf` on the PostgreSQL data path) was run in a shell connected to the primary."
    ),
    "detection": (
        "The person who ran the command saw within a minute that the production data directory was "
        "nearly empty and the site was down. Detection of the *earlier* problem was much slower: the "
        "`pg_dump` backups had been empty for some time and nothing alerted, because the failure emails "
        "were rejected by the mail policy."
    ),
    "response": (
        "Responders were paged at 22:00 for replication lag. `pg_basebackup` hung without output, and "
        "`max_connections` was lowered from 8,000 to 2,000 while debugging. After 23:27 every backup "
        "mechanism was checked in turn: `pg_dump` output was empty (a version mismatch), disk snapshots "
        "had never been enabled for the database hosts, and replication was no help."
    ),
    "recovery": (
        "The staging database, restored from the 17:20 snapshot, was backed up at 00:36 and then copied "
        "to production. The staging disks were slow, so the copy took about 18 hours."
    ),
    "went_well": (
        "- The wrong host was noticed within a minute and the command was stopped.\n"
        "- The 17:20 snapshot existed and was usable.\n"
        "- The recovery was shared openly in a live document and a stream."
    ),
    "went_wrong": (
        "- Five backup and replication mechanisms were in place and none could restore the data.\n"
        "- Backup failures produced no alert anyone saw.\n"
        "- The copy from staging ran on slow disks."
    ),
    "got_lucky": (
        "- A snapshot had been taken for an unrelated reason six hours earlier.\n"
        "- Git repositories and wikis live outside the database and lost nothing."
    ),
    "surprised": (
        "We believed we had several independent backups. In practice they shared one blind spot: "
        "nothing ever restored them, so no test or alert could show that they were empty."
    ),
    "lessons": (
        "1. A backup that has never been restored is not a backup: restore tests belong in the schedule.\n"
        "2. The environment should make the host obvious before a destructive command runs.\n"
        "3. Data durability needs an owner."
    ),
}
CHANGES_REQUESTED = (
    "The trigger section should say what made the primary's shell easy to take for the secondary's, "
    "so the reader sees the system condition."
)
TRIGGER_V3 = SECTIONS_V2["trigger"] + (
    "\n\nBoth shells showed the same prompt: neither the host name nor the environment was visible, and "
    "nothing asked for confirmation before a destructive command on the production database host."
)
OPEN_QUESTIONS = (
    "- Why did the backup failure emails go unnoticed for so long?\n"
    "- What would a restore from the newest backup have taken if the snapshot had not existed?"
)
MEETING_NOTES = (
    "We walked the key moments from the 22:00 page to the 23:27 command. Discussion centred on why "
    "five backup mechanisms all failed at once; the group agreed the common cause was that none was "
    "ever restored. Action items below were agreed with their owners' teams."
)
# When each step of the review happened (UTC): after the resolution at 18:14 on 1 February, around the
# meeting on 8 February, published on 10 February 2017 as GitLab's own postmortem was.
STARTED_AT = demo_people.utc(2017, 2, 2, 9, 30)
FACTORS_AT = demo_people.utc(2017, 2, 8, 15, 30)  # recorded in the meeting
DRAFTED_AT = demo_people.utc(2017, 2, 3, 16, 0)
REVIEW_REQUESTED_AT = demo_people.utc(2017, 2, 6, 9, 0)
CHANGES_REQUESTED_AT = demo_people.utc(2017, 2, 7, 11, 20)
REVISED_AT = demo_people.utc(2017, 2, 8, 17, 0)
APPROVED_AT = (demo_people.utc(2017, 2, 9, 10, 0), demo_people.utc(2017, 2, 9, 14, 30))
PUBLISHED_AT = demo_people.utc(2017, 2, 10, 12, 0)
# Factor title -> (substrings of its evidence timeline entries, substrings of the action items it calls for).
# The action items themselves come from the follow-through demo (`incidents.demo.GITLAB_DEMO_ITEMS`).
FACTOR_LINKS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Abuse removal hard-deleted a reported account": (("spam accounts",), ("max_connections",)),
    "Shell prompts did not show host or environment": (
        ("runs on the **primary**", "hangs with no output"),
        ("shell prompt", "replication runbook"),
    ),
    "No point-in-time recovery and one secondary": (
        ("Backups are checked", "staging disks are slow"),
        (
            "point-in-time recovery",
            "LVM snapshots",
            "disk snapshots",
            "Run staging",
            "replicas",
            "backup tools",
            "streams",
        ),
    ),
    "Backup failures went unnoticed": (("Backups are checked",), ("Alert when a backup",)),
    "Backups had never been restored in a test": (
        ("Backups are checked",),
        ("Restore a backup automatically",),
    ),
    "One person could run a destructive command on production": (
        ("runs on the **primary**",),
        ("owner for data durability",),
    ),
}


def _factors(incident, author) -> dict[str, ContributingFactor]:
    existing = {f.title: f for f in ContributingFactor.objects.filter(incident=incident)}
    entries = list(incident.timeline_entries.filter(removed_at__isnull=True))
    for category, title, description in demo_gitlab.GITLAB_FACTORS:
        if title in existing:
            continue
        needles, _ = FACTOR_LINKS.get(title, ((), ()))
        evidence = [e for e in entries if any(n in e.body for n in needles)]
        existing[title] = services_factors.factor_create(
            incident=incident,
            actor=author,
            category=category,
            title=title,
            description=description,
            evidence_entries=evidence,
            missing_test_types=(
                [TestType.REGRESSION, TestType.INTEGRATION] if category == FactorCategory.TESTING_GAP else []
            ),
            at=FACTORS_AT,
        )
    return existing


def _link_items(incident, author, factors: dict[str, ContributingFactor]) -> None:
    items = list(ActionItem.objects.filter(incident=incident).order_by("id"))
    for title, (_, needles) in FACTOR_LINKS.items():
        chosen = [i for i in items if any(n.lower() in i.title.lower() for n in needles)]
        if title not in factors:
            continue
        # Items GitLab opened in 2017 were linked at the meeting; the open ones, dated from the day the
        # demo is loaded, are linked as they are created.
        for at, batch in (
            (FACTORS_AT, [i for i in chosen if i.created_at < FACTORS_AT]),
            (None, [i for i in chosen if i.created_at >= FACTORS_AT]),
        ):
            if batch:
                services_items.factor_link_action_items(
                    factor=factors[title], actor=author, items=batch, at=at
                )


def load_gitlab_review() -> None:
    """Factors, action items, questions, meeting and a published postmortem for the GitLab.com incident."""
    incident = demo_gitlab.gitlab_incident()
    if Postmortem.objects.filter(incident=incident).exists():
        return
    scribe, dba_lead, commander = (
        demo_people.demo_user("scribe"),
        demo_people.demo_user("dba-lead"),
        demo_people.demo_user("commander"),
    )
    factors = _factors(incident, dba_lead)
    _link_items(incident, dba_lead, factors)
    full = PostmortemTemplate.objects.filter(name="Full").first()
    pm = services_postmortems.postmortem_start(incident=incident, actor=scribe, template=full, at=STARTED_AT)
    pm = services_postmortems.postmortem_save(
        postmortem=pm, actor=scribe, sections=SECTIONS_V2, expected_version=pm.version, at=DRAFTED_AT
    )
    pm = services_postmortems.postmortem_answer_questions(
        postmortem=pm,
        actor=scribe,
        detection_method="employee",
        unnoticed_seconds=60,
        should_have_caught="A scheduled restore test, and an alert on missing or empty backups.",
        behind_feature_flag=False,
        staging_matched=False,
        staging_notes="Staging ran on slower disks, which made the restore take about 18 hours.",
        single_person_change=True,
    )
    attendees = [commander, scribe, dba_lead, demo_people.demo_user("dba"), demo_people.demo_user("comms")]
    pm = services_postmortems.postmortem_meeting_update(
        postmortem=pm,
        actor=scribe,
        meeting_at=demo_people.utc(2017, 2, 8, 15, 0),
        attendees=attendees,
        notes=MEETING_NOTES,
        open_questions=OPEN_QUESTIONS,
    )
    pm, _ = reviews.postmortem_request_review(
        postmortem=pm, actor=scribe, reviewers=[dba_lead, commander], at=REVIEW_REQUESTED_AT
    )
    reviews.postmortem_review_decide(
        postmortem=pm,
        actor=dba_lead,
        decision=ReviewDecision.CHANGES_REQUESTED,
        comment=CHANGES_REQUESTED,
        expected_version=pm.version,
        at=CHANGES_REQUESTED_AT,
    )
    pm = services_postmortems.postmortem_save(
        postmortem=pm,
        actor=scribe,
        sections={"trigger": TRIGGER_V3},
        expected_version=pm.version,
        at=REVISED_AT,
    )
    for reviewer, at in zip((dba_lead, commander), APPROVED_AT, strict=True):
        reviews.postmortem_review_decide(
            postmortem=pm,
            actor=reviewer,
            decision=ReviewDecision.APPROVED,
            expected_version=pm.version,
            at=at,
        )
    pm.refresh_from_db()
    reviews.postmortem_publish(postmortem=pm, actor=commander, at=PUBLISHED_AT)
