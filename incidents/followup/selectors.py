"""Follow-through reads: action items and policy findings with their joins and the permission scope.

Every list here runs a fixed number of queries whatever the number of rows (the tests check 1 vs 200).
Dates: an item's `due_date` is a date in its owner's zone, so "overdue" and "due this week" are decided
on the owner's local date (`overdue_q`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Team, User
from accounts.security import access_denied_record
from incidents.models import (
    OPEN_FINDING_STATUSES,
    OPEN_ITEM_STATUSES,
    ActionItem,
    ActionItemStatus,
    FindingStatus,
    Incident,
    PolicyFinding,
    status_now,
)
from incidents.permissions.checks import SYSTEM
from incidents.permissions.followup import (
    action_items_visible_to,
    action_items_with_incident_visibility,
    finding_incidents_shown_to,
    findings_visible_to,
    work_shown_to,
)
from incidents.plural import counted

DUE_SOON_DAYS = 7  # "due this week": the owner's today and the six days after it


def local_today(zone: Any, now: datetime | None = None) -> date:
    """Today's date in `zone` (a tzinfo)."""
    return (now or timezone.now()).astimezone(zone).date()


def overdue_q(now: datetime | None = None, prefix: str = "") -> Q:
    """Q for rows whose `due_date` is before their owner's local today (ownerless rows: UTC).

    One query reads the time zones in use; the Q then has one branch per zone, so the database decides
    per row on the right local date.
    """
    now = now or timezone.now()
    zones = set(User.objects.values_list("time_zone", flat=True).distinct())
    q = Q(**{f"{prefix}owner__isnull": True, f"{prefix}due_date__lt": local_today(UTC, now)})
    for name in zones:
        probe = User(time_zone=name)
        q |= Q(**{f"{prefix}owner__time_zone": name, f"{prefix}due_date__lt": local_today(probe.tzinfo, now)})
    return q


def _items(user: Any) -> QuerySet[ActionItem]:
    qs = action_items_visible_to(user).select_related("owner", "team", "incident", "finding", "factor")
    return action_items_with_incident_visibility(user, qs)


def action_item_list_for(
    user: Any,
    *,
    team: Team | None = None,
    owner: User | None = None,
    status: str | list[str] | None = None,
    priority: str | None = None,
    overdue: bool = False,
    incident: Incident | None = None,
) -> QuerySet[ActionItem]:
    """Action items `user` may see, soonest due first, owner/team/incident joined and `incident_visible`
    annotated (False when the viewer owns the item but may not see its incident)."""
    qs = _items(user)
    if team is not None:
        qs = qs.filter(team=team)
    if owner is not None:
        qs = qs.filter(owner=owner)
    if status:
        qs = qs.filter(status__in=[status] if isinstance(status, str) else status)
    if priority:
        qs = qs.filter(priority=priority)
    if overdue:
        qs = qs.filter(status__in=OPEN_ITEM_STATUSES).filter(overdue_q())
    if incident is not None:
        qs = qs.filter(incident=incident)
    return qs.order_by("due_date", "id")


def action_item_get_for(user: Any, pk: int) -> ActionItem:
    """The action item if `user` may see it; Http404 otherwise (never 403), recording a denied-access
    security event when the item exists."""
    item = _items(user).filter(pk=pk).first()
    if item is None:
        hidden = ActionItem.objects.select_related("incident").filter(pk=pk).first()
        if hidden is not None:
            access_denied_record(actor=user, obj=hidden)
        raise Http404("No such action item.")
    return item


def incident_action_items_for(user: Any, incident: Incident) -> list[ActionItem]:
    """The incident's action items for its page (the caller already may see the incident). One query."""
    return list(
        ActionItem.objects.filter(incident=incident)
        .select_related("owner", "team", "factor", "finding")
        .order_by("status", "due_date", "id")
    )


