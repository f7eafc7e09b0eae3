"""API token writes: create (the secret is returned once) and revoke. Only the SHA-256 of a secret is stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import ApiToken, SecurityEvent, User
from accounts.security import security_event_record


@transaction.atomic
def api_token_create(*, actor: User, name: str, read_only: bool = True) -> tuple[ApiToken, str]:
    """Create a token for `actor`; return `(token, raw_secret)`.

    The raw secret (`hst_` + 43 URL-safe characters) is never stored: show it once and forget it.
    Raises ValidationError keyed `name` for an empty or duplicate (among live tokens) name.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the token after what will use it (for example deploy-bot)."})
    if len(name) > 100:
        raise ValidationError({"name": "Keep the name under 100 characters."})
    if ApiToken.objects.filter(user=actor, name=name, revoked_at__isnull=True).exists():
        raise ValidationError({"name": "You already have a live token with this name."})
    raw = ApiToken.generate_key()
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        key_hash=ApiToken.hash_key(raw),
        key_prefix=raw[:12],
        read_only=read_only,
    )
    security_event_record(
        kind=SecurityEvent.Kind.TOKEN,
        actor=actor,
        target=f"api_token:{token.pk}",
        detail=f"created {'read-only' if read_only else 'read-write'} token {name!r} ({token.key_prefix}…)",
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke `token` (its owner or an admin only; others get ValidationError). Revoking twice changes nothing."""
    if token.user_id != actor.pk and not (actor.is_staff or actor.is_superuser):
        raise ValidationError("You can only revoke your own tokens.")
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db()
    if updated:
        security_event_record(
            kind=SecurityEvent.Kind.TOKEN,
            actor=actor,
            target=f"api_token:{token.pk}",
            detail=f"revoked token {token.name!r} ({token.key_prefix}…)",
        )
    return token


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The live token whose secret is `raw` (user joined), or None. Marks it used at most once a minute."""
    if not raw.startswith(ApiToken.PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= 60:
        # A conditional update: concurrent requests write the timestamp at most about once a minute.
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - timedelta(seconds=60))
        ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def tokens_for(user: Any) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included (shown struck through)."""
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-id"))
