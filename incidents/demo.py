"""Demo data for `python manage.py load_demo` (and so for `make run`).

The demo is a handful of teams, people in several time zones, services, and the GitLab.com database
outage of 31 January 2017, written in our own words from the public postmortem facts in
`shared/data/README.md`.

How it is organised, so later work can extend it:
- each part is a small loader function with no arguments (`load_people`, `load_services`,
  `load_gitlab_incident`, ...); `LOADERS` lists them in the order `load_demo` runs them;
- every loader is idempotent by natural keys (user email, team and service slug, the incident's
  `dedup_key`, a timeline entry's (incident, occurred_at, body)), so running the command twice changes
  nothing; writes go through the services, like every other write;
- later loaders find earlier rows with `demo_user("commander")`, `demo_team("platform")`,
  `demo_service("gitlab-web")` and `gitlab_incident()`.

To add a part (the review and postmortem, action items, a policy finding...): write
`def load_gitlab_review() -> None:` in this module (or your own module) and append it to `LOADERS`
below the existing ones. `GITLAB_FACTORS` and `GITLAB_ACTION_ITEMS` hold the facts you need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction

from accounts.models import Membership, Team, User
from incidents import services
from incidents.models import DetectionMethod, EntryKind, EntrySource, EvidenceMarker, Incident, Service

DEMO_PASSWORD = "hindsight-demo"  # noqa: S105 - the documented demo sign-in, printed by `make run`
GITLAB_DEDUP_KEY = "demo:gitlab-2017-01-31"


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """An aware UTC datetime (the demo's facts are all in UTC)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- People and teams -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class DemoPerson:
    key: str
    email: str
    display_name: str
    time_zone: str
    memberships: tuple[tuple[str, str], ...] = ()  # (team slug, Membership.Role)
    is_staff: bool = False


DEMO_TEAMS: list[tuple[str, str, str]] = [
    ("platform", "Platform", "Runs the web application and its deploys."),
    ("database", "Database", "Owns the PostgreSQL clusters, replication and backups."),
    ("support", "Support", "Talks to customers during and after incidents."),
]

# Owners are roles, not people: the names say what each demo person does.
DEMO_PEOPLE: list[DemoPerson] = [
    DemoPerson(
        "commander",
        "commander@example.com",
        "Casey (incident commander)",
        "Europe/Amsterdam",
        (("platform", Membership.Role.LEAD), ("database", Membership.Role.RESPONDER)),
    ),
    DemoPerson("admin", "admin@example.com", "Avery (admin)", "Europe/London", is_staff=True),
    DemoPerson(
        "dba",
        "dba@example.com",
        "Dana (database engineer)",
        "Pacific/Auckland",
        (("database", Membership.Role.RESPONDER),),
    ),
    DemoPerson(
        "dba-lead",
        "dba-lead@example.com",
        "Devon (database lead)",
        "America/New_York",
        (("database", Membership.Role.LEAD),),
    ),
    DemoPerson(
        "scribe",
        "scribe@example.com",
        "Sam (scribe)",
        "America/Los_Angeles",
        (("platform", Membership.Role.RESPONDER),),
    ),
    DemoPerson(
        "comms",
        "comms@example.com",
        "Cameron (communications lead)",
        "Asia/Kolkata",
        (("support", Membership.Role.RESPONDER),),
    ),
    DemoPerson(
        "viewer",
        "viewer@example.com",
        "Vic (support viewer)",
        "UTC",
        (("support", Membership.Role.VIEWER),),
    ),
]


def demo_user(key: str) -> User:
    """The demo user with `key` (`commander`, `admin`, `dba`, ...). Raises User.DoesNotExist before load."""
    person = next(p for p in DEMO_PEOPLE if p.key == key)
    return User.objects.get(email=person.email)


def demo_team(slug: str) -> Team:
    return Team.objects.get(slug=slug)


def demo_service(slug: str) -> Service:
    return Service.objects.get(slug=slug)


def load_people() -> None:
    """Teams, users and memberships. A user is created once with the demo password; later runs leave it be."""
    for slug, name, description in DEMO_TEAMS:
        Team.objects.get_or_create(slug=slug, defaults={"name": name, "description": description})
    for person in DEMO_PEOPLE:
        user = User.objects.filter(email=person.email).first()
        if user is None:
            user = User(
                email=person.email,
                display_name=person.display_name,
                time_zone=person.time_zone,
                is_staff=person.is_staff,
                is_superuser=person.is_staff,
            )
            # Set directly: the demo password is documented, so the strength validators do not apply.
            user.set_password(DEMO_PASSWORD)
            user.save()
        for team_slug, role in person.memberships:
            Membership.objects.get_or_create(user=user, team=demo_team(team_slug), defaults={"role": role})


# --- Services ---------------------------------------------------------------------------------------------
DEMO_SERVICES: list[tuple[str, str, str, str]] = [
    ("gitlab-web", "GitLab.com web application", "platform", "The site, issues, merge requests and API."),
    ("postgresql", "Production PostgreSQL", "database", "Primary and secondary database hosts."),
    ("backups", "Database backups", "database", "pg_dump backups, LVM and disk snapshots."),
    ("git-storage", "Git repository storage", "platform", "Git repositories and wikis."),
]


def load_services() -> None:
    """Services and the teams that own them."""
    for slug, name, team_slug, description in DEMO_SERVICES:
        Service.objects.get_or_create(
            slug=slug, defaults={"name": name, "team": demo_team(team_slug), "description": description}
        )


# --- The GitLab.com database outage, 31 January 2017 ---------------------------------------------------------
GITLAB_STARTED_AT = utc(2017, 1, 31, 23, 27)
GITLAB_DETECTED_AT = utc(2017, 1, 31, 23, 28)  # noticed within a minute, by the person who ran the command
GITLAB_RESOLVED_AT = utc(2017, 2, 1, 18, 14)  # site back online; impact duration 18 h 47 min

GITLAB_TITLE = "GitLab.com down: production database directory removed"
GITLAB_SUMMARY = """\
While the team was repairing database replication under heavy load, a command meant to empty the
**secondary** database's data directory ran on the **primary**. About 300 GB of 310 GB was gone before it
was stopped. None of the regular backups could be restored, so the site came back from a snapshot taken
six hours earlier for staging, copied over slow disks.

Database changes made between about 17:20 and 00:00 UTC were lost. Git repositories and wikis lost nothing.
"""
GITLAB_CUSTOMER_IMPACT = """\
- GitLab.com unavailable for 18 h 47 min (31 January 23:27 to 1 February 18:14 UTC).
- Lost database changes from about 17:20 to 00:00 UTC on 31 January: roughly 5,000 projects,
  5,000 comments and 700 new user accounts.
- Git repositories and wikis were unavailable during the outage but lost no data.
"""


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
        services.timeline_entry_add(
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
        incident = services.incident_declare(
            actor=commander,
            title=GITLAB_TITLE,
            severity="SEV1",
            started_at=GITLAB_STARTED_AT,
            detected_at=GITLAB_DETECTED_AT,
            detection_method=DetectionMethod.EMPLOYEE,
            summary=GITLAB_SUMMARY,
            services=[demo_service("gitlab-web"), demo_service("postgresql"), demo_service("backups")],
            commander=commander,
            dedup_key=GITLAB_DEDUP_KEY,
        )
        incident.teams.add(demo_team("platform"), demo_team("database"))
        services.incident_update(incident=incident, actor=commander, customer_impact=GITLAB_CUSTOMER_IMPACT)
        services.incident_assign_roles(
            incident=incident,
            actor=commander,
            communications_lead=demo_user("comms"),
            scribe=demo_user("scribe"),
            at=GITLAB_DETECTED_AT,
        )
        services.incident_resolve(
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


def load_gitlab_review() -> None:
    """Factors, action items and the published postmortem of the GitLab.com incident (`incidents/demo_review.py`)."""
    from incidents.demo_review import load_gitlab_review as load

    load()


# The order `load_demo` runs them in. Append new loaders at the end (or after what they need).
LOADERS: list[Callable[[], None]] = [
    load_people,
    load_services,
    load_gitlab_incident,
    load_gitlab_factor_notes,
]


def load_demo(log: Callable[[str], None] | None = None) -> None:
    """Run every loader in `LOADERS` in one transaction: all of the demo is loaded, or none of it."""
    with transaction.atomic():
        for loader in LOADERS:
            loader()
            if log:
                log(f"  {loader.__name__}: done")


# --- Follow-through: the GitLab action items and the access-control finding (issue 5) ------------------------
@dataclass(frozen=True)
class DemoItem:
    title: str
    type: str
    priority: str
    owner: str  # a DemoPerson key
    team: str  # a team slug
    due_in_days: int  # from today in the owner's zone; negative = overdue while open
    status: str = "open"
    note: str = ""  # completion note, or what a blocked item waits on
    success_criteria: str = ""
    recheck_in_days: int | None = None
    for_finding: bool = False


# Our own wording of the postmortem's action items (GITLAB_ACTION_ITEMS), with owners, priorities and due
# dates chosen so that the demo shows every state: overdue, due this week, later, blocked, done with a
# re-check due, and a remediation item of the policy finding.
GITLAB_DEMO_ITEMS: list[DemoItem] = [
    DemoItem(
        "Show the host name and environment in every shell prompt, production in red",
        "prevent", "P1", "scribe", "platform", -20, status="done",
        note="Prompts on every database host now read `PRODUCTION db1` in red; staging is green.",
        success_criteria="Nobody types a command on the wrong host because the prompt looked the same.",
        recheck_in_days=-2,
    ),
    DemoItem(
        "Alert when a backup is missing, empty or much smaller than the last one",
        "detect", "P1", "dba", "database", -5, status="in_progress",
        success_criteria="A deliberately emptied test backup pages the database on-call within an hour.",
    ),
    DemoItem(
        "Set max_connections from measured load instead of 8,000",
        "prevent", "P2", "dba", "database", -10, status="done",
        note="Set to 2,000 after a week of connection-count graphs; pgbouncer absorbs the peaks.",
    ),
    DemoItem(
        "Investigate point-in-time recovery with continuous WAL archiving",
        "mitigate", "P2", "dba-lead", "database", 4,
    ),
    DemoItem(
        "Take hourly LVM snapshots of the production database hosts",
        "mitigate", "P1", "dba", "database", -2,
    ),
    DemoItem(
        "Turn on disk snapshots for the database hosts",
        "mitigate", "P1", "dba-lead", "database", -8, status="blocked",
        note="The cloud provider's snapshot quota increase for the database project.",
    ),
    DemoItem(
        "Run staging on the same kind of hosts and disks as production",
        "mitigate", "P3", "commander", "platform", 60,
    ),
    DemoItem(
        "Rebuild the production replicas and confirm replication is healthy",
        "mitigate", "P1", "dba", "database", -15, status="done",
        note="Two replicas rebuilt from a fresh base backup; replication lag under one second for 48 hours.",
    ),
    DemoItem(
        "Restore a backup automatically every day and alert when the restore fails",
        "detect", "P1", "dba-lead", "database", 6, status="in_progress",
        success_criteria="A daily restore job reports success, and a broken backup fails it loudly.",
    ),
    DemoItem(
        "Rewrite the replication runbook, with progress checks for pg_basebackup",
        "process", "P2", "scribe", "platform", 25,
    ),
    DemoItem(
        "Evaluate dedicated PostgreSQL backup tools",
        "mitigate", "P3", "dba", "database", 75,
    ),
    DemoItem(
        "Build a restore that streams from backup storage instead of copying over slow disks",
        "mitigate", "P3", "dba-lead", "database", 85,
    ),
    DemoItem(
        "Name an owner for data durability",
        "process", "P2", "commander", "platform", -1, for_finding=True,
    ),
]  # fmt: skip

GITLAB_FINDING_TITLE = "A destructive command could run on the production database host with no second check"
GITLAB_FINDING_DESCRIPTION = """\
During the outage one engineer, working alone late at night, ran a command that removed the data
directory of the **primary** database. Nothing in the system asked for confirmation or a second person
before a destructive command ran on a production database host, and nobody owned data durability.

Fix the system, not the person: destructive commands on production database hosts need a second check
(a second approver, or a tool that refuses to run them on a primary), and someone owns data durability.
"""


def load_gitlab_followup() -> None:
    """The GitLab incident's action items and its access-control policy finding.

    Idempotent by natural key: an item by (incident, title), the finding by title. Due dates are counted
    from the day the demo is first loaded, in each owner's zone, so some items are overdue on that day.
    The finding is open, owned by the database lead and verifiable by the incident commander, so a new user
    can drive it from open to verified and closed in the web UI.
    """
    from incidents.models import ActionItem, PolicyFinding
    from incidents.services import followup as svc

    incident = gitlab_incident()
    finding = PolicyFinding.objects.filter(title=GITLAB_FINDING_TITLE).first()
    if finding is None:
        finding = svc.policy_finding_create(
            actor=None,
            area="access_control",
            title=GITLAB_FINDING_TITLE,
            description=GITLAB_FINDING_DESCRIPTION,
            risk="high",
            owner=demo_user("dba-lead"),
            verifier=demo_user("commander"),
            team=demo_team("database"),
            due_date=datetime.now(tz=demo_user("dba-lead").tzinfo).date() + timedelta(days=30),
            incidents=[incident],
        )
    for spec in GITLAB_DEMO_ITEMS:
        if ActionItem.objects.filter(incident=incident, title=spec.title).exists():
            continue
        owner = demo_user(spec.owner)
        today = datetime.now(tz=owner.tzinfo).date()
        item = svc.action_item_create(
            actor=None,
            incident=incident,
            finding=finding if spec.for_finding else None,
            title=spec.title,
            owner=owner,
            team=demo_team(spec.team),
            priority=spec.priority,
            type=spec.type,
            due_date=today + timedelta(days=spec.due_in_days),
            success_criteria=spec.success_criteria,
            recheck_date=today + timedelta(days=spec.recheck_in_days)
            if spec.recheck_in_days is not None
            else None,
        )
        if spec.status != "open":
            svc.action_item_change_status(item=item, actor=None, status=spec.status, note=spec.note)


LOADERS.append(load_gitlab_followup)
# The review links the follow-through demo's items and finding, so it runs after it.
LOADERS.append(load_gitlab_review)
