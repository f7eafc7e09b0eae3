"""Action items and policy findings: who sees them, edits, verifies, moves and accepts the risk of a finding,
and the one rule for showing another person's work."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value

from accounts.models import Team
from incidents.models import ActionItem, Incident, PolicyFinding, Visibility

if TYPE_CHECKING:
    pass

from incidents.permissions.incident import (
    can_record,
    can_view_incident,
    incident_ids_taken_part_in,
    incidents_visible_to,
)
from incidents.permissions.roles import (
    is_active_user,
    is_admin,
    is_lead,
    is_member,
    is_responder,
    lead_team_ids,
)


def action_items_visible_to(user: Any, queryset: QuerySet[ActionItem] | None = None) -> QuerySet[ActionItem]:
    """Action items `user` may see: an item follows what it hangs on.

    On an incident: that incident's viewers; from a policy finding (no incident): the finding's viewers
    (`findings_visible_to`, which follows the finding's incidents); on neither: members. The owner always
    sees their own item, unless its incident is deleted (admins only).
    """
    qs = queryset if queryset is not None else ActionItem.objects.all()
    if not is_active_user(user):
        return qs.none()
    if is_admin(user):
        return qs.filter(Q(incident__isnull=True) | Q(incident__deleted_at__isnull=True))
    visible = incidents_visible_to(user).values("id")
    cond = Q(owner=user) | Q(incident__in=visible)
    cond |= Q(
        incident__isnull=True, finding__isnull=False, finding__in=findings_visible_to(user).values("id")
    )
    if is_member(user):
        cond |= Q(incident__isnull=True, finding__isnull=True)
    # An owner's own item goes with its incident when that is deleted.
    return qs.filter(cond).filter(Q(incident__isnull=True) | Q(incident__deleted_at__isnull=True))


def can_view_action_item(user: Any, item: ActionItem) -> bool:
    """Its owner (unless the incident is deleted); else the incident's viewers, or for an item from a
    policy finding without incident the finding's viewers, or members for an item on neither."""
    if not is_active_user(user):
        return False
    incident = item.incident if item.incident_id is not None else None
    if incident is not None and incident.deleted_at is not None:
        return is_admin(user)
    if item.owner_id == user.pk:
        return True
    if incident is not None:
        return can_view_incident(user, incident)
    if item.finding_id is not None:
        return findings_visible_to(user).filter(pk=item.finding_id).exists()
    return is_member(user)


def can_edit_action_item(user: Any, item: ActionItem) -> bool:
    """The owner, responders who can see the item (its incident, else its finding), and admins."""
    if not can_view_action_item(user, item):
        return False
    return item.owner_id == user.pk or is_responder(user)


def restricted_action_items_q() -> Q:
    """The items a tracker or a chat channel must never receive (a filter on ActionItem): those on a
    restricted incident, and those whose policy finding is linked to a restricted incident (an item made
    from a finding carries the finding's incidents' secrecy, as it carries their visibility)."""
    return Q(incident__visibility=Visibility.RESTRICTED) | Q(
        finding__in=PolicyFinding.objects.filter(incidents__visibility=Visibility.RESTRICTED).values("id")
    )


def action_item_is_restricted(item: ActionItem) -> bool:
    """True when `item` is on a restricted incident or remediates a policy finding linked to one."""
    incident = item.incident if item.incident_id is not None else None
    if incident is not None and incident.visibility == Visibility.RESTRICTED:
        return True
    return (
        item.finding_id is not None
        and Incident.objects.filter(
            policy_findings=item.finding_id, visibility=Visibility.RESTRICTED
        ).exists()
    )


def can_send_action_item_to_tracker(user: Any, item: ActionItem) -> bool:
    """Who may open an item's issue in its team's tracker: whoever may edit the item (so, for an item made
    from a policy finding, only the finding's viewers and the item's owner), and only for an item that is
    not restricted (`action_item_is_restricted`: a tracker's readers are outside Hindsight's visibility
    rules)."""
    if not can_edit_action_item(user, item):
        return False
    return not action_item_is_restricted(item)


def action_item_finding_shown(user: Any, item: ActionItem) -> bool:
    """May `user` see the policy finding `item` remediates? (False when it has none.) The owner of an item
    whose finding they cannot see gets no finding id, as they get no hidden incident's number."""
    return item.finding_id is not None and findings_visible_to(user).filter(pk=item.finding_id).exists()


def findings_visible_to(
    user: Any, queryset: QuerySet[PolicyFinding] | None = None
) -> QuerySet[PolicyFinding]:
    """Policy findings visible to members; a finding only linked to restricted incidents they cannot see is hidden."""
    qs = queryset if queryset is not None else PolicyFinding.objects.all()
    if not is_active_user(user):
        return qs.none()
    if is_admin(user):
        return qs
    hidden = (
        PolicyFinding.objects.filter(incidents__isnull=False)
        .exclude(incidents__in=incidents_visible_to(user).values("id"))
        .values("id")
    )
    cond = Q(owner=user)
    if is_member(user):
        cond |= ~Q(id__in=hidden)
    return qs.filter(cond)


def counted_scope_signature(user: Any) -> str:
    """A short text equal for two users who see the same incidents and the same policy findings (and so
    the same factors, postmortems and action items on those incidents): what a figure computed for one
    may be shown to the other under (Insights keeps figures per signature, not per person).

    "none" for anyone not signed in or deactivated, "admin" for admins; otherwise a hash of whether they
    are a member, the not-deleted incidents they take part in that a member does not see anyway (every
    one for a non-member, restricted ones for a member), and the findings they see only as their owner
    (for a member: owned findings linked only to incidents hidden from them; for a non-member: every
    owned finding). The rules are those of `incidents_visible_to` and `findings_visible_to`, read now:
    taking part in an incident, or a new membership, changes the signature at the next request. Two
    index lookups, a third for a member who owns findings (none for admins and the signed-out).
    """
    if not is_active_user(user):
        return "none"
    if is_admin(user):
        return "admin"
    member = is_member(user)
    incident_ids = sorted(incident_ids_taken_part_in(user, beyond_internal=member))
    finding_ids = sorted(PolicyFinding.objects.filter(owner_id=user.pk).values_list("id", flat=True))
    if member and finding_ids:  # only those a member sees because they own them
        hidden = (
            PolicyFinding.objects.filter(id__in=finding_ids, incidents__isnull=False)
            .exclude(incidents__in=incidents_visible_to(user).values("id"))
            .values_list("id", flat=True)
        )
        finding_ids = sorted(set(hidden))
    raw = f"{'member' if member else 'outsider'}|{incident_ids}|{finding_ids}"
    return "scope-" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def can_view_finding(user: Any, finding: PolicyFinding) -> bool:
    return findings_visible_to(user).filter(pk=finding.pk).exists()


def can_edit_finding(user: Any, finding: PolicyFinding) -> bool:
    return can_view_finding(user, finding) and (finding.owner_id == user.pk or is_responder(user))


def can_create_action_item(
    user: Any, incident: Incident | None = None, *, finding: PolicyFinding | None = None
) -> bool:
    """Who may create an action item: on an incident, those who may record on it; for a policy finding,
    those who may edit the finding (and record on the incident, when the item is on one too); on its own,
    responders. Owning a finding gives no right to write on any incident."""
    if incident is not None and not can_record(user, incident):
        return False
    if finding is not None:
        return can_edit_finding(user, finding)
    return incident is not None or is_responder(user)


def action_items_with_incident_visibility(user: Any, queryset: QuerySet[ActionItem]) -> QuerySet[ActionItem]:
    """Annotate `incident_visible` and `finding_visible` (bools): may `user` see the item's incident, and
    its policy finding (False when it has none)? One subquery each, no extra rows.

    An owner sees their own item on a restricted incident, but not the incident's reference or title, nor
    the id of a finding they cannot see.
    """
    if is_admin(user):
        return queryset.annotate(
            incident_visible=Value(True, output_field=BooleanField()),
            finding_visible=ExpressionWrapper(Q(finding__isnull=False), output_field=BooleanField()),
        )
    visible = incidents_visible_to(user).filter(pk=OuterRef("incident_id"))
    finding = findings_visible_to(user).filter(pk=OuterRef("finding_id"))
    return queryset.annotate(incident_visible=Exists(visible), finding_visible=Exists(finding))


# --- Another person's work -------------------------------------------------------------------------------
# One rule for every listing of someone else's action items and policy findings: the reassignment page,
# team boards, digests and team digests, CSV exports, My work (a lead's "awaiting my verification"), the API.
#   - An item is listed only when the viewer may see it (`action_items_visible_to`: its incident is visible
#     to them, or it has no incident and they are a member); a finding only when `findings_visible_to` lets
#     them (one of its incidents is visible to them, or it has none). Everything else of another person is
#     left out, and is not counted.
#   - An item's incident (reference, title, link) is shown only when `incident_visible` is annotated True;
#     a finding's "seen in" lists only incidents the viewer may see (`finding_incidents_shown_to`).
#   - Where a page must say that more exists (reassignment: the lead cannot give away what they cannot
#     see), it says "work on incidents you cannot see", with no title, reference, link or count.


def work_shown_to(
    viewer: Any,
    items: QuerySet[ActionItem],
    findings: QuerySet[PolicyFinding],
) -> tuple[QuerySet[ActionItem], QuerySet[PolicyFinding], bool]:
    """Apply the rule above to another person's `items` and `findings`.

    Returns (items `viewer` may see, annotated `incident_visible`; findings `viewer` may see; True when
    some of the given rows were left out). The last value costs two EXISTS queries.
    """
    shown_items = action_items_with_incident_visibility(viewer, action_items_visible_to(viewer, items))
    shown_findings = findings_visible_to(viewer, findings)
    hidden = (
        items.exclude(pk__in=shown_items.values("pk")).exists()
        or findings.exclude(pk__in=shown_findings.values("pk")).exists()
    )
    return shown_items, shown_findings, hidden


def finding_incidents_shown_to(viewer: Any) -> QuerySet[Incident]:
    """The queryset to prefetch a finding's `incidents` with: only those `viewer` may see."""
    return incidents_visible_to(viewer).only("id", "number", "title", "visibility", "deleted_at")


def can_create_finding(user: Any) -> bool:
    """Responders, leads and admins may open a policy finding."""
    return is_responder(user)


def has_owned_finding(user: Any, finding: PolicyFinding) -> bool:
    """True when `user` owns `finding` now or owned it at any time before (its simple-history rows).

    Segregation of duties: whoever was ever responsible for the fix may not verify it nor accept its risk,
    so handing the finding to someone else first does not let the former owner sign it off. One query
    (none for the current owner); False for anyone not signed in.
    """
    pk = getattr(user, "pk", None)
    if pk is None:
        return False
    if finding.owner_id == pk:
        return True
    return finding.history.filter(owner_id=pk).exists()


def can_verify_finding(user: Any, finding: PolicyFinding) -> bool:
    """Someone who never owned the finding (`has_owned_finding`), may see it and is a responder, lead or
    admin."""
    if has_owned_finding(user, finding):
        return False
    return is_responder(user) and can_view_finding(user, finding)


def can_govern_finding(user: Any, finding: PolicyFinding) -> bool:
    """The lead of the finding's team (as stored), or an admin, who may see the finding: who answers for
    it. A finding of no team is governed by admins only; a lead of another team never."""
    if not is_active_user(user) or not can_view_finding(user, finding):
        return False
    return is_admin(user) or (finding.team_id is not None and finding.team_id in lead_team_ids(user))


def can_accept_finding_risk(user: Any, finding: PolicyFinding) -> bool:
    """Whoever governs the finding (`can_govern_finding`: the lead of its team, or an admin); never anyone
    who owns or ever owned it (`has_owned_finding`).

    A finding of no team has its risk accepted by an admin only; a lead of another team never.
    """
    if has_owned_finding(user, finding):
        return False
    return can_govern_finding(user, finding)


FINDING_TEAM_KEPT = (
    "Only the lead of this finding's team or an admin moves it to another team, and only to a team they lead."
)


def can_change_finding_team(user: Any, finding: PolicyFinding, team_id: int | None) -> bool:
    """May `user` give `finding` (as stored) the team `team_id` (None: no team)? Whoever governs it now
    (`can_govern_finding`), and only to a team they lead (admins: any team, or none).

    The team decides who accepts the finding's risk, so an editor of its text (any responder who sees
    it) who could change the team would hand it to a lead of their choosing: `FINDING_TEAM_KEPT` is the
    refusal. True when `team_id` is the team it has."""
    if team_id == finding.team_id:
        return True
    if not can_govern_finding(user, finding):
        return False
    return is_admin(user) or (team_id is not None and team_id in lead_team_ids(user))


def finding_teams_offered(user: Any, finding: PolicyFinding) -> QuerySet[Team]:
    """The teams `finding`'s team picker offers `user`, by name: the team it has, and, for whoever
    governs it (`can_change_finding_team`), the teams they lead (admins: every team)."""
    teams = Team.objects.order_by("name")
    kept = Q(pk=finding.team_id) if finding.team_id is not None else Q(pk__in=[])
    if not can_govern_finding(user, finding):
        return teams.filter(kept)
    if is_admin(user):
        return teams
    return teams.filter(kept | Q(pk__in=lead_team_ids(user)))


def can_move_finding(user: Any, finding: PolicyFinding) -> bool:
    """Moving a finding along its lifecycle (open, remediating, remediated, reopen, close): its owner, its
    verifier, the lead of its team, or an admin, who may see it. Other responders may read and comment.
    The same people choose its owner and verifier (`can_choose_finding_people`)."""
    if not can_view_finding(user, finding):
        return False
    if is_admin(user) or user.pk in (finding.owner_id, finding.verifier_id):
        return True
    return finding.team_id is not None and finding.team_id in lead_team_ids(user)


def can_reassign_work(user: Any) -> bool:
    """Team leads and admins may reassign other people's action items and findings in bulk."""
    return is_lead(user)
