"""The one place where Hindsight decides who may see and do what.

Pages, the API, search, exports, emails, digests and webhooks call these predicates and queryset scopes;
nothing else decides permissions. Anything a user may not see is reported as "not found" (404) by callers.

Roles:
- admin: `is_staff` or `is_superuser` (sees everything, manages teams, services and templates);
- member: an active user with at least one team membership; roles per team are viewer, responder, lead;
- per incident: commander, communications lead, scribe, participant, reviewer (postmortem), declarer.

Visibility: an `internal` incident is seen by every member; a `restricted` one by its participants and
admins only. An action-item owner who cannot see the incident still sees and can close their own item.
A soft-deleted incident, and everything recorded on it, is seen by admins only.

Capabilities (the README "Security" section has the same table): declare `can_declare`; record on an
incident `can_record`; command it `can_command`; write the review `can_write_review`, decide on it
`can_decide_review`, publish and reopen it `can_conclude_review`; create an action item
`can_create_action_item` (on an incident only with the right to record there: owning a finding gives none),
edit one `can_edit_action_item`; open a finding `can_create_finding`, edit it `can_edit_finding`, move it
`can_move_finding` (owner, verifier, its team's lead, admin), verify it `can_verify_finding`, accept its
risk `can_accept_finding_risk` (its team's lead or an admin, never the owner); reassign work
`can_reassign_work`; settings `can_manage_settings` / `can_manage_team`. Write services apply them through
`authorize` and the `require_*` helpers at the end of this module.

Every answer is computed from the database state of the request it is asked in: nothing is granted by a
subscription, a notification or an earlier visit, so making an incident restricted, removing a membership
or deactivating a user takes effect on the next request. Answers are cached on the user object, which
Django builds afresh for every request (and tasks load afresh), so the cache lives for one request at
most; `permission_cache_clear` empties it for code that changes memberships and asks again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Value

from accounts.roles import is_admin as account_is_admin
from incidents.errors import AccessDenied
from incidents.models import (
    ActionItem,
    Incident,
    PolicyFinding,
    PostmortemReview,
    Subscription,
    Visibility,
)

if TYPE_CHECKING:
    from accounts.models import User


class SystemActor:
    """Hindsight acting on its own: alert intake, the demo loader, periodic sweeps, data migrations.

    Services let it through every check and record it as nobody (`actor_user` is None). Only code that runs
    without a request passes it; a view passes `request.user`, so an anonymous caller is never the system.
    """

    pk = None
    is_authenticated = False
    is_active = False

    def __str__(self) -> str:
        return "Hindsight"

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()


def actor_user(actor: Any) -> User | None:
    """The signed-in person behind `actor`, or None (SYSTEM, an anonymous user, None): who a record names."""
    return actor if getattr(actor, "is_authenticated", False) else None


def authorize(
    actor: Any,
    allowed: Callable[[Any], bool],
    *,
    visible: Callable[[Any], bool] | bool = True,
    message: str,
) -> None:
    """Let `actor` through if it is SYSTEM or `allowed(actor)`; otherwise raise AccessDenied.

    `visible(actor)` (asked only on a refusal) says whether the actor may see the object at all: False is
    answered as not found (404), True as 403 with `message`. Anyone not signed in (None, an anonymous
    user, a deactivated user) is refused. Every write service calls this, or a `require_*` below, before
    it touches a row.
    """
    if actor is SYSTEM:
        return
    if _active(actor) and allowed(actor):
        return
    seen = visible(actor) if callable(visible) and _active(actor) else bool(visible) and _active(actor)
    raise AccessDenied(message, visible=seen)


def _active(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_admin(user: Any) -> bool:
    """True for active staff or superusers (what an admin account is, `accounts.roles.is_admin`)."""
    return account_is_admin(user)


def permission_cache_clear(user: Any) -> None:
    """Forget the roles and visibility answers cached on `user` (after changing their memberships)."""
    for attr in ("_hindsight_roles", "_hindsight_visible", "_hindsight_lead_teams"):
        if hasattr(user, attr):
            delattr(user, attr)


def _roles(user: User) -> set[str]:
    cache = getattr(user, "_hindsight_roles", None)
    if cache is None:
        cache = set(user.memberships.values_list("role", flat=True))
        user._hindsight_roles = cache  # type: ignore[attr-defined]
    return cache


def is_member(user: Any) -> bool:
    """True for an active user with at least one team membership, or an admin."""
    return is_admin(user) or (_active(user) and bool(_roles(user)))


def is_responder(user: Any) -> bool:
    """True for admins and users who are responder or lead in at least one team."""
    return is_admin(user) or (_active(user) and bool(_roles(user) & {"responder", "lead"}))


def is_lead(user: Any) -> bool:
    return is_admin(user) or (_active(user) and "lead" in _roles(user))


def participant_q(user: User, prefix: str = "") -> Q:
    """Q matching incidents (through `prefix`, e.g. `incident__`) in which `user` takes part."""
    p = prefix
    return (
        Q(**{f"{p}commander": user})
        | Q(**{f"{p}communications_lead": user})
        | Q(**{f"{p}scribe": user})
        | Q(**{f"{p}declared_by": user})
        | Q(**{f"{p}participants": user})
        | Q(**{f"{p}postmortem__reviews__reviewer": user})
    )


def _takes_part_q(user: Any) -> Q:
    """Q on incidents in which `user` takes part (the rule of `participant_q`), without joins: the
    participant and reviewer checks are correlated EXISTS, so the scope never multiplies rows and the
    planner can test it per incident (or hash it) instead of joining every participant and review."""
    participant = Incident.participants.through.objects.filter(incident_id=OuterRef("pk"), user_id=user.pk)
    reviewer = PostmortemReview.objects.filter(postmortem__incident_id=OuterRef("pk"), reviewer_id=user.pk)
    return (
        Q(commander_id=user.pk)
        | Q(communications_lead_id=user.pk)
        | Q(scribe_id=user.pk)
        | Q(declared_by_id=user.pk)
        | Exists(participant)
        | Exists(reviewer)
    )


def incidents_visible_to(user: Any, queryset: QuerySet[Incident] | None = None) -> QuerySet[Incident]:
    """Incidents `user` may see (never soft-deleted ones unless admin asks explicitly). Distinct rows.

    One filter on the incident table (no join), so `incidents_visible_to(user).values("id")` is a scope
    other tables can be semi-joined to."""
    qs = queryset if queryset is not None else Incident.objects.all()
    qs = qs.filter(deleted_at__isnull=True)
    if is_admin(user):
        return qs
    if not is_member(user):
        if not _active(user):
            return qs.none()
        # Not a member of any team: only restricted incidents they take part in.
        return qs.filter(_takes_part_q(user))
    return qs.filter(Q(visibility=Visibility.INTERNAL) | _takes_part_q(user))


def can_view_incident(user: Any, incident: Incident) -> bool:
    """True if `user` may see `incident` and everything recorded on it."""
    if incident.deleted_at is not None:
        return is_admin(user)
    if is_admin(user):
        return True
    if not _active(user):
        return False
    if incident.visibility == "internal" and is_member(user):
        return True
    # A participant check, cached per (incident, visibility) for the life of this user object (a request).
    cache = getattr(user, "_hindsight_visible", None)
    if cache is None:
        cache = {}
        user._hindsight_visible = cache
    key = (incident.pk, incident.visibility)
    if key not in cache:
        cache[key] = incidents_visible_to(user).filter(pk=incident.pk).exists()
    return cache[key]


def can_record(user: Any, incident: Incident) -> bool:
    """True if `user` may add and edit timeline entries, factors and the postmortem of `incident`."""
    if not can_view_incident(user, incident):
        return False
    if is_responder(user):
        return True
    return incident.commander_id == user.pk or incident.scribe_id == user.pk


def incidents_recordable_by(user: Any, queryset: QuerySet[Incident] | None = None) -> QuerySet[Incident]:
    """The not-deleted incidents for which `can_record(user, incident)` is True, as a scope (who may edit
    the timeline, and so read removed entries). Kept equal to `can_record` by a test over every persona."""
    qs = incidents_visible_to(user, queryset)
    if is_responder(user):
        return qs
    if not _active(user):
        return qs.none()
    return qs.filter(Q(commander=user) | Q(scribe=user))


def can_command(user: Any, incident: Incident) -> bool:
    """True if `user` may change status, severity, roles and visibility, resolve and reopen."""
    if not can_view_incident(user, incident):
        return False
    if is_admin(user) or incident.commander_id == user.pk:
        return True
    if incident.commander_id is None and is_responder(user):
        return True
    return is_lead(user)


def can_declare(user: Any) -> bool:
    """Responders, leads and admins may declare incidents."""
    return is_responder(user)


def action_items_visible_to(user: Any, queryset: QuerySet[ActionItem] | None = None) -> QuerySet[ActionItem]:
    """Action items on incidents `user` may see, items with no incident (for members), and their own items."""
    qs = queryset if queryset is not None else ActionItem.objects.all()
    if not _active(user):
        return qs.none()
    if is_admin(user):
        return qs.filter(Q(incident__isnull=True) | Q(incident__deleted_at__isnull=True))
    visible = incidents_visible_to(user).values("id")
    cond = Q(owner=user) | Q(incident__in=visible)
    if is_member(user):
        cond |= Q(incident__isnull=True)
    # An owner's own item goes with its incident when that is deleted.
    return qs.filter(cond).filter(Q(incident__isnull=True) | Q(incident__deleted_at__isnull=True))


def can_view_action_item(user: Any, item: ActionItem) -> bool:
    """Its owner (unless the incident is deleted), members for items without incident, else the incident's viewers."""
    if not _active(user):
        return False
    incident = item.incident if item.incident_id is not None else None
    if incident is not None and incident.deleted_at is not None:
        return is_admin(user)
    if item.owner_id == user.pk:
        return True
    if incident is None:
        return is_member(user)
    return can_view_incident(user, incident)


