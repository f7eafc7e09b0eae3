"""Security events and sessions: the record of who signed in, was refused, changed roles, exported or deleted.

`security_event_record` is the one writer of `SecurityEvent`. It takes the client IP from the request it is
given, or from the request being served (simple-history's request middleware keeps it in a context local),
so services that are called from views need not pass the request down.

Sessions end everywhere by bumping `User.session_generation`: the session hash Django stores at sign-in
includes it, so every other session of the user fails verification on its next request and is flushed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from importlib import import_module
from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.sessions.models import Session
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import SecurityEvent, User, UserSession

# A year and a day: the issue asks for at least a year; settings may raise it, never lower it.
MIN_RETENTION_DAYS = 366


def current_request() -> HttpRequest | None:
    """The request being served on this thread, if any (set by simple-history's HistoryRequestMiddleware)."""
    return getattr(HistoricalRecords.context, "request", None)


def client_ip(request: HttpRequest | None) -> str | None:
    """The client IP as django-axes resolves it (its proxy settings apply), or None outside a request."""
    if request is None:
        return None
    return get_client_ip_address(request) or None


def security_event_record(
    *,
    kind: str,
    actor: Any = None,
    target: str = "",
    detail: str = "",
    request: HttpRequest | None = None,
    actor_email: str = "",
) -> SecurityEvent:
    """Write one security event (`SecurityEvent.Kind`) with actor, target, time (now, UTC) and client IP.

    `actor` may be anonymous or None (a failed sign-in); `actor_email` then keeps the name that was tried.
    The email is copied so the record stays readable whatever happens to the user later.
    """
    request = request or current_request()
    user = actor if getattr(actor, "is_authenticated", False) else None
    return SecurityEvent.objects.create(
        kind=kind,
        actor=user,
        actor_email=(getattr(user, "email", "") or actor_email)[:254],
        target=target[:255],
        detail=detail,
        ip_address=client_ip(request),
    )


def access_denied_record(
    *, actor: Any, obj: Any, detail: str = "", request: HttpRequest | None = None
) -> None:
    """Record that signed-in `actor` asked for `obj`, which exists but is hidden from them (answered 404).

    The one writer of denied-access events, for pages (incident, action item, finding) and the API alike.
    The target names the object: its `reference` (`INC-42`) or `<verbose name> <pk>`, followed by the
    reference of the incident it is recorded on, if any (`action item 7 (INC-42)`). Nothing is written
    for anyone not signed in (they are sent to sign in before any lookup).
    """
    if not getattr(actor, "is_authenticated", False):
        return
    target = getattr(obj, "reference", "") or f"{obj._meta.verbose_name} {obj.pk}"
    incident = getattr(obj, "incident", None)
    reference = getattr(incident, "reference", "")
    if reference and reference != target:
        target += f" ({reference})"
    security_event_record(
        kind=SecurityEvent.Kind.ACCESS_DENIED, actor=actor, target=target, detail=detail, request=request
    )


def user_sessions_end(*, user: User) -> None:
    """End every session of `user` (all browsers and devices) on their next request.

    The generation is bumped with an UPDATE ... SET n = n + 1, so two concurrent calls both count.
    """
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])


def user_sign_out_everywhere(*, user: User, request: HttpRequest | None = None) -> None:
    """Sign `user` out of every session, including the current one, and record it."""
    user_sessions_end(user=user)
    security_event_record(
        kind=SecurityEvent.Kind.SIGN_OUT,
        actor=user,
        target=f"user:{user.pk}",
        detail="everywhere",
        request=request,
    )
    if request is not None:
        logout(request)


def retention_days() -> int:
    """Days security events are kept (`SECURITY_EVENT_RETENTION_DAYS`, never below MIN_RETENTION_DAYS)."""
    return max(
        int(getattr(settings, "SECURITY_EVENT_RETENTION_DAYS", MIN_RETENTION_DAYS)), MIN_RETENTION_DAYS
    )


def security_events_prune(*, now: Any = None) -> int:
    """Delete security events older than the retention period; returns how many. Never touches the last year."""
    cutoff = (now or timezone.now()) - timedelta(days=retention_days())
    deleted, _ = SecurityEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted


SECURITY_EVENT_COLUMNS = ["time_utc", "kind", "actor", "target", "ip_address", "detail"]


def security_event_csv_rows(events: QuerySet[SecurityEvent]) -> Iterator[list[Any]]:
    """One row per event, in SECURITY_EVENT_COLUMNS order (times as aware datetimes); the CSV writer
    (`incidents.csv.csv_download`) encodes them."""
    for e in events.iterator(chunk_size=2000):
        yield [e.created_at, e.kind, e.actor_email, e.target, e.ip_address or "", e.detail]


# --- The sessions list ------------------------------------------------------------------------------------


def user_session_record(*, user: User, request: HttpRequest) -> None:
    """Remember the session `request` just signed in with (called on sign-in)."""
    key = request.session.session_key
    if not key:
        request.session.save()
        key = request.session.session_key
    UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "generation": user.session_generation,
            "ip_address": client_ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "created_at": timezone.now(),
            "ended_at": None,
        },
    )


def user_session_ended(*, session_key: str | None) -> None:
    """Mark the session `session_key` ended (sign-out)."""
    if session_key:
        UserSession.objects.filter(session_key=session_key, ended_at__isnull=True).update(
            ended_at=timezone.now()
        )


def user_sessions_live(user: Any) -> list[Any]:
    """The user's sessions that still work, newest first (two queries)."""
    rows = list(
        UserSession.objects.filter(user=user, ended_at__isnull=True, generation=user.session_generation)
    )
    alive = set(
        Session.objects.filter(
            session_key__in=[r.session_key for r in rows], expire_date__gt=timezone.now()
        ).values_list("session_key", flat=True)
    )
    return [r for r in rows if r.session_key in alive]


def user_session_end(*, user: User, session_id: int) -> bool:
    """End one of `user`'s sessions (another browser or device); False when it is not theirs or gone."""
    row = UserSession.objects.filter(pk=session_id, user=user, ended_at__isnull=True).first()
    if row is None:
        return False
    import_module(settings.SESSION_ENGINE).SessionStore(session_key=row.session_key).delete()
    row.ended_at = timezone.now()
    row.save(update_fields=["ended_at"])
    security_event_record(kind=SecurityEvent.Kind.SIGN_OUT, actor=user, target=f"user:{user.pk}",
                          detail=f"ended session {row.pk} from the profile")  # fmt: skip
    return True
