"""Who sees an incident and everything recorded on it, who records on it, commands it, declares one, and
which subscriptions a person still has."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from incidents.models import Incident, Subscription, Visibility

if TYPE_CHECKING:
    from accounts.models import User

from incidents.permissions.roles import is_active_user, is_admin, is_member, is_responder, lead_team_ids

# Taking part in an incident: holding one of its roles (commander, communications lead, scribe) or being
# one of its participants. Having declared it is not taking part: the declarer is made a participant when
# they declare, so they see it as one, and removing them takes their access away like anyone else's (a
# role holder cannot be removed before the role goes to someone else). Every rule below, and the user
# querysets of `people.py`, read taking part this way.
TAKES_PART_ROLES = ("commander_id", "communications_lead_id", "scribe_id")


def participant_q(user: User, prefix: str = "") -> Q:
    """Q matching incidents (through `prefix`, e.g. `incident__`) in which `user` takes part (a role, or
    a participant; not having declared it)."""
    p = prefix
    return (
        Q(**{f"{p}commander": user})
        | Q(**{f"{p}communications_lead": user})
        | Q(**{f"{p}scribe": user})
        | Q(**{f"{p}participants": user})
    )


def _takes_part_q(user: Any) -> Q:
    """Q on incidents in which `user` takes part (the rule of `participant_q`), without joins: the
    participant check is a correlated EXISTS, so the scope never multiplies rows and the planner can test
    it per incident (or hash it) instead of joining every participant. Being asked to review grants
    nothing: a restricted postmortem's reviewers are chosen among those taking part
    (`users_who_may_review`), so removing a participant takes their access away at once."""
    participant = Incident.participants.through.objects.filter(incident_id=OuterRef("pk"), user_id=user.pk)
    return (
        Q(commander_id=user.pk)
        | Q(communications_lead_id=user.pk)
        | Q(scribe_id=user.pk)
        | Q(Exists(participant))
    )


def incident_ids_taken_part_in(user: Any, *, beyond_internal: bool) -> set[int]:
    """Ids of the not-deleted incidents `user` takes part in (the rule of `_takes_part_q`); with
    `beyond_internal` only those that are not internal (what a member sees only by taking part). One query,
    a UNION of one index lookup per role, so it costs the same with 100 incidents as with 100,000."""
    live = Incident.objects.filter(deleted_at__isnull=True)
    if beyond_internal:
        live = live.exclude(visibility=Visibility.INTERNAL)
    branches = [
        live.filter(**{field: user.pk}).order_by().values_list("id", flat=True) for field in TAKES_PART_ROLES
    ]
    participant = (
        Incident.participants.through.objects.filter(user_id=user.pk, incident__in=live.values("id"))
        .order_by()
        .values_list("incident_id", flat=True)
    )
    return set(branches[0].union(*branches[1:], participant))


def incidents_visible_to(user: Any, queryset: QuerySet[Incident] | None = None) -> QuerySet[Incident]:
    """Incidents `user` may see (never soft-deleted ones unless admin asks explicitly). Distinct rows.

    One filter on the incident table (no join), so `incidents_visible_to(user).values("id")` is a scope
    other tables can be semi-joined to."""
    qs = queryset if queryset is not None else Incident.objects.all()
    qs = qs.filter(deleted_at__isnull=True)
    if is_admin(user):
        return qs
    if not is_member(user):
        if not is_active_user(user):
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
    if not is_active_user(user):
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
    if not is_active_user(user):
        return qs.none()
    return qs.filter(Q(commander=user) | Q(scribe=user))


def can_command(user: Any, incident: Incident) -> bool:
    """True if `user` may change status, severity, roles and visibility, resolve and reopen.

    Admins; the incident's commander; any responder while it has no commander; and the leads of the teams
    the incident concerns (`incident.teams`). A lead of another team does not command it.
    """
    if not can_view_incident(user, incident):
        return False
    if is_admin(user) or incident.commander_id == user.pk:
        return True
    if incident.commander_id is None and is_responder(user):
        return True
    leads = lead_team_ids(user)
    return bool(leads) and incident.teams.filter(pk__in=leads).exists()


def can_remove_attachment(user: Any, attachment: Any) -> bool:
    """True if `user` may remove `attachment` (its bytes too) from its incident: who uploaded it while they
    may still record on the incident, and everyone who may command the incident (`can_command`)."""
    return attachment.pk in attachments_removable_by(user, attachment.incident, [attachment])


def attachments_removable_by(user: Any, incident: Incident, attachments: list[Any]) -> set[int]:
    """The ids of those of `attachments` (all of `incident`) that `user` may remove (`can_remove_attachment`),
    asking whether they may command the incident at most once."""
    if not attachments or not can_record(user, incident):
        return set()
    own = {a.pk for a in attachments if a.uploaded_by_id is not None and a.uploaded_by_id == user.pk}
    if len(own) == len(attachments) or not can_command(user, incident):
        return own
    return {a.pk for a in attachments}


def can_declare(user: Any) -> bool:
    """Responders, leads and admins may declare incidents."""
    return is_responder(user)


def can_subscribe_broadly(user: Any) -> bool:
    """Members (and admins) may subscribe to a service or a team; what each email shows is checked at send."""
    return is_member(user)


def subscriptions_visible_to(user: Any, queryset: Any = None) -> Any:
    """The user's own subscriptions, without those to incidents they can no longer see."""
    qs = queryset if queryset is not None else Subscription.objects.all()
    if not is_active_user(user):
        return qs.none()
    return qs.filter(user=user).filter(Q(incident__isnull=True) | Q(incident__in=incidents_visible_to(user)))
