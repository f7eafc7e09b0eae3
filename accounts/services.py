"""Account writes. Users are deactivated, never deleted."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, SecurityEvent, Team, User, validate_time_zone
from accounts.roles import is_admin
from accounts.security import security_event_record, user_sessions_end


@transaction.atomic
def user_deactivate(*, user: User, actor: Any) -> User:
    """Deactivate `user` (they can no longer sign in); every row they own stays as it is.

    Every session of the user ends (also if they are reactivated later). Records a security event and
    returns the user; the reassignment page (incidents/followup) lists the open work they leave behind.
    Deactivating twice changes nothing the second time.
    """
    if user.is_active:
        user.is_active = False
        user.deactivated_at = timezone.now()
        user.save(update_fields=["is_active", "deactivated_at"])
        user_sessions_end(user=user)
        security_event_record(
            kind=SecurityEvent.Kind.DEACTIVATION, actor=actor, target=f"user:{user.pk} {user.email}"
        )
    return user


@transaction.atomic
def team_chat_webhook_set(*, actor: Any, team: Team, url: str, time_zone: str | None = None) -> Team:
    """Set (or clear, with an empty `url`) the team's Slack-compatible or Teams incoming webhook, and the
    IANA zone its chat messages give times in (`time_zone`; None keeps it).

    The team's leads and admins only (PermissionDenied). Raises ValidationError keyed `chat_webhook_url`
    for anything but an https URL, keyed `time_zone` for a name that is not an IANA zone.
    """
    leads = Membership.objects.filter(user=actor, team=team, role=Membership.Role.LEAD).exists()
    if not (is_admin(actor) or (actor.is_active and leads)):
        raise PermissionDenied("Only the team's leads and admins change its chat webhook.")
    url = (url or "").strip()
    if url:
        try:
            URLValidator(schemes=["https"])(url)
        except ValidationError as exc:
            raise ValidationError(
                {"chat_webhook_url": "Paste the https URL of an incoming webhook."}
            ) from exc
    fields = ["chat_webhook_url"]
    if time_zone is not None:
        try:
            validate_time_zone(time_zone)
        except ValidationError as exc:
            raise ValidationError({"time_zone": exc.messages}) from exc
        team.time_zone = time_zone
        fields.append("time_zone")
    team.chat_webhook_url = url
    team.save(update_fields=fields)
    return team
