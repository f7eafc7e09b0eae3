"""Two-factor sign-in with TOTP (RFC 6238, 30-second steps, 6 digits) through pyotp.

A code is accepted within one step of the clock either way, and each time step only once per user (a code
seen by someone looking over a shoulder cannot be replayed). Secrets are base32; only confirmed ones are
stored on the user.
"""

from __future__ import annotations

from typing import Any

import pyotp
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import SecurityEvent, User
from accounts.security import security_event_record

ISSUER = "Hindsight"


def totp_new_secret() -> str:
    """A fresh random base32 secret (160 bits)."""
    return pyotp.random_base32(32)


def totp_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads (as a QR code or pasted)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def _matching_step(secret: str, code: str) -> int | None:
    code = "".join((code or "").split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = timezone.now()
    for drift in (0, -1, 1):
        step = totp.timecode(now) + drift
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


@transaction.atomic
def totp_enable(*, user: User, secret: str, code: str) -> User:
    """Turn on two-factor sign-in with `secret` once `code` proves the app has it.

    Raises ValidationError keyed `code` for a wrong code.
    """
    step = _matching_step(secret, code)
    if step is None:
        raise ValidationError({"code": "That code does not match; type the 6 digits your app shows now."})
    User.objects.filter(pk=user.pk).update(
        totp_secret=secret, totp_enabled_at=timezone.now(), totp_last_step=step
    )
    user.refresh_from_db()
    security_event_record(
        kind=SecurityEvent.Kind.TWO_FACTOR, actor=user, target=f"user:{user.pk}", detail="enabled"
    )
    return user


@transaction.atomic
def totp_disable(*, user: User, actor: Any, code: str = "") -> User:
    """Turn two-factor sign-in off: the user with a current code, or an admin for another person (a lost
    phone) without one. An admin turning off their own needs a current code like anyone else.

    Refused (ValidationError keyed `code`) while the account is required to use it, unless an admin asks
    for someone else.
    """
    is_admin = bool(getattr(actor, "is_staff", False) or getattr(actor, "is_superuser", False))
    resetting_another = is_admin and getattr(actor, "pk", None) != user.pk
    if not resetting_another:
        if user.totp_required:
            raise ValidationError({"code": "Your account must use two-factor sign-in; ask an admin."})
        if not totp_verify(user=user, code=code):
            raise ValidationError({"code": "That code does not match."})
    User.objects.filter(pk=user.pk).update(totp_secret="", totp_enabled_at=None, totp_last_step=0)
    user.refresh_from_db()
    security_event_record(
        kind=SecurityEvent.Kind.TWO_FACTOR, actor=actor, target=f"user:{user.pk}", detail="disabled"
    )
    return user


def totp_verify(*, user: User, code: str) -> bool:
    """True once for a current code of `user` (the step is then used up); False otherwise."""
    if not user.totp_enabled:
        return False
    step = _matching_step(user.totp_secret, code)
    if step is None:
        return False
    # A conditional update: two requests with the same code cannot both pass.
    used = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(totp_last_step=step)
    if used:
        user.totp_last_step = step
    return bool(used)


def totp_needed(user: Any) -> bool:
    """True when `user` (a local account) must set up two-factor sign-in before going on."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.totp_required
        and not user.totp_enabled
        and user.has_usable_password()
    )
