"""Postmortems and contributing factors: who edits, requests and decides reviews, publishes and reopens,
and who waives a postmortem the process rule requires."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import BooleanField, Exists, OuterRef, QuerySet, Value

if TYPE_CHECKING:
    pass

from incidents.models import Postmortem, PostmortemStatus
from incidents.permissions.incident import can_record, can_view_incident, incidents_visible_to
from incidents.permissions.roles import is_active_user, is_admin, is_lead, is_responder, lead_team_ids

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
    if not is_active_user(user) or postmortem.author_id == user.pk:
        return False
    return is_responder(user) and can_view_incident(user, postmortem.incident)


def can_decide_review(user: Any, postmortem: Any, *, current_author_id: int | None = None) -> bool:
    """A requested reviewer who may see the incident and wrote neither the postmortem nor its current
    version (`current_author_id`), whatever the status: the right to approve or request changes."""
    if not is_active_user(user) or user.pk in (postmortem.author_id, current_author_id):
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


def can_waive_postmortem(user: Any, incident: Any) -> bool:
    """Admins and the leads of the teams the incident concerns (`incident.teams`) may waive a postmortem
    its process rule requires (with a reason). Not its commander or responders by that alone: skipping
    the review is decided by someone answerable for the team's process, not by those it would review."""
    if not can_view_incident(user, incident):
        return False
    if is_admin(user):
        return True
    if not is_lead(user):  # the roles already read for this request: no query for most people
        return False
    leads = lead_team_ids(user)
    return bool(leads) and incident.teams.filter(pk__in=leads).exists()


def factors_with_recurrence_visibility(user: Any, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Annotate contributing factors with `recurrence_visible` (bool): may `user` see the incident of the
    factor each one recurs from? One subquery. A recurrence from a hidden incident is not named anywhere
    (API `recurrence_of: null`, exports), and editing the factor keeps it as it is."""
    if is_admin(user):
        return queryset.annotate(recurrence_visible=Value(True, output_field=BooleanField()))
    visible = incidents_visible_to(user).filter(pk=OuterRef("recurrence_of__incident_id"))
    return queryset.annotate(recurrence_visible=Exists(visible))


def published_postmortems_visible_to(user: Any, queryset: QuerySet[Any] | None = None) -> QuerySet[Any]:
    """Published postmortems of the incidents `user` may see (the library's scope): a restricted incident's
    only for those inside it and admins, none of a soft-deleted incident, none for an anonymous or inactive
    user. One semi-join on `incidents_visible_to`, so it never multiplies rows."""
    qs = queryset if queryset is not None else Postmortem.objects.all()
    return qs.filter(status=PostmortemStatus.PUBLISHED, incident__in=incidents_visible_to(user).values("id"))
