"""Invitations: a team lead (or admin) invites someone by email; the link lets them set a password and join.

Only the SHA-256 of the link's token is stored. An invitation is good for `INVITATION_DAYS` and once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.mail import account_mail_send
from accounts.models import Invitation, Membership, SecurityEvent, Team, User
from accounts.security import security_event_record

INVITATION_DAYS = 7


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def can_invite(actor: Any, team: Team) -> bool:
    """Admins, and the leads of `team`, invite people to it."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if actor.is_staff or actor.is_superuser:
        return True
    return Membership.objects.filter(user=actor, team=team, role=Membership.Role.LEAD).exists()


def teams_for_inviter(actor: Any) -> Any:
    """The teams `actor` may invite people to."""
    teams = Team.objects.order_by("name")
    if getattr(actor, "is_staff", False) or getattr(actor, "is_superuser", False):
        return teams
    return teams.filter(memberships__user=actor, memberships__role=Membership.Role.LEAD)


@transaction.atomic
def invitation_create(
    *, actor: Any, email: str, team: Team, role: str = Membership.Role.RESPONDER
) -> Invitation:
    """Invite `email` to `team` with `role` and email them the link (after commit).

    PermissionDenied unless `actor` leads the team or is an admin. ValidationError keyed `email` when the
    address already has an account, keyed `role` for an unknown role. An open invitation of the same
    address (in any letter case) to the same team is withdrawn: one open invitation per address and team.
    """
    if not can_invite(actor, team):
        raise PermissionDenied("Only the team's leads and admins invite people to it.")
    email = User.objects.normalize_email((email or "").strip()).lower()
    if role not in Membership.Role.values:
        raise ValidationError({"role": "Choose viewer, responder or team lead."})
    if User.objects.filter(email=email).exists():
        raise ValidationError(
            {"email": "This person already has an account; an admin adds them to the team."}
        )
    # Inviting again replaces the open invitation to the same team: its link stops working.
    Invitation.objects.filter(
        email__iexact=email, team=team, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    raw = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email, team=team, role=role, token_hash=_hash(raw), invited_by=actor,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )  # fmt: skip
    link = f"{settings.SITE_URL}/accounts/invitations/{raw}/"
    context = {"invitation": invitation, "link": link, "inviter": actor, "days": INVITATION_DAYS}
    subject = f"{actor} invites you to {team.name} on Hindsight"
    body = render_to_string("accounts/emails/invitation.txt", context)
    transaction.on_commit(lambda: account_mail_send(subject, body, email))
    security_event_record(
        kind=SecurityEvent.Kind.INVITATION, actor=actor, target=email, detail=f"to {team.name} as {role}"
    )
    return invitation


def invitation_for_token(raw: str) -> Invitation | None:
    """The open invitation whose link token is `raw`, or None (unknown, used, revoked or expired)."""
    invitation = Invitation.objects.select_related("team").filter(token_hash=_hash(raw or "")).first()
    return invitation if invitation is not None and invitation.is_open else None


@transaction.atomic
def invitation_accept(*, raw: str, password: str, display_name: str = "", time_zone: str = "UTC") -> User:
    """Create the invitee's account with `password`, add them to the team and close the invitation.

    Raises ValidationError (keyed `password` for a weak one; without key for a link that is no longer
    good). Accepting twice fails the second time.
    """
    invitation = Invitation.objects.select_for_update().filter(token_hash=_hash(raw or "")).first()
    if invitation is None or not invitation.is_open:
        raise ValidationError("This invitation link is no longer valid; ask for a new one.")
    if User.objects.filter(email=invitation.email).exists():
        raise ValidationError("An account with this email exists already; sign in instead.")
    candidate = User(email=invitation.email, display_name=display_name.strip())
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user = User.objects.create_user(
        invitation.email, password, display_name=display_name.strip(), time_zone=time_zone
    )
    Membership.objects.create(user=user, team=invitation.team, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    # The account exists now: its other invitations (other teams) are no longer open.
    Invitation.objects.filter(
        email__iexact=invitation.email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    security_event_record(
        kind=SecurityEvent.Kind.INVITATION, actor=user, target=user.email, detail="accepted"
    )
    return user


@transaction.atomic
def invitation_revoke(*, actor: Any, invitation: Invitation) -> Invitation:
    """Withdraw an open invitation (its link stops working). Team leads of its team and admins only."""
    if not can_invite(actor, invitation.team):
        raise PermissionDenied("Only the team's leads and admins withdraw its invitations.")
    Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    invitation.refresh_from_db()
    return invitation