@dataclass
class MyWork:
    """The "My work" page: the viewer's open items by due date, and what waits on them."""

    today: date
    overdue: list[ActionItem] = field(default_factory=list)
    this_week: list[ActionItem] = field(default_factory=list)
    later: list[ActionItem] = field(default_factory=list)
    recheck_due: list[ActionItem] = field(default_factory=list)
    recurrence_review: list[ActionItem] = field(default_factory=list)
    findings: list[PolicyFinding] = field(default_factory=list)
    awaiting_verification: list[PolicyFinding] = field(default_factory=list)


def my_work_for(user: Any) -> MyWork:
    """Open items `user` owns split into overdue, due this week (today + 6 days) and later (or undated),
    done items whose re-check date came, flagged recurrences, their findings, and findings that wait for
    them to verify. Dates are the user's local dates. Five queries whatever the numbers."""
    today = local_today(user.tzinfo)
    work = MyWork(today=today)
    mine = _items(user).filter(owner=user)
    for item in mine.filter(status__in=OPEN_ITEM_STATUSES).order_by("due_date", "id"):
        if item.due_date and item.due_date < today:
            work.overdue.append(item)
        elif item.due_date and item.due_date < today + timedelta(days=DUE_SOON_DAYS):
            work.this_week.append(item)
        else:
            work.later.append(item)
    for item in mine.filter(
        Q(status=ActionItemStatus.DONE, recheck_date__lte=today, recheck_outcome="")
        | Q(did_not_prevent_recurrence=True, recurrence_reviewed_at__isnull=True)
    ).order_by("recheck_date", "id"):
        if item.needs_recurrence_review:
            work.recurrence_review.append(item)
        if item.recheck_due:
            work.recheck_due.append(item)
    findings = _findings(user)
    work.findings = list(
        findings.filter(owner=user).exclude(status__in=[FindingStatus.CLOSED]).order_by("due_date", "id")
    )
    team_ids = list(user.memberships.values_list("team_id", flat=True))
    work.awaiting_verification = list(
        findings.filter(status=FindingStatus.REMEDIATED)
        .exclude(owner=user)
        .filter(Q(verifier=user) | Q(verifier__isnull=True, team_id__in=team_ids))
        .order_by("due_date", "id")
    )
    return work


@dataclass
class TeamBoard:
    """`columns` is (status, label, first BOARD_COLUMN_LIMIT items, how many in all) per status."""

    team: Team | None
    columns: list[tuple[str, str, list[ActionItem], int]]
    breaches: int
    overdue: int


BOARD_COLUMN_LIMIT = 100  # beyond this a column says how many more; the CSV export has them all


BOARD_COLUMNS = [
    ActionItemStatus.OPEN,
    ActionItemStatus.IN_PROGRESS,
    ActionItemStatus.BLOCKED,
    ActionItemStatus.DONE,
    ActionItemStatus.WONT_DO,
]


def team_board_for(user: Any, team: Team | None, *, done_days: int = 30) -> TeamBoard:
    """A team's items in status columns (done and won't do only from the last `done_days` days), with the
    number of open items past their due date or breaching their priority's due-date target. One query."""
    qs = _items(user)
    if team is not None:
        qs = qs.filter(team=team)
    since = timezone.now() - timedelta(days=done_days)
    qs = qs.filter(Q(status__in=OPEN_ITEM_STATUSES) | Q(completed_at__gte=since)).order_by("due_date", "id")
    by_status: dict[str, list[ActionItem]] = {s: [] for s in BOARD_COLUMNS}
    for item in qs:
        by_status[item.status].append(item)
    open_items = [i for s in OPEN_ITEM_STATUSES for i in by_status[s]]
    return TeamBoard(
        team=team,
        columns=[
            (s, ActionItemStatus(s).label, by_status[s][:BOARD_COLUMN_LIMIT], len(by_status[s]))
            for s in BOARD_COLUMNS
        ],
        breaches=sum(1 for i in open_items if i.breaches_target),
        overdue=sum(1 for i in open_items if i.is_overdue),
    )


