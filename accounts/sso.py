"""Single sign-on with OpenID Connect (authorization code flow with PKCE), through mozilla-django-oidc.

Users are matched by email and created at their first sign-in (with no usable password: they sign in only
through the provider). At every sign-in their team memberships and admin rights are set from the `groups`
claim by the `SsoGroupMapping` table. A deactivated user is refused. An ID token that is expired, not yet
valid or badly signed, and a callback whose `state` does not match, are refused.
"""

from __future__ import annotations

from typing import Any

import jwt
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts.models import Membership, SecurityEvent, SsoGroupMapping, User
from accounts.security import security_event_record

ROLE_RANK = {Membership.Role.VIEWER: 0, Membership.Role.RESPONDER: 1, Membership.Role.LEAD: 2}


def sso_enabled() -> bool:
    return bool(getattr(settings, "OIDC_ENABLED", False))


@transaction.atomic
def sso_memberships_sync(*, user: User, groups: list[str]) -> User:
    """Set `user`'s SSO-made memberships and admin flag from `groups` by the mapping table.

    Memberships an admin or an invitation made (`from_sso=False`) are left alone; an SSO-made one whose
    team no group gives any more is removed. With several groups for one team, the highest role wins.
    """
    rows = list(SsoGroupMapping.objects.select_related("team"))
    mine = [r for r in rows if r.group in set(groups)]
    wanted: dict[int, str] = {}
    for row in mine:
        if row.team_id is not None:
            current = wanted.get(row.team_id)
            if current is None or ROLE_RANK[Membership.Role(row.role)] > ROLE_RANK[Membership.Role(current)]:
                wanted[row.team_id] = row.role
    existing = {m.team_id: m for m in Membership.objects.filter(user=user)}
    for team_id, role in wanted.items():
        membership = existing.get(team_id)
        if membership is None:
            Membership.objects.create(user=user, team_id=team_id, role=role, from_sso=True)
        elif membership.from_sso and membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
    for team_id, membership in existing.items():
        if membership.from_sso and team_id not in wanted:
            membership.delete()
    if any(r.grants_admin for r in rows):
        admin = any(r.grants_admin for r in mine)
        if user.is_staff != admin:
            user.is_staff = admin
            user.save(update_fields=["is_staff"])
            security_event_record(kind=SecurityEvent.Kind.ROLE_CHANGE, actor=user, target=f"user:{user.pk}",
                                  detail=f"admin {'granted' if admin else 'removed'} by SSO groups")  # fmt: skip
    return user


class HindsightOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend for Hindsight's email-login User and the groups mapping.

    Inert (authenticates nothing) while single sign-on is off, so it can stay in AUTHENTICATION_BACKENDS.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.enabled = sso_enabled()
        self.UserModel = User
        if self.enabled:
            super().__init__(*args, **kwargs)

    def authenticate(self, request: Any, **kwargs: Any) -> Any:
        if not self.enabled:
            return None
        return super().authenticate(request, **kwargs)

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        email = (claims.get("email") or "").strip().lower()
        if not email:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(email__iexact=email)

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get("email")) and claims.get("email_verified", True) is not False

    def verify_token(self, token: str, **kwargs: Any) -> Any:
        try:
            return super().verify_token(token, **kwargs)
        except jwt.InvalidTokenError as exc:  # expired, not yet valid, bad signature ...
            security_event_record(
                kind=SecurityEvent.Kind.SIGN_IN_FAILED, target="sso", detail=f"ID token refused: {exc}"
            )
            raise PermissionDenied(f"The identity provider's token was refused: {exc}") from exc

    def create_user(self, claims: dict[str, Any]) -> User:
        user = User.objects.create_user(
            claims["email"].strip().lower(), None, display_name=(claims.get("name") or "")[:150]
        )
        return self.update_user(user, claims)

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        groups = claims.get("groups") or []
        if isinstance(groups, str):
            groups = [groups]
        if claims.get("name") and not user.display_name:
            user.display_name = str(claims["name"])[:150]
            user.save(update_fields=["display_name"])
        return sso_memberships_sync(user=user, groups=[str(g) for g in groups])


def sso_start(request: HttpRequest) -> HttpResponse:
    """Send the browser to the identity provider (404 when single sign-on is not configured)."""
    if not sso_enabled():
        raise Http404("Single sign-on is not configured.")
    return OIDCAuthenticationRequestView.as_view()(request)


def sso_callback(request: HttpRequest) -> HttpResponse:
    """The provider sends the browser back here (`/oidc/callback/`, the redirect URI to register)."""
    if not sso_enabled():
        raise Http404("Single sign-on is not configured.")
    return OIDCAuthenticationCallbackView.as_view()(request)