def can_edit_action_item(user: Any, item: ActionItem) -> bool:
    """The owner, responders who can see the incident, and admins may edit an item."""
    if not can_view_action_item(user, item):
        return False
    return item.owner_id == user.pk or is_responder(user)


def findings_visible_to(
    user: Any, queryset: QuerySet[PolicyFinding] | None = None
) -> QuerySet[PolicyFinding]:
    """Policy findings visible to members; a finding only linked to restricted incidents they cannot see is hidden."""
    qs = queryset if queryset is not None else PolicyFinding.objects.all()
    if not _active(user):
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


def can_view_finding(user: Any, finding: PolicyFinding) -> bool:
    return findings_visible_to(user).filter(pk=finding.pk).exists()


def can_edit_finding(user: Any, finding: PolicyFinding) -> bool:
    return can_view_finding(user, finding) and (finding.owner_id == user.pk or is_responder(user))


# --- Follow-through: action items and policy findings ----------------------------------------------------


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
    """Annotate `incident_visible` (bool): may `user` see the item's incident? One subquery, no extra rows.

    An owner sees their own item on a restricted incident, but not the incident's reference or title.
    """
    if is_admin(user):
        return queryset.annotate(incident_visible=Value(True, output_field=BooleanField()))
    visible = incidents_visible_to(user).filter(pk=OuterRef("incident_id"))
    return queryset.annotate(incident_visible=Exists(visible))