def _findings(user: Any) -> QuerySet[PolicyFinding]:
    return (
        findings_visible_to(user)
        .select_related("owner", "verifier", "team", "verified_by", "risk_accepted_by")
        .prefetch_related(Prefetch("incidents", queryset=finding_incidents_shown_to(user)))
    )


def finding_list_for(
    user: Any,
    *,
    area: str | None = None,
    status: str | None = None,
    risk: str | None = None,
    owner: User | None = None,
    overdue: bool = False,
) -> QuerySet[PolicyFinding]:
    """Policy findings `user` may see, filtered; linked incidents prefetched (only those `user` may see).

    `status="unclosed"` means every status except closed. Statuses are judged now (`status_now`): an
    ended risk acceptance is listed as open, not as risk accepted.
    """
    qs = _findings(user).annotate(status_now=status_now())
    if area:
        qs = qs.filter(area=area)
    if status == "unclosed":
        qs = qs.exclude(status=FindingStatus.CLOSED)
    elif status:
        qs = qs.filter(status_now=status)
    if risk:
        qs = qs.filter(risk=risk)
    if owner is not None:
        qs = qs.filter(owner=owner)
    if overdue:
        qs = qs.filter(status_now__in=OPEN_FINDING_STATUSES).filter(overdue_q())
    return qs.order_by("status_now", "due_date", "-id")


def finding_counts_for(user: Any, queryset: QuerySet[PolicyFinding] | None = None) -> dict[str, int]:
    """Counts per status, per risk among unclosed findings, and overdue, over `queryset` (default: all
    findings `user` may see). Statuses are judged now (`status_now`: an ended risk acceptance counts as
    open). One aggregate query (plus the zone lookups)."""
    qs = (queryset if queryset is not None else findings_visible_to(user)).annotate(status_now=status_now())
    aggregates = {f"status_{s}": Count("id", filter=Q(status_now=s)) for s in FindingStatus.values}
    unclosed = ~Q(status_now__in=[FindingStatus.CLOSED, FindingStatus.VERIFIED, FindingStatus.RISK_ACCEPTED])
    for r in ("high", "medium", "low"):
        aggregates[f"risk_{r}"] = Count("id", filter=Q(risk=r) & unclosed)
    aggregates["overdue"] = Count("id", filter=Q(status_now__in=OPEN_FINDING_STATUSES) & overdue_q())
    aggregates["total"] = Count("id")
    return qs.order_by().aggregate(**aggregates)


def finding_get_for(user: Any, pk: int) -> PolicyFinding:
    """The finding if `user` may see it; Http404 otherwise (never 403), recording a denied-access security
    event when the finding exists."""
    finding = _findings(user).filter(pk=pk).first()
    if finding is None:
        hidden = PolicyFinding.objects.filter(pk=pk).first()
        if hidden is not None:
            access_denied_record(actor=user, obj=hidden)
        raise Http404("No such policy finding.")
    return finding


def open_items_owned_by(user: User) -> QuerySet[ActionItem]:
    """Every open action item `user` owns (no permission scope: callers scope it for a viewer)."""
    return (
        ActionItem.objects.filter(owner=user, status__in=OPEN_ITEM_STATUSES)
        .select_related("incident", "team", "owner")
        .order_by("due_date", "id")
    )


def open_findings_owned_by(user: User) -> QuerySet[PolicyFinding]:
    """Every policy finding `user` owns that is not closed (risk-accepted ones included); not scoped."""
    return (
        PolicyFinding.objects.filter(owner=user)
        .exclude(status=FindingStatus.CLOSED)
        .select_related("team", "owner")
        .order_by("due_date", "id")
    )


