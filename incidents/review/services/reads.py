"""Read receipts of published postmortems: who opened one, once per person."""

from __future__ import annotations

from typing import Any

from incidents.models import Postmortem, PostmortemRead, PostmortemStatus
from incidents.permissions.checks import actor_user, authorize
from incidents.permissions.incident import can_view_incident


def postmortem_read_record(*, postmortem: Postmortem, actor: Any) -> None:
    """Record that `actor` opened the published `postmortem`: at most one receipt per person (the unique
    constraint, written as one `INSERT ... ON CONFLICT DO NOTHING`, so a repeated or concurrent visit
    writes nothing). A postmortem not published records nothing.

    Raises AccessDenied (as not found) for an actor who may not see the incident."""
    authorize(
        actor,
        lambda u: can_view_incident(u, postmortem.incident),
        visible=False,
        message="This postmortem was not found.",
    )
    user = actor_user(actor)
    if user is None or postmortem.status != PostmortemStatus.PUBLISHED:
        return
    PostmortemRead.objects.bulk_create(
        [PostmortemRead(postmortem=postmortem, user=user)], ignore_conflicts=True
    )
