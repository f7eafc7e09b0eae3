"""Who Hindsight may email: everyone in production; elsewhere only addresses matching `EMAIL_ALLOWLIST`.

One rule for every email (invitations, password reset, notifications, digests), so a demo or a test never
writes to a real person.
"""

from __future__ import annotations

import fnmatch
import logging

from django.conf import settings
from django.core.mail import send_mail

log = logging.getLogger(__name__)


def address_allowed(address: str) -> bool:
    """True in production (`HINDSIGHT_ENV=production`); elsewhere when `address` matches a pattern of
    `EMAIL_ALLOWLIST` (shell-style, without regard to case)."""
    if settings.HINDSIGHT_ENV == "production":
        return True
    value = (address or "").strip().lower()
    return any(fnmatch.fnmatchcase(value, p.strip().lower()) for p in settings.EMAIL_ALLOWLIST)


def account_mail_send(subject: str, body: str, to: str) -> bool:
    """Send one plain-text email to `to` unless `address_allowed` refuses it (then log and return False)."""
    if not address_allowed(to):
        log.info("Not emailing %s: not on EMAIL_ALLOWLIST (HINDSIGHT_ENV is not production).", to)
        return False
    send_mail(subject, body, None, [to])
    return True
