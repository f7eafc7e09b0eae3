from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from incidents.demo.gitlab import gitlab_incident
from incidents.demo.people import demo_team, demo_user
from incidents.followup.services import findings as services_findings
from incidents.followup.services import items as services_items
from incidents.models import ActionItem, PolicyFinding
from incidents.permissions.checks import SYSTEM


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
    incident = gitlab_incident()
    finding = PolicyFinding.objects.filter(title=GITLAB_FINDING_TITLE).first()
    if finding is None:
        finding = services_findings.policy_finding_create(
            actor=SYSTEM,
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
        item = services_items.action_item_create(
            actor=SYSTEM,
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
            services_items.action_item_change_status(
                item=item, actor=SYSTEM, status=spec.status, note=spec.note
            )
