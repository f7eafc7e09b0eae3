from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from incidents.demo.people import demo_service, demo_team, demo_user, utc
from incidents.incident.services.declare import incident_declare
from incidents.incident.services.edits import incident_assign_roles, incident_update
from incidents.incident.services.lifecycle import incident_resolve
from incidents.models import DetectionMethod, EntryKind, EntrySource, EvidenceMarker, Incident
from incidents.timeline import services as timeline_services

GITLAB_DEDUP_KEY = "demo:gitlab-2017-01-31"


# --- The GitLab.com database outage, 31 January 2017 ---------------------------------------------------------
GITLAB_STARTED_AT = utc(2017, 1, 31, 23, 27)
GITLAB_DETECTED_AT = utc(2017, 1, 31, 23, 28)  # noticed within a minute, by the person who ran the command
GITLAB_RESOLVED_AT = utc(2017, 2, 1, 18, 14)  # site back online; impact duration 18 h 47 min

GITLAB_TITLE = "GitLab.com down: production database directory removed"
# One line a paragraph or list item: the renderer keeps a line break (nl2br), so a hard-wrapped line would
# show as a ragged break on a phone.
GITLAB_SUMMARY = (
    "While the team was repairing database replication under heavy load, a command meant to empty the "
    "**secondary** database's data directory ran on the **primary**. About 300 GB of 310 GB was gone before "
    "it was stopped. None of the regular backups could be restored, so the site came back from a snapshot "
    "taken six hours earlier for staging, copied over slow disks.\n\n"
    "Database changes made between about 17:20 and 00:00 UTC were lost. Git repositories and wikis lost "
    "nothing.\n"
)
GITLAB_CUSTOMER_IMPACT = (
    "- GitLab.com unavailable for 18 h 47 min (31 January 23:27 to 1 February 18:14 UTC).\n"
    "- Lost database changes from about 17:20 to 00:00 UTC on 31 January: roughly 5,000 projects, "
    "5,000 comments and 700 new user accounts.\n"
    "- Git repositories and wikis were unavailable during the outage but lost no data.\n"
)


@dataclass(frozen=True)
class DemoEntry:
    occurred_at: datetime
    kind: str
    body: str
    author: str = "commander"  # a DemoPerson key
    evidence: str = ""
    knew_then: str = ""
    is_key_moment: bool = False


