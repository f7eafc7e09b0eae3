"""Security events for sign-in, failed sign-in, lockout and sign-out.

Django and django-axes announce these only through signals, so the receivers live here; each one writes
a single audit row through `security_event_record` and holds no other logic.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from accounts.models import SecurityEvent
from accounts.security import security_event_record, user_session_ended, user_session_record


@receiver(user_logged_in, dispatch_uid="hindsight_sign_in")
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    security_event_record(
        kind=SecurityEvent.Kind.SIGN_IN, actor=user, target=f"user:{user.pk}", request=request
    )


@receiver(user_login_failed, dispatch_uid="hindsight_sign_in_failed")
def _sign_in_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    tried = str(credentials.get("username") or credentials.get("email") or "")
    security_event_record(
        kind=SecurityEvent.Kind.SIGN_IN_FAILED, actor_email=tried, target=tried, request=request
    )


@receiver(user_locked_out, dispatch_uid="hindsight_locked_out")
def _locked_out(sender: Any, request: Any, username: str | None = None, **kwargs: Any) -> None:
    security_event_record(
        kind=SecurityEvent.Kind.SIGN_IN_FAILED,
        actor_email=username or "",
        target=username or "",
        detail="locked out after repeated failures",
        request=request,
    )


@receiver(user_logged_out, dispatch_uid="hindsight_sign_out")
def _signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        security_event_record(
            kind=SecurityEvent.Kind.SIGN_OUT, actor=user, target=f"user:{user.pk}", request=request
        )


@receiver(user_logged_in, dispatch_uid="hindsight_session_record")
def _session_started(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        user_session_record(user=user, request=request)


@receiver(user_logged_out, dispatch_uid="hindsight_session_ended")
def _session_ended(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        user_session_ended(session_key=request.session.session_key)
