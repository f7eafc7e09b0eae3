"""The checks write services make before they touch a row: who is acting, and `authorize`.

Each write service calls `authorize` or one of the `require_*` checks with its actor. What the actor may
not see is refused as not found (AccessDenied with `visible=False`: 404); what they see but may not do, as
403 with the check's message. SYSTEM (Hindsight acting on its own) passes every check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from incidents.errors import AccessDenied
from incidents.models import Incident

if TYPE_CHECKING:
    from accounts.models import User

from incidents.permissions.followup import (
    can_accept_finding_risk,
    can_create_action_item,
    can_create_finding,
    can_edit_action_item,
    can_edit_finding,
    can_move_finding,
    can_send_action_item_to_tracker,
    can_verify_finding,
    can_view_action_item,
    can_view_finding,
    has_owned_finding,
)
from incidents.permissions.incident import (
    can_command,
    can_declare,
    can_record,
    can_remove_attachment,
    can_view_incident,
)
from incidents.permissions.people import NOT_CHOOSABLE, can_choose_person_on, can_manage_participants
from incidents.permissions.review import (
    can_conclude_review,
    can_decide_review,
    can_edit_postmortem,
    can_waive_postmortem,
    can_write_review,
)
from incidents.permissions.roles import can_manage_team, is_active_user, is_admin, is_responder

T = TypeVar("T")


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
    if is_active_user(actor) and allowed(actor):
        return
    seen = (
        visible(actor)
        if callable(visible) and is_active_user(actor)
        else bool(visible) and is_active_user(actor)
    )
    raise AccessDenied(message, visible=seen)


def require_declare(actor: Any) -> None:
    """Declaring an incident: responders, team leads and admins."""
    authorize(actor, can_declare, message="Only responders, team leads and admins may declare incidents.")


def require_report_change(actor: Any) -> None:
    """Reporting a deploy or change (`POST /api/v1/changes/`): responders, team leads and admins."""
    authorize(actor, is_responder, message="Only responders, team leads and admins may report changes.")


def require_create_finding(actor: Any) -> None:
    """Opening a policy finding (`can_create_finding`): responders, team leads and admins."""
    authorize(
        actor, can_create_finding, message="Only responders, team leads and admins open policy findings."
    )


def require_create_action_item(actor: Any, incident: Incident | None, finding: Any = None) -> None:
    """Creating an action item (`can_create_action_item`) on `incident` and/or for `finding` (either may be
    None: on its own, responders only). As not found when the actor cannot see one of them, else 403."""
    authorize(
        actor,
        lambda u: can_create_action_item(u, incident, finding=finding),
        visible=lambda u: (
            (incident is None or can_view_incident(u, incident))
            and (finding is None or can_view_finding(u, finding))
        ),
        message="You may not add action items here.",
    )


def require_admin(actor: Any, message: str, *, incident: Incident | None = None) -> None:
    """Admins only; on an `incident` the actor cannot see, refused as not found."""
    authorize(
        actor,
        is_admin,
        visible=(lambda u: can_view_incident(u, incident)) if incident is not None else True,
        message=message,
    )


def object_check(
    allowed: Callable[[Any, T], bool], visible: Callable[[Any, T], bool], message: str
) -> Callable[[Any, T], None]:
    """A check `(actor, obj)` for one kind of object: through if `allowed(actor, obj)`; else AccessDenied,
    as not found unless `visible(actor, obj)`, otherwise 403 with `message`."""

    def check(actor: Any, obj: T) -> None:
        authorize(actor, lambda u: allowed(u, obj), visible=lambda u: visible(u, obj), message=message)

    return check


# (actor, object) checks. Recording on an incident: timeline entries, contributing factors, starting its
# postmortem. Commanding it: edit, status, severity, roles, resolve, reopen. Writing the review: the
# postmortem's text, questions, meeting, reviewers and blameless dismissals. Editing, moving or re-checking
# an action item (its owner, responders who see it, admins); editing a policy finding (the same).
require_record = object_check(
    can_record, can_view_incident, "You may read this incident but not record on it."
)
require_command = object_check(
    can_command,
    can_view_incident,
    "Only the incident's commander, a lead of its team or an admin may do this.",
)
require_remove_attachment = object_check(
    can_remove_attachment,
    lambda u, a: can_view_incident(u, a.incident),
    "Only who uploaded this file, the incident's commander, a lead of its team or an admin may remove it.",
)
MANAGE_PARTICIPANTS_REFUSED = {
    "restricted": "Only those who may command a restricted incident add or remove its participants (taking "
    "part is what lets a person see it).",
    "internal": "You may read this incident but not add or remove its participants (that needs someone who "
    "may record on it).",
}


def require_manage_participants(actor: Any, incident: Incident) -> None:
    """Adding or removing participants (`can_manage_participants`): AccessDenied, as not found for those
    who cannot see `incident`, else 403 with the reason for its visibility (`MANAGE_PARTICIPANTS_REFUSED`:
    on a restricted incident only those who may command it; on an internal one those who may record)."""
    authorize(
        actor,
        lambda u: can_manage_participants(u, incident),
        visible=lambda u: can_view_incident(u, incident),
        message=MANAGE_PARTICIPANTS_REFUSED[str(incident.visibility)],
    )


require_write_review: Callable[[Any, Any], None] = object_check(
    can_write_review,
    lambda u, pm: can_view_incident(u, pm.incident),
    "You may read this postmortem but not edit it.",
)
require_edit_postmortem: Callable[[Any, Any], None] = object_check(
    can_edit_postmortem,
    lambda u, pm: can_view_incident(u, pm.incident),
    "You may read this postmortem but not edit it.",
)
require_dismiss_blameless: Callable[[Any, Any], None] = object_check(
    lambda u, pm: can_write_review(u, pm) or can_decide_review(u, pm),
    lambda u, pm: can_view_incident(u, pm.incident),
    "Only the postmortem's editors and reviewers dismiss blameless findings.",
)
require_edit_action_item = object_check(
    can_edit_action_item, can_view_action_item, "You may read this action item but not change it."
)
require_edit_finding = object_check(
    can_edit_finding, can_view_finding, "You may read this finding but not change it."
)
require_send_action_item_to_tracker = object_check(
    can_send_action_item_to_tracker,
    can_view_action_item,
    "This action item cannot go to a tracker: it is on a restricted incident, whose readers a tracker does "
    "not know, or you may not change it.",
)


require_move_finding = object_check(
    can_move_finding,
    can_view_finding,
    "Only the finding's owner, its verifier, its team's lead or an admin may move it.",
)


def _second_person_check(
    allowed: Callable[[Any, Any], bool], owner: str, refused: str
) -> Callable[[Any, Any], None]:
    """A step someone other than the owner must take: 403 with `owner` for whoever owns or ever owned the
    finding (`has_owned_finding`), with `refused` for others who see it; not found for those who do not."""

    def check(actor: Any, finding: Any) -> None:
        owned = actor_user(actor) is not None and has_owned_finding(actor, finding)
        authorize(
            actor,
            lambda u: allowed(u, finding),
            visible=lambda u: can_view_finding(u, finding),
            message=owner if owned else refused,
        )

    return check


require_verify_finding = _second_person_check(
    can_verify_finding,
    "You own this finding; someone else must verify it.",
    "You may not verify this finding.",
)
require_accept_finding_risk = _second_person_check(
    can_accept_finding_risk,
    "You own this finding; someone else must approve the risk.",
    "Only a team lead or admin may accept a risk.",
)


def require_decide_review(actor: Any, postmortem: Any) -> None:
    """Approving or requesting changes (`can_decide_review`): a requested reviewer who wrote neither the
    postmortem nor its current version (one query reads who saved it); not found for those who cannot see
    it."""

    def allowed(u: Any) -> bool:
        current = postmortem.versions.order_by("-number").values_list("author_id", flat=True).first()
        return can_decide_review(u, postmortem, current_author_id=current)

    authorize(
        actor,
        allowed,
        visible=lambda u: can_view_incident(u, postmortem.incident),
        message="Only a requested reviewer who did not write this text may decide on it.",
    )


def require_conclude_review(
    actor: Any,
    postmortem: Any,
    message: str = "Only the incident's commander or an admin can publish or reopen a postmortem.",
) -> None:
    """Publishing or reopening a postmortem (`can_conclude_review`): the commander or an admin."""
    authorize(
        actor,
        lambda u: can_conclude_review(u, postmortem),
        visible=lambda u: can_view_incident(u, postmortem.incident),
        message=message,
    )


require_waive_postmortem = object_check(
    can_waive_postmortem,
    can_view_incident,
    "Only an admin or a lead of the incident's team may waive its postmortem.",
)


def require_manage_team(actor: Any, team_id: int | None, message: str) -> None:
    """Team settings (a team's tracker): its leads and admins (`can_manage_team`)."""
    authorize(actor, lambda u: can_manage_team(u, team_id), message=message)


def require_page(allowed: bool, message: str) -> None:
    """A page or form about something the actor may see (or about no object: a settings page): 403 with
    `message` unless `allowed`. What the actor may not see is refused before this, by the selector that
    loads it, as not found (404); so a person who sees a thing but may not change it is told so."""
    if not allowed:
        raise AccessDenied(message, visible=True)


# --- People chosen for a field ----------------------------------------------------------------------------


def person_refusal(
    actor: Any,
    person: Any,
    *,
    incidents: Iterable[Incident | None] = (),
    why_not: Callable[[Any], str | None] = lambda person: None,
) -> str | None:
    """The one answer to `actor` choosing `person` (a User, or None for nobody) for a field on
    `incidents` (the incident the field is on, a finding's incidents; none for an item on its own): None
    when accepted; `NOT_CHOOSABLE` for a deactivated person or one `actor` may not pick
    (`can_choose_person_on`: not listed for them by `/api/v1/users/?incident=N`), the very answer an id that
    names nobody gets, so a refusal never tells who exists; otherwise `why_not(person)`, a message that may
    name them (the actor may see them) or None when they may hold it. Hindsight itself (SYSTEM) picks any
    active person."""
    if person is None:
        return None
    if not getattr(person, "is_active", False) or not getattr(person, "pk", None):
        return NOT_CHOOSABLE
    if actor is not SYSTEM and not can_choose_person_on(actor, person, incidents):
        return NOT_CHOOSABLE
    return why_not(person)


def refuse_people(
    actor: Any,
    people: Mapping[str, Any],
    *,
    incidents: Iterable[Incident | None] = (),
    why_not: Callable[[Any], str | None] = lambda person: None,
) -> None:
    """Raise ValidationError keyed by field for each field of `people` (a person, None, or a list of
    people for a many-person field) that `person_refusal` refuses: `NOT_CHOOSABLE` when any person of the
    field is one `actor` may not pick (nothing else said of the others), else each specific refusal, joined
    by "; ". Returns None when every person is accepted."""
    scopes = list(incidents)
    errors: dict[str, str] = {}
    for field, value in people.items():
        chosen = list(value) if isinstance(value, list | tuple | set | QuerySet) else [value]
        refusals = [person_refusal(actor, p, incidents=scopes, why_not=why_not) for p in chosen]
        if NOT_CHOOSABLE in refusals:
            errors[field] = NOT_CHOOSABLE
        elif said := [r for r in refusals if r]:
            errors[field] = "; ".join(said)
    if errors:
        raise ValidationError(errors)
