"""Whom a person may pick (for a role, as a participant, as an action-item owner) and who may record on an
incident, as user querysets.

- `users_visible_to(user, incident)`: the active people `user` may pick: the members of their own teams,
  themselves, and the people taking part in `incident` (its participants and role holders) when they may
  see it; on an internal incident (which every member sees) any member. Admins pick any active user. Nobody else is offered, so a picker never lists the whole company
  to a member of one team, and a deactivated person is never offered.
- `can_choose_person(user, person, incident)`: the same rule for one person (what services check).
- `users_who_may_record(incident)`: the active users for whom `can_record(u, incident)` is True (kept
  equal to it by a test over every persona).
- `users_who_may_take_role(incident)` / `can_take_role(person, incident)`: the one rule for who may be
  given work on an incident (a role: commander, communications lead, scribe; and a review of its
  postmortem): admins, and responders and leads who may already see it (any of them on an internal
  incident, on a restricted one only those taking part in it). So a role never turns a read-only viewer
  into a writer, and giving one never lets anyone into a restricted incident (adding a participant does).
- `users_who_may_own(incident)` / `can_own_action_item(person, incident=, finding=)`: action-item owners:
  on an incident, those who may record on it; on none, members (and, for a policy finding's item, who
  may see the finding).
- `may_choose_item_owner(user, incident=, finding=)` / `item_owners_offered(user, ...)`: who may give an
  action item to someone, and whom its owner picker offers them: only someone who sees what the item hangs
  on (its incident, else its policy finding) chooses among `users_who_may_own`; the owner of an item on an
  incident they cannot see keeps it (the picker offers only them), since the people who may own it are that
  incident's own (on a restricted one, its participants) and a picker or a refusal would name them.
- `users_who_may_see(incident)`: the active users for whom `can_view_incident(u, incident)` is True.
- `users_who_may_hold_finding(incidents)` / `can_hold_finding(person, incidents)`: who may own or verify
  a policy finding seen in `incidents`: someone who may see every one of them (on none, anyone active),
  so handing a finding on never lets anyone read what a restricted incident taught.
  `may_choose_finding_people(user, finding)`: only someone who sees every incident of the finding changes
  its owner or verifier (else the answer would tell who takes part in one they cannot see);
  `finding_people_refusal(user, finding)`: that, and only someone who may move it (`can_move_finding`);
  `may_verify_finding_as_chosen(person, finding)`: never anyone who owns or owned it.
- `users_who_may_review(postmortem)`: whom a postmortem's review may be asked of (`can_be_reviewer`):
  `users_who_may_take_role(its incident)`, never its author; asking never lets anyone in.
- `NOT_CHOOSABLE`: the one refusal for a person the actor may not pick, an inactive one, or an id that
  names nobody (the API's person fields say the same), so a refusal never tells ids apart.
- `checks.person_refusal(actor, person, incidents=, why_not=)` / `checks.refuse_people(actor, {field:
  person})` (in `checks`, beside SYSTEM, which they let pick anyone active): the one answer to a person
  chosen for any field (an owner, a verifier, a role, a participant, a reviewer, an
  attendee, a task's owner): someone the actor cannot pick (not among `users_visible_to(actor, incident)`
  for any of `incidents`, what `/api/v1/users/?incident=N` lists them) is `NOT_CHOOSABLE`, exactly as an
  id that names nobody, and never accepted; only then does `why_not` say, naming them, why someone the
  actor may see may not hold the field. Every service that takes a person asks it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import Membership, User
from incidents.models import Incident, PostmortemReview, Visibility
from incidents.permissions.followup import can_move_finding, can_view_finding, has_owned_finding
from incidents.permissions.incident import can_command, can_record, can_view_incident
from incidents.permissions.roles import is_active_user, is_admin

RESPONDER_ROLES = ("responder", "lead")

NOT_CHOOSABLE = "Choose an active person from your teams or from this incident."


def _users() -> QuerySet[User]:
    return User.objects.filter(is_active=True)


def _takes_part_q(incident: Incident, *, reviewers: bool = True) -> Q:
    """Q on users taking part in `incident` (participants and role holders, not its declarer as such: the
    rule of `permissions.incident.participant_q`; with `reviewers`, also its postmortem's reviewers, whom
    a picker may bring back in, though being asked to review grants no sight), as semi-joins that never
    multiply rows."""
    role_ids = [
        v
        for v in (incident.commander_id, incident.communications_lead_id, incident.scribe_id)
        if v is not None
    ]
    participants = Incident.participants.through.objects.filter(incident_id=incident.pk).values("user_id")
    match = Q(pk__in=participants) | Q(pk__in=role_ids)
    if reviewers:
        asked = PostmortemReview.objects.filter(postmortem__incident_id=incident.pk).values("reviewer_id")
        match |= Q(pk__in=asked)
    return match


def users_visible_to(user: Any, incident: Incident | None = None) -> QuerySet[User]:
    """The active users `user` may pick, ordered by name then email (a queryset; empty for anyone not
    signed in or deactivated).

    Admins: every active user. Others: members of the teams `user` belongs to (any role), `user` themself,
    and, with an `incident` that `user` may see, the people taking part in it and, when it is internal
    (seen by every member) or `user` may command it (on a restricted one, adding a participant is the
    only way in), every member of any team."""
    qs = _users().order_by("display_name", "email")
    if is_admin(user):
        return qs
    if not is_active_user(user):
        return qs.none()
    team_ids = Membership.objects.filter(user_id=user.pk).values("team_id")
    mates = Membership.objects.filter(team_id__in=team_ids).values("user_id")
    match = Q(pk=user.pk) | Q(pk__in=mates)
    if incident is not None and can_view_incident(user, incident):
        match |= _takes_part_q(incident)
        if incident.visibility == Visibility.INTERNAL or can_command(user, incident):
            # Every member sees an internal incident already, and people are pulled in across teams
            # (the comms lead from support, a DBA): any member may be picked there. On a restricted one
            # those who command it bring people in (taking part is the only way in), from any team.
            match |= Q(pk__in=Membership.objects.values("user_id"))
    return qs.filter(match)


def can_choose_person(user: Any, person: Any, incident: Incident | None = None) -> bool:
    """True if `user` may pick `person` (an active user among `users_visible_to(user, incident)`)."""
    if person is None or not getattr(person, "is_active", False) or not getattr(person, "pk", None):
        return False
    if is_admin(user):
        return True
    return users_visible_to(user, incident).filter(pk=person.pk).exists()


def _scopes(incidents: Iterable[Incident | None]) -> list[Incident | None]:
    return [i for i in incidents if i is not None] or [None]


def users_visible_on(user: Any, incidents: Iterable[Incident | None] = ()) -> QuerySet[User]:
    """The active users `user` may pick for something on any of `incidents` (`users_visible_to` of each;
    with none, as on no incident: their own teams), by name then email."""
    found = User.objects.none()
    for incident in _scopes(incidents):
        found = found | users_visible_to(user, incident)
    return found.order_by("display_name", "email")


def can_choose_person_on(user: Any, person: Any, incidents: Iterable[Incident | None] = ()) -> bool:
    """True if `user` may pick `person` for something on any of `incidents` (`can_choose_person`; with
    none, as on no incident: their own teams). A finding seen in several incidents takes people the
    chooser may pick on one of them."""
    return any(can_choose_person(user, person, incident) for incident in _scopes(incidents))


def unknown_person(pk: int) -> User:
    """The stand-in for a user id that names no active user, as the API's person fields hand it on: an
    unsaved, deactivated `User` with that id (0 when out of range). Every service refuses it with
    `person_refusal`'s `NOT_CHOOSABLE` at the very step it refuses someone the caller may not pick, so the
    two answers are the same bytes whatever else the request gets wrong. Never saved."""
    return User(pk=pk if 0 < pk < 2**63 else 0, is_active=False, email="", display_name="")


def users_who_may_record(incident: Incident) -> QuerySet[User]:
    """The active users who may record on `incident` (`can_record`), by name then email.

    Admins always; on an internal incident every responder or lead of any team; on a restricted one the
    responders and leads taking part in it; and on either, its commander and scribe (who record whatever
    their team role, and who take part in it). Nobody on a soft-deleted incident but admins."""
    qs = _users().order_by("display_name", "email")
    admins = Q(is_staff=True) | Q(is_superuser=True)
    if incident.deleted_at is not None:
        return qs.filter(admins)
    responders = Q(pk__in=Membership.objects.filter(role__in=RESPONDER_ROLES).values("user_id"))
    role_holders = Q(pk__in=[v for v in (incident.commander_id, incident.scribe_id) if v is not None])
    if incident.visibility == Visibility.INTERNAL:
        return qs.filter(admins | responders | role_holders)
    return qs.filter(admins | (responders & _takes_part_q(incident, reviewers=False)) | role_holders)


def users_who_may_see(incident: Incident) -> QuerySet[User]:
    """The active users who may see `incident` (`can_view_incident`), by name then email: admins; on an
    internal one every member; on either, those taking part in it (participants, role holders; its
    declarer only while a participant); on a soft-deleted one admins only."""
    qs = _users().order_by("display_name", "email")
    admins = Q(is_staff=True) | Q(is_superuser=True)
    if incident.deleted_at is not None:
        return qs.filter(admins)
    match = admins | _takes_part_q(incident, reviewers=False)
    if incident.visibility == Visibility.INTERNAL:
        match |= Q(pk__in=Membership.objects.values("user_id"))
    return qs.filter(match)


def users_who_may_attend(incident: Incident) -> QuerySet[User]:
    """The active people invited to `incident`'s review meeting may be chosen from, by name then email:
    those taking part in it (participants, role holders, its declarer, its postmortem's reviewers) who may
    see it. A restricted incident's invitation never goes to anyone outside it."""
    return users_who_may_see(incident).filter(_takes_part_q(incident))


def users_who_may_hold_finding(incidents: Iterable[Incident]) -> QuerySet[User]:
    """The active users who may own or verify a policy finding seen in `incidents`: those who may see
    every one of them (`users_who_may_see`); with none, every active user. By name then email."""
    qs = _users().order_by("display_name", "email")
    for incident in incidents:
        qs = qs.filter(pk__in=users_who_may_see(incident).values("pk"))
    return qs


def can_hold_finding(person: Any, incidents: Iterable[Incident]) -> bool:
    """True if `person` (an active user) may own or verify a finding seen in `incidents`: they may see
    each of them (`can_view_incident`)."""
    if person is None or not getattr(person, "is_active", False) or not getattr(person, "pk", None):
        return False
    return all(can_view_incident(person, incident) for incident in incidents)


def may_choose_finding_people(user: Any, finding: Any) -> bool:
    """True if `user` may set the owner or verifier of `finding`: they see every incident it was seen in
    (admins always). Someone who sees the finding through one incident but not another could otherwise
    learn, from what is accepted, who takes part in the hidden one."""
    if is_admin(user):
        return True
    return all(can_view_incident(user, incident) for incident in finding.incidents.all())


FINDING_PEOPLE_KEPT = (
    "Only people who see every incident this finding was seen in choose its owner and verifier: "
    "ask one of them."
)
FINDING_PEOPLE_MOVERS = (
    "Only the finding's owner, its verifier, its team's lead or an admin choose its owner and verifier."
)


def finding_people_refusal(user: Any, finding: Any) -> str | None:
    """Why `user` may not set the owner or verifier of `finding` (as stored), or None when they may.

    Choosing them needs the right to move the finding (`can_move_finding`: its owner, its verifier, its
    team's lead, an admin), else anyone who may edit its text could make themselves its verifier and then
    move, verify and close it (`FINDING_PEOPLE_MOVERS`); and seeing every incident it was seen in
    (`may_choose_finding_people`, else `FINDING_PEOPLE_KEPT`)."""
    if not can_move_finding(user, finding):
        return FINDING_PEOPLE_MOVERS
    if not may_choose_finding_people(user, finding):
        return FINDING_PEOPLE_KEPT
    return None


def may_verify_finding_as_chosen(person: Any, finding: Any) -> bool:
    """May `person` be made the verifier of `finding`? Not anyone who owns or ever owned it
    (`has_owned_finding`): they could never verify it, since the verifier must differ from whoever was
    responsible for the fix."""
    return not has_owned_finding(person, finding)


def users_who_may_review(postmortem: Any) -> QuerySet[User]:
    """The active users who may be asked to review `postmortem` (`can_be_reviewer`), by name then email:
    `users_who_may_take_role(postmortem.incident)` (the one rule for who may be given work on an
    incident) without the postmortem's author."""
    qs = users_who_may_take_role(postmortem.incident)
    if postmortem.author_id is not None:
        qs = qs.exclude(pk=postmortem.author_id)
    return qs


def users_who_may_take_role(incident: Incident) -> QuerySet[User]:
    """The active users who may be given work on `incident` (a role: commander, communications lead,
    scribe; a review of its postmortem), by name then email: admins; responders and leads of any team
    on an internal incident, on a restricted one only those taking part in it (so giving work never lets
    anyone in: adding a participant does); only admins on a soft-deleted one.

    So a read-only viewer never takes a role, and a role never lets anyone write who could not write as a
    participant. (`users_who_may_record` also counts the role holders themselves; this does not.)"""
    qs = _users().order_by("display_name", "email")
    admins = Q(is_staff=True) | Q(is_superuser=True)
    if incident.deleted_at is not None:
        return qs.filter(admins)
    responders = Q(pk__in=Membership.objects.filter(role__in=RESPONDER_ROLES).values("user_id"))
    if incident.visibility == Visibility.INTERNAL:
        return qs.filter(admins | responders)
    return qs.filter(admins | (responders & _takes_part_q(incident, reviewers=False)))


def can_take_role(person: Any, incident: Incident) -> bool:
    """True if `person` (an active user) is among `users_who_may_take_role(incident)`."""
    if person is None or not getattr(person, "is_active", False) or not getattr(person, "pk", None):
        return False
    return users_who_may_take_role(incident).filter(pk=person.pk).exists()


def users_who_may_own(incident: Incident | None, finding: Any = None) -> QuerySet[User]:
    """The active users who may own an action item, by name then email: on `incident`, those who may
    record on it (`users_who_may_record`: no read-only viewer, nobody who cannot see it); on no incident,
    members of a team and admins, and for an item of a policy `finding`, only those of them who may see the
    finding (`can_view_finding`: its owner, or anyone who sees one of its incidents when it has any)."""
    if incident is not None:
        return users_who_may_record(incident)
    members = Q(pk__in=Membership.objects.values("user_id"))
    qs = _users().filter(members | Q(is_staff=True) | Q(is_superuser=True)).order_by("display_name", "email")
    if finding is not None:
        linked = list(finding.incidents.all())
        if linked:
            seeing = Q(is_staff=True) | Q(is_superuser=True)
            if finding.owner_id is not None:
                seeing |= Q(pk=finding.owner_id)
            for seen_in in linked:
                seeing |= Q(pk__in=users_who_may_see(seen_in).values("pk"))
            qs = qs.filter(seeing)
    return qs


def item_owner_scope(*, incident: Incident | None, finding: Any = None) -> list[Incident | None]:
    """The incidents whose people an action item's owner is picked among (`person_refusal`'s
    `incidents`): its incident; on none, its policy finding's incidents; else none (the chooser's teams)."""
    if incident is not None:
        return [incident]
    if finding is not None:
        return list(finding.incidents.all())
    return []


def can_own_action_item(person: Any, *, incident: Incident | None, finding: Any = None) -> bool:
    """True if `person` may own an action item on `incident` (or on none): one of `users_who_may_own`
    (for an item of a policy finding without incident, someone who may see the finding)."""
    if person is None or not getattr(person, "is_active", False) or not getattr(person, "pk", None):
        return False
    if not users_who_may_own(incident).filter(pk=person.pk).exists():
        return False
    if incident is None and finding is not None:
        return can_view_finding(person, finding)
    return True


ITEM_OWNER_KEPT = (
    "Only people who may see what this action item is on give it to someone else: ask one of them."
)


def may_choose_item_owner(user: Any, *, incident: Incident | None, finding: Any = None) -> bool:
    """True if `user` may set the owner of an action item on `incident` (or, with none, from `finding`):
    only someone who may see what the item hangs on (an item on neither: anyone who edits it).

    The owner of an item on an incident they cannot see edits and closes it but never hands it on: whom
    they could hand it to are the incident's people, and the answer (accepted, or refused naming the
    incident) would tell them who takes part."""
    if incident is not None:
        return can_view_incident(user, incident)
    if finding is not None:
        return can_view_finding(user, finding)
    return True


def can_own_task(person: Any, incident: Incident) -> bool:
    """True if `person` may own a task of `incident`'s checklist: the rule for an action item's owner on it
    (`can_own_action_item`: someone who may record on it, and so mark the task done; never a read-only
    viewer or someone who cannot see it)."""
    return can_own_action_item(person, incident=incident)


def task_owners_offered(user: Any, incident: Incident) -> QuerySet[User]:
    """The people a task's owner picker offers `user` on `incident`, by name then email: those `user` may
    pick (`users_visible_to`) who may own it (`can_own_task`, i.e. `users_who_may_own(incident)`)."""
    owners = users_who_may_own(incident).values("pk")
    return users_visible_to(user, incident).filter(pk__in=owners).order_by("display_name", "email")


def item_owners_offered(
    user: Any, *, incident: Incident | None, finding: Any = None, keep_owner_id: int | None = None
) -> QuerySet[User]:
    """The people an action item's owner picker offers `user`, by name then email: those who may own it
    (`users_who_may_own(incident, finding)`) whom `user` may pick (`users_visible_on` the item's
    `item_owner_scope`), when `user` may choose its owner (`may_choose_item_owner`), plus the owner it has
    (`keep_owner_id`, who stays a choice after losing the right until someone changes it); otherwise only
    that owner. Exactly whom `action_item_create` / `action_item_update` accept."""
    kept = User.objects.filter(pk=keep_owner_id) if keep_owner_id is not None else User.objects.none()
    if not may_choose_item_owner(user, incident=incident, finding=finding):
        return kept.order_by("display_name", "email")
    pickable = users_visible_on(user, item_owner_scope(incident=incident, finding=finding))
    owners = users_who_may_own(incident, finding).filter(pk__in=pickable.values("pk"))
    return (owners | kept).order_by("display_name", "email")


def can_manage_participants(user: Any, incident: Incident) -> bool:
    """True if `user` may add and remove participants of `incident`: on a restricted incident taking part
    is what grants access, so those who may command it (`can_command`); on an internal one, anyone who may
    record on it (`can_record`)."""
    if incident.visibility == Visibility.RESTRICTED:
        return can_command(user, incident)
    return can_record(user, incident)