def factors_with_recurrence_visibility(user: Any, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Annotate contributing factors with `recurrence_visible` (bool): may `user` see the incident of the
    factor each one recurs from? One subquery. A recurrence from a hidden incident is not named anywhere
    (API `recurrence_of: null`, exports), and editing the factor keeps it as it is."""
    if is_admin(user):
        return queryset.annotate(recurrence_visible=Value(True, output_field=BooleanField()))
    visible = incidents_visible_to(user).filter(pk=OuterRef("recurrence_of__incident_id"))
    return queryset.annotate(recurrence_visible=Exists(visible))


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


def can_verify_finding(user: Any, finding: PolicyFinding) -> bool:
    """Someone other than the owner who may see the finding and is a responder, lead or admin."""
    if finding.owner_id is not None and finding.owner_id == getattr(user, "pk", None):
        return False
    return is_responder(user) and can_view_finding(user, finding)


def can_accept_finding_risk(user: Any, finding: PolicyFinding) -> bool:
    """The lead of the finding's team, or an admin, who may see the finding; never its owner.

    A finding of no team has its risk accepted by an admin only; a lead of another team never.
    """
    if finding.owner_id is not None and finding.owner_id == getattr(user, "pk", None):
        return False
    if not can_view_finding(user, finding):
        return False
    return is_admin(user) or (finding.team_id is not None and finding.team_id in lead_team_ids(user))


def can_move_finding(user: Any, finding: PolicyFinding) -> bool:
    """Moving a finding along its lifecycle (open, remediating, remediated, reopen, close): its owner, its
    verifier, the lead of its team, or an admin, who may see it. Other responders may read and comment."""
    if not can_view_finding(user, finding):
        return False
    if is_admin(user) or user.pk in (finding.owner_id, finding.verifier_id):
        return True
    return finding.team_id is not None and finding.team_id in lead_team_ids(user)


def can_reassign_work(user: Any) -> bool:
    """Team leads and admins may reassign other people's action items and findings in bulk."""
    return is_lead(user)


# --- Postmortems ----------------------------------------------------------------------------------------
# Authors and responders edit; requested reviewers approve, but never text they wrote themselves (the
# postmortem's author and whoever saved the current version cannot approve it: a review is a second pair
# of eyes); the incident's commander or an admin publishes an approved postmortem.


def can_edit_postmortem(user: Any, postmortem: Any) -> bool:
    """True if `user` may edit sections, answer the questions, record factors and run the meeting.

    The postmortem's author and anyone who may record on the incident (responders, commander, scribe).
    A published postmortem is frozen: nobody edits it until it is reopened.
    """
    return postmortem.status != "published" and can_write_review(user, postmortem)


def can_write_review(user: Any, postmortem: Any) -> bool:
    """The postmortem's author and anyone who may record on the incident, whatever the status.

    Write services check this and then refuse a published postmortem as frozen (a state, not a right).
    """
    incident = postmortem.incident
    if not can_view_incident(user, incident):
        return False
    return postmortem.author_id == user.pk or can_record(user, incident)


def can_request_review(user: Any, postmortem: Any) -> bool:
    """Editors request reviewers while the postmortem is a draft or in review."""
    return postmortem.status in ("draft", "in_review") and can_edit_postmortem(user, postmortem)


def can_be_reviewer(user: Any, postmortem: Any) -> bool:
    """Responders and leads (or admins) who may see the incident and did not write the postmortem."""
    if not _active(user) or postmortem.author_id == user.pk:
        return False
    return is_responder(user) and can_view_incident(user, postmortem.incident)


def can_decide_review(user: Any, postmortem: Any, *, current_author_id: int | None = None) -> bool:
    """A requested reviewer who may see the incident and wrote neither the postmortem nor its current
    version (`current_author_id`), whatever the status: the right to approve or request changes."""
    if not _active(user) or user.pk in (postmortem.author_id, current_author_id):
        return False
    if not can_view_incident(user, postmortem.incident):
        return False
    return postmortem.reviews.filter(reviewer=user).exists()


def can_approve_postmortem(user: Any, postmortem: Any, *, current_author_id: int | None = None) -> bool:
    """A requested reviewer may approve or request changes while the postmortem is in review.

    Refused for the postmortem's author and for the author of the current version (`current_author_id`).
    """
    if postmortem.status != "in_review":
        return False
    return can_decide_review(user, postmortem, current_author_id=current_author_id)


def can_conclude_review(user: Any, postmortem: Any) -> bool:
    """The incident's commander or an admin, whatever the status: the right to publish and to reopen."""
    if not can_view_incident(user, postmortem.incident):
        return False
    return is_admin(user) or postmortem.incident.commander_id == user.pk


def can_publish_postmortem(user: Any, postmortem: Any) -> bool:
    """The incident's commander or an admin publishes an approved postmortem."""
    return postmortem.status == "approved" and can_conclude_review(user, postmortem)


def can_reopen_postmortem(user: Any, postmortem: Any) -> bool:
    """The commander or an admin may reopen a published postmortem for edits (its versions stay)."""
    return postmortem.status == "published" and can_conclude_review(user, postmortem)


def can_subscribe_broadly(user: Any) -> bool:
    """Members (and admins) may subscribe to a service or a team; what each email shows is checked at send."""
    return is_member(user)


def subscriptions_visible_to(user: Any, queryset: Any = None) -> Any:
    """The user's own subscriptions, without those to incidents they can no longer see."""
    qs = queryset if queryset is not None else Subscription.objects.all()
    if not _active(user):
        return qs.none()
    return qs.filter(user=user).filter(Q(incident__isnull=True) | Q(incident__in=incidents_visible_to(user)))


# --- Settings pages: services, tags, mailing lists, chat webhooks, alert integrations ---------------------


def lead_team_ids(user: Any) -> set[int]:
    """Ids of the teams `user` leads (empty for inactive users; admins are handled by the callers)."""
    if not _active(user):
        return set()
    cache = getattr(user, "_hindsight_lead_teams", None)
    if cache is None:
        cache = set(user.memberships.filter(role="lead").values_list("team_id", flat=True))
        user._hindsight_lead_teams = cache
    return cache


def can_manage_settings(user: Any) -> bool:
    """Team leads and admins open the settings pages (services, tags, mailing lists, chat, integrations)."""
    return is_lead(user)


def can_manage_team(user: Any, team_id: int | None) -> bool:
    """Admins, and the leads of team `team_id`, manage its services, chat webhook and alert integrations.

    Things owned by no team (`team_id` None) are for admins only.
    """
    return is_admin(user) or (team_id is not None and team_id in lead_team_ids(user))


# --- Checks for write services ------------------------------------------------------------------------
# Each write service calls one of these (or `authorize`) with its actor before it touches a row. What the
# actor may not see is refused as not found (404); what they see but may not do, as 403.


def require_declare(actor: Any) -> None:
    """Declaring an incident: responders, team leads and admins."""
    authorize(actor, can_declare, message="Only responders, team leads and admins may declare incidents.")


def require_record(actor: Any, incident: Incident) -> None:
    """Recording on `incident`: timeline entries, contributing factors, starting its postmortem."""
    authorize(
        actor,
        lambda u: can_record(u, incident),
        visible=lambda u: can_view_incident(u, incident),
        message="You may read this incident but not record on it.",
    )


def require_command(actor: Any, incident: Incident) -> None:
    """Commanding `incident`: edit, status, severity, roles, resolve, reopen."""
    authorize(
        actor,
        lambda u: can_command(u, incident),
        visible=lambda u: can_view_incident(u, incident),
        message="Only the incident's commander, a team lead or an admin may do this.",
    )


def require_admin(actor: Any, message: str, *, incident: Incident | None = None) -> None:
    """Admins only; on an `incident` the actor cannot see, refused as not found."""
    authorize(
        actor,
        is_admin,
        visible=(lambda u: can_view_incident(u, incident)) if incident is not None else True,
        message=message,
    )


def require_write_review(actor: Any, postmortem: Any) -> None:
    """Editing the postmortem's text, questions, meeting, reviewers and blameless dismissals."""
    authorize(
        actor,
        lambda u: can_write_review(u, postmortem),
        visible=lambda u: can_view_incident(u, postmortem.incident),
        message="You may read this postmortem but not edit it.",
    )


def require_edit_action_item(actor: Any, item: ActionItem) -> None:
    """Editing, moving or re-checking an action item: its owner, responders who see it, admins."""
    authorize(
        actor,
        lambda u: can_edit_action_item(u, item),
        visible=lambda u: can_view_action_item(u, item),
        message="You may read this action item but not change it.",
    )


def require_edit_finding(actor: Any, finding: PolicyFinding) -> None:
    """Editing a policy finding: its owner, responders who see it, admins."""
    authorize(
        actor,
        lambda u: can_edit_finding(u, finding),
        visible=lambda u: can_view_finding(u, finding),
        message="You may read this finding but not change it.",
    )