# Context before the start (17:20 to 23:00) explains how the system got into the state where one command
# could do so much damage; entries after 23:28 are the response and the recovery.
GITLAB_TIMELINE: list[DemoEntry] = [
    DemoEntry(
        utc(2017, 1, 31, 17, 20),
        EntryKind.CHANGE,
        "A manual LVM snapshot of the production database is taken to load into staging. "
        "Nobody knows yet that it will be the only usable restore point.",
        author="dba",
    ),
    DemoEntry(
        utc(2017, 1, 31, 19, 0),
        EntryKind.OBSERVATION,
        "Database load climbs (time approximate): spam accounts are creating large numbers of snippets.",
        author="dba",
    ),
    DemoEntry(
        utc(2017, 1, 31, 21, 0),
        EntryKind.OBSERVATION,
        "The load locks up database writes; the site is down for short periods.",
        author="dba",
    ),
    DemoEntry(
        utc(2017, 1, 31, 22, 0),
        EntryKind.ESCALATION,
        "Responders paged: replication to the secondary is lagging, then stops. The primary has already "
        "removed the WAL segments the secondary needs, so it must be re-seeded.",
        author="commander",
        knew_then="Replication has stopped. Nobody knows that the regular backups are empty.",
    ),
    DemoEntry(
        utc(2017, 1, 31, 23, 0),
        EntryKind.ACTION,
        "Re-seeding the secondary with `pg_basebackup` hangs with no output (time approximate). "
        "`max_connections` is lowered from 8,000 to 2,000 while debugging.",
        author="dba",
        evidence=EvidenceMarker.DIAGNOSIS,
        knew_then="pg_basebackup prints no progress, so a hang and a slow start look the same.",
    ),
    DemoEntry(
        utc(2017, 1, 31, 23, 27),
        EntryKind.ACTION,
        "A command meant to clear the secondary's data directory runs on the **primary**. It is stopped "
        "after a second or two; about 300 GB of 310 GB is already gone.",
        author="dba",
        evidence=EvidenceMarker.KEY_MOMENT,
        is_key_moment=True,
        knew_then="Both shells looked alike: the prompt did not show which host or environment it was.",
    ),
    DemoEntry(
        utc(2017, 1, 31, 23, 28),
        EntryKind.DETECTION,
        "The wrong host is noticed at once: the production data directory is nearly empty and GitLab.com "
        "is down.",
        author="dba",
        evidence=EvidenceMarker.DETECTION,
    ),
    DemoEntry(
        utc(2017, 1, 31, 23, 30),
        EntryKind.OBSERVATION,
        "Backups are checked one by one (from about 23:30 onward). The regular `pg_dump` backups are "
        "empty: the tool's version did not match the server, and the failure emails were rejected by the "
        "mail policy. Disk snapshots were never enabled for the database hosts. Replication is no help.",
        author="dba-lead",
        evidence=EvidenceMarker.DIAGNOSIS,
        knew_then="The 17:20 LVM snapshot on staging is the newest copy that can be restored.",
    ),
    DemoEntry(
        utc(2017, 1, 31, 23, 45),
        EntryKind.DECISION,
        "Decision: restore production from the 17:20 staging snapshot, accepting the loss of about six "
        "hours of database changes (time approximate).",
        author="commander",
        evidence=EvidenceMarker.REPAIR,
    ),
    DemoEntry(
        utc(2017, 2, 1, 0, 36),
        EntryKind.ACTION,
        "The staging database (restored from the 17:20 snapshot) is backed up before anything else "
        "touches it.",
        author="dba",
        evidence=EvidenceMarker.REPAIR,
    ),
    DemoEntry(
        utc(2017, 2, 1, 1, 0),
        EntryKind.ACTION,
        "Data is copied from staging back to production (most of 1 February). The staging disks are slow, "
        "so the copy takes about 18 hours.",
        author="dba",
        evidence=EvidenceMarker.REPAIR,
    ),
    DemoEntry(
        utc(2017, 2, 1, 1, 15),
        EntryKind.COMMUNICATION,
        "Status page and social media updated: GitLab.com is down for emergency database maintenance; "
        "a live document tracks the recovery (time approximate).",
        author="comms",
    ),
]

# Contributing factors, recorded as timeline notes until the review (issue 4) turns them into
# ContributingFactor rows. (FactorCategory value, title, description)
GITLAB_FACTORS: list[tuple[str, str, str]] = [
    (
        "code_change",
        "Abuse removal hard-deleted a reported account",
        "An abuse-removal job hard-deleted a reported employee account, adding database load on top of "
        "the spam.",
    ),
    (
        "environment",
        "Shell prompts did not show host or environment",
        "Production and secondary shells looked the same; `pg_basebackup` gave no progress output; the "
        "replication runbook was thin.",
    ),
    (
        "infrastructure",
        "No point-in-time recovery and one secondary",
        "One primary and one secondary; no WAL archiving or point-in-time recovery; disk snapshots off for "
        "the database hosts; restores came from slow staging disks.",
    ),
    (
        "monitoring_gap",
        "Backup failures went unnoticed",
        "The backup job's failure emails were rejected by the mail policy, so empty backups raised no alarm.",
    ),
    (
        "testing_gap",
        "Backups had never been restored in a test",
        "No regression or integration test restored a backup, so nobody knew none of them worked.",
    ),
    (
        "access_control",
        "One person could run a destructive command on production",
        "A destructive command could be run on the production database host by one person with no second "
        "check, and nobody owned data durability.",
    ),
]
GITLAB_FACTORS_NOTED_AT = utc(2017, 2, 10, 12, 0)  # the day the written postmortem was published