@dataclass
class OpenWorkShown:
    """Another person's open work as `viewer` may see it (permissions.work_shown_to): `hidden` is True when
    some of it is on incidents the viewer cannot see (left out, not counted)."""

    items: list[ActionItem]
    findings: list[PolicyFinding]
    hidden: bool

    def __bool__(self) -> bool:
        return bool(self.items or self.findings or self.hidden)


def open_work_shown_to(viewer: Any, person: User) -> OpenWorkShown:
    """`person`'s open action items and unclosed findings that `viewer` may see (for reassignment); the
    findings' "seen in" incidents only those `viewer` may see. Five queries whatever the numbers."""
    items, findings, hidden = work_shown_to(
        viewer, open_items_owned_by(person), open_findings_owned_by(person)
    )
    findings = findings.prefetch_related(Prefetch("incidents", queryset=finding_incidents_shown_to(viewer)))
    return OpenWorkShown(items=list(items), findings=list(findings), hidden=hidden)


def users_with_orphaned_work(viewer: Any) -> QuerySet[User]:
    """Deactivated users who still own open items or unclosed findings that `viewer` may see, with
    `open_items` and `open_findings` counts annotated (counted within the viewer's scope). One query."""
    items = action_items_visible_to(viewer).values("id")
    findings = findings_visible_to(viewer).values("id")
    return (
        User.objects.filter(is_active=False)
        .annotate(
            open_items=Count(
                "action_items",
                filter=Q(action_items__status__in=OPEN_ITEM_STATUSES, action_items__in=items),
                distinct=True,
            ),
            open_findings=Count(
                "policy_findings",
                filter=~Q(policy_findings__status=FindingStatus.CLOSED) & Q(policy_findings__in=findings),
                distinct=True,
            ),
        )
        .filter(Q(open_items__gt=0) | Q(open_findings__gt=0))
        .order_by("display_name", "email")
    )


def export_items_for(user: Any, **filters: Any) -> QuerySet[ActionItem]:
    """The rows of the action-item CSV export: exactly what `action_item_list_for` shows `user`."""
    return action_item_list_for(user, **filters)


def export_findings_for(user: Any, **filters: Any) -> QuerySet[PolicyFinding]:
    """The rows of the policy-finding CSV export: exactly what `finding_list_for` shows `user`."""
    return finding_list_for(user, **filters)


def work_values_at(row: ActionItem | PolicyFinding, version: int, fields: tuple[str, ...]) -> dict[str, Any]:
    """`fields` of an action item or finding as they were at `version` (its history); empty when not kept."""
    record = row.history.filter(version=version).order_by("-history_id").first()
    return {name: getattr(record, name) for name in fields} if record is not None else {}


# The team a person's board opens on: the one they lead before one they respond in before one they view.
_ROLE_RANK = {"lead": 0, "responder": 1, "viewer": 2}


def board_home_team(user: Any) -> Team | None:
    """The team `user`'s board opens on (no `?team=`): a team they lead, else one they respond in, else
    one they view, by team name within each; None for someone in no team (the board then shows every
    team). One query."""
    memberships = list(user.memberships.select_related("team").order_by("team__name"))
    if not memberships:
        return None
    return min(memberships, key=lambda m: _ROLE_RANK.get(m.role, 3)).team


def finding_open_items_warning(viewer: Any, finding: PolicyFinding) -> str:
    """What to say before `finding` is closed while remediation items are open ("" when none is): how
    many of those `viewer` may see are open, and only that others exist for those they may not."""
    open_items = finding.action_items.filter(status__in=OPEN_ITEM_STATUSES)
    total = open_items.count()
    if not total:
        return ""
    shown = total if viewer is SYSTEM else action_items_visible_to(viewer, open_items).count()
    what = counted(shown, "remediation item") + (" and others you cannot see" if total > shown else "")
    if not shown:
        what = "Remediation items you cannot see"
    them = "it" if shown == 1 and total == 1 else "them"
    return f"{what} still open: finish {them} first, or confirm that the finding closes with {them} open."
