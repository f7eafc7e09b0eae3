"""Tracker credentials at rest: Fernet (AES-128-CBC with HMAC-SHA256) from the `cryptography` package.

The key is `CREDENTIALS_KEY` (a Fernet key, `Fernet.generate_key()`), else derived from `SECRET_KEY`
(SHA-256, URL-safe base64), so changing SECRET_KEY without setting CREDENTIALS_KEY makes stored tokens
unreadable: they must be entered again.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class CredentialUnreadable(ValueError):
    """A stored credential cannot be decrypted with the current key (the key changed)."""


def _fernet() -> Fernet:
    key = getattr(settings, "CREDENTIALS_KEY", "") or ""
    if not key:
        key = base64.urlsafe_b64encode(hashlib.sha256(settings.SECRET_KEY.encode()).digest()).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def encrypt(value: str) -> str:
    """The Fernet token (text) of `value`; an empty value stays empty."""
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    """The value behind `token` ('' for ''); CredentialUnreadable when the key cannot read it."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise CredentialUnreadable(
            "A stored tracker credential cannot be read (the key changed): enter it again."
        ) from exc