# Paraphrased action items from the postmortem, for the follow-through demo (issue 5): (title, type).
GITLAB_ACTION_ITEMS: list[tuple[str, str]] = [
    ("Make shell prompts show host and environment clearly", "prevent"),
    ("Monitor backups and alert on missing or empty ones", "detect"),
    ("Set max_connections to a sane value", "prevent"),
    ("Investigate point-in-time recovery with continuous archiving", "mitigate"),
    ("Take hourly LVM snapshots of the production databases", "mitigate"),
    ("Enable disk snapshots for the database hosts", "mitigate"),
    ("Move staging to the same environment as production", "mitigate"),
    ("Recover the production replicas", "mitigate"),
    ("Test backup restores automatically and regularly", "detect"),
    ("Improve the replication runbooks", "process"),
    ("Evaluate dedicated PostgreSQL backup tools", "mitigate"),
    ("Build a streaming database restore", "mitigate"),
    ("Assign an owner for data durability", "process"),
]


def gitlab_incident() -> Incident:
    """The demo GitLab.com incident. Raises Incident.DoesNotExist before `load_gitlab_incident` ran."""
    return Incident.objects.get(dedup_key=GITLAB_DEDUP_KEY)


def factor_note_body(category: str, title: str, description: str) -> str:
    """The Markdown body of a contributing-factor timeline note (kept stable: it is the note's natural key)."""
    label = category.replace("_", " ")
    return f"**Contributing factor ({label}): {title}.** {description}"


def _add_entry_once(incident: Incident, entry: DemoEntry) -> None:
    exists = incident.timeline_entries.filter(occurred_at=entry.occurred_at, body=entry.body).exists()
    if not exists:
        timeline_services.timeline_entry_add(
            incident=incident,
            actor=demo_user(entry.author),
            body=entry.body,
            kind=entry.kind,
            occurred_at=entry.occurred_at,
            source=EntrySource.IMPORT,
            evidence=entry.evidence,
            knew_then=entry.knew_then,
            is_key_moment=entry.is_key_moment,
        )


def load_gitlab_incident() -> None:
    """Declare, staff and resolve the GitLab.com incident once; then add any timeline entry not yet there.

    Impact started 2017-01-31 23:27 UTC and ended 2017-02-01 18:14 UTC, so the incident page shows an
    impact duration of 18 h 47 min. Acknowledgement time is not in the public record and stays unknown.
    """
    commander = demo_user("commander")
    if not Incident.objects.filter(dedup_key=GITLAB_DEDUP_KEY).exists():
        incident = incident_declare(
            actor=commander,
            title=GITLAB_TITLE,
            severity="SEV1",
            started_at=GITLAB_STARTED_AT,
            detected_at=GITLAB_DETECTED_AT,
            declared_at=GITLAB_DETECTED_AT,  # declared when noticed, not on the day the demo is loaded
            detection_method=DetectionMethod.EMPLOYEE,
            summary=GITLAB_SUMMARY,
            services=[demo_service("gitlab-web"), demo_service("postgresql"), demo_service("backups")],
            commander=commander,
            dedup_key=GITLAB_DEDUP_KEY,
        )
        incident.teams.add(demo_team("platform"), demo_team("database"))
        incident_update(incident=incident, actor=commander, customer_impact=GITLAB_CUSTOMER_IMPACT)
        incident_assign_roles(
            incident=incident,
            actor=commander,
            communications_lead=demo_user("comms"),
            scribe=demo_user("scribe"),
            at=GITLAB_DETECTED_AT,
        )
        incident_resolve(
            incident=incident,
            actor=commander,
            at=GITLAB_RESOLVED_AT,
            note="GitLab.com is back online, restored from the 17:20 snapshot.",
        )
    incident = gitlab_incident()
    for entry in GITLAB_TIMELINE:
        _add_entry_once(incident, entry)


def load_gitlab_factor_notes() -> None:
    """The contributing factors as timeline notes (until the review turns them into factors)."""
    incident = gitlab_incident()
    for category, title, description in GITLAB_FACTORS:
        _add_entry_once(
            incident,
            DemoEntry(
                GITLAB_FACTORS_NOTED_AT,
                EntryKind.NOTE,
                factor_note_body(category, title, description),
                author="dba-lead",
            ),
        )
