from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from incidents.demo.gitlab import gitlab_incident
from incidents.demo.people import demo_team, demo_user, utc
from incidents.followup.services import findings as services_findings
from incidents.followup.services import items as services_items
from incidents.models import ActionItem, Incident, PolicyFinding
from incidents.permissions.checks import SYSTEM


# --- Follow-through: the GitLab action items and the access-control finding (issue 5) ------------------------
@dataclass(frozen=True)
class DemoItem:
    title: str
    type: str
    priority: str
    owner: str  # a DemoPerson key
    team: str  # a team slug
    due_in_days: int = 0  # an open item: days after the day the demo is first loaded, in the owner's zone
    status: str = "open"
    note: str = ""  # completion note, or what a blocked item waits on
    success_criteria: str = ""
    for_finding: bool = False
    # A done item is all 2017: created when GitLab opened its issues, due by the priority's target, done
    # when GitLab finished it, and (with `worked`) re-checked and confirmed a month later.
    done_at: datetime | None = None
    worked: str = ""  # the re-check's answer ("did it work?"), confirmed at RECHECKED_AFTER past done_at


# GitLab opened its follow-up issues once the site was back (the postmortem lists them).
ITEMS_OPENED_AT = utc(2017, 2, 1, 19, 0)
RECHECKED_AFTER = timedelta(days=28)
#: The nearest due date of an open item, in days after loading: beyond the reminder sweep's "due in 3
#: days" (`notify.reminders.DUE_SOON_DAYS`), with a day to spare, so a fresh `make run` sends no reminder.
NEAREST_DUE_IN_DAYS = 5

# Our own wording of the postmortem's action items (GITLAB_ACTION_ITEMS), with owners and priorities. The
# three GitLab finished in February 2017 are done then; the others are open, due 5 to 85 days after the
# demo is loaded (in progress, blocked, due this week, later, and the policy finding's remediation item).
GITLAB_DEMO_ITEMS: list[DemoItem] = [
    DemoItem(
        "Show the host name and environment in every shell prompt, production in red",
        "prevent", "P1", "scribe", "platform", status="done",
        note="Prompts on every database host now read `PRODUCTION db1` in red; staging is green.",
        success_criteria="Nobody types a command on the wrong host because the prompt looked the same.",
        done_at=utc(2017, 2, 3, 17, 30),
        worked="A month on, every command on a database host was typed under the right prompt.",
    ),
    DemoItem(
        "Alert when a backup is missing, empty or much smaller than the last one",
        "detect", "P1", "dba", "database", NEAREST_DUE_IN_DAYS, status="in_progress",
        success_criteria="A deliberately emptied test backup pages the database on-call within an hour.",
    ),
    DemoItem(
        "Set max_connections from measured load instead of 8,000",
        "prevent", "P2", "dba", "database", status="done",
        note="Set to 2,000 after a week of connection-count graphs; pgbouncer absorbs the peaks.",
        done_at=utc(2017, 2, 17, 10, 15),
    ),
    DemoItem(
        "Investigate point-in-time recovery with continuous WAL archiving",
        "mitigate", "P2", "dba-lead", "database", 12,
    ),
    DemoItem(
        "Take hourly LVM snapshots of the production database hosts",
        "mitigate", "P1", "dba", "database", 7,
    ),
    DemoItem(
        "Turn on disk snapshots for the database hosts",
        "mitigate", "P1", "dba-lead", "database", 9, status="blocked",
        note="The cloud provider's snapshot quota increase for the database project.",
    ),
    DemoItem(
        "Run staging on the same kind of hosts and disks as production",
        "mitigate", "P3", "commander", "platform", 60,
    ),
    DemoItem(
        "Rebuild the production replicas and confirm replication is healthy",
        "mitigate", "P1", "dba", "database", status="done",
        note="Two replicas rebuilt from a fresh base backup; replication lag under one second for 48 hours.",
        done_at=utc(2017, 2, 6, 14, 0),
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
        "process", "P2", "commander", "platform", 10, for_finding=True,
    ),
]  # fmt: skip

GITLAB_FINDING_TITLE = "A destructive command could run on the production database host with no second check"
GITLAB_FINDING_DESCRIPTION = (  # one line a paragraph: the renderer keeps line breaks (nl2br)
    "During the outage one engineer, working alone late at night, ran a command that removed the data"
    " directory of the **primary** database. Nothing in the system asked for confirmation or a second"
    " person before a destructive command ran on a production database host, and nobody owned data "
    "durability.\n\n"
    "Fix the system, not the person: destructive commands on production database hosts need a second "
    "check (a second approver, or a tool that refuses to run them on a primary), and someone owns "
    "data durability.\n"
)


def load_gitlab_followup() -> None:
    """The GitLab incident's action items and its access-control policy finding.

    Idempotent by natural key: an item by (incident, title), the finding by title. The items GitLab
    finished are done in February 2017; the open ones are due 5 to 85 days after the day the demo is first
    loaded, in each owner's zone, so the first reminder sweep finds nothing due (none within 3 days, none
    overdue, no re-check waiting) and the first reminder comes two days after loading.
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
        if not ActionItem.objects.filter(incident=incident, title=spec.title).exists():
            _load_item(spec, incident=incident, finding=finding if spec.for_finding else None)


def _load_item(spec: DemoItem, *, incident: Incident, finding: PolicyFinding | None) -> None:
    """One demo item: a done one created, due, done and re-checked in 2017; an open one created now and
    due `spec.due_in_days` after the owner's today."""
    owner = demo_user(spec.owner)
    if spec.done_at is not None:
        created_at: datetime | None = ITEMS_OPENED_AT
        due_date = ITEMS_OPENED_AT.date() + timedelta(
            days=settings.ACTION_ITEM_DUE_TARGET_DAYS[spec.priority]
        )
    else:
        created_at = None
        due_date = datetime.now(tz=owner.tzinfo).date() + timedelta(days=spec.due_in_days)
    recheck_at = spec.done_at + RECHECKED_AFTER if spec.done_at and spec.worked else None
    item = services_items.action_item_create(
        actor=SYSTEM,
        incident=incident,
        finding=finding,
        title=spec.title,
        owner=owner,
        team=demo_team(spec.team),
        priority=spec.priority,
        type=spec.type,
        due_date=due_date,
        success_criteria=spec.success_criteria,
        recheck_date=max(recheck_at.date(), due_date) if recheck_at else None,
        at=created_at,
    )
    if spec.status != "open":
        item = services_items.action_item_change_status(
            item=item, actor=SYSTEM, status=spec.status, note=spec.note, at=spec.done_at
        )
    if recheck_at is not None:
        services_items.action_item_confirm_effect(
            item=item, actor=SYSTEM, worked=True, note=spec.worked, at=recheck_at
        )
