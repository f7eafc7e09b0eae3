"""The write checks of API views: who may take each unsafe action, asked before the body is validated.

Every API view lists one check per unsafe action in `write_checks` (the viewset action's name, or the
lower-case method of a plain view: `{"create": actor(require_declare), "status": on_object(require_command)}`),
and `incidents.api.base.ApiView` runs it after authentication and the token scope and before the handler
reads the body. An unsafe action without an entry is refused (403) and never runs;
tests/security/test_api_write_checks.py walks the router and fails on any. The predicates themselves are
the `require_*` checks of `incidents.permissions.checks`, the ones the write services call: the view asks
first so that a caller who may not act learns nothing from field errors, and the service still checks.

A check is `(view, request) -> None` and raises AccessDenied (403, or 404 for what the caller may not see).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.request import Request

from incidents.errors import AccessDenied
from incidents.models import ContributingFactor, Incident
from incidents.permissions.checks import require_create_action_item, require_record
from incidents.permissions.followup import findings_visible_to
from incidents.permissions.incident import incidents_recordable_by, incidents_visible_to
from incidents.permissions.roles import is_responder

WriteCheck = Callable[[Any, Request], None]

RECORD_NOWHERE = "You may read incidents but not record on them."
ITEMS_NOWHERE = "You may not add action items."


def actor(check: Callable[[Any], None]) -> WriteCheck:
    """A check about the caller only (`require_declare`)."""

    def run(view: Any, request: Request) -> None:
        check(request.user)

    return run


def on_object(check: Callable[[Any, Any], None], via: Callable[[Any], Any] | None = None) -> WriteCheck:
    """A check `(actor, obj)` on the URL's object, loaded through the view's scoped `get_object` (hidden:
    404) and kept for the handler; `via(obj)` checks something of it instead (`lambda f: f.incident`)."""

    def run(view: Any, request: Request) -> None:
        obj = view.get_object()
        view.checked_object = obj
        check(request.user, via(obj) if via is not None else obj)

    return run


def on_loaded(load: Callable[[Any, Request], Any], check: Callable[[Any, Any], None]) -> WriteCheck:
    """A check `(actor, obj)` on what `load(view, request)` returns (a scoped selector: hidden is 404),
    kept for the handler as `view.checked_object`, for views that are not DRF generic views."""

    def run(view: Any, request: Request) -> None:
        obj = load(view, request)
        view.checked_object = obj
        check(request.user, obj)

    return run


def _body_value(request: Request, key: str) -> tuple[Any, Exception | None]:
    """`request.data[key]` (None when absent or not an object), and the parse error if the body is not
    one the API reads (kept to be raised once the caller has passed the check)."""
    try:
        data = request.data
    except (ParseError, UnsupportedMediaType) as exc:
        return None, exc
    return (data.get(key) if hasattr(data, "get") else None), None


def _number(raw: Any) -> int | None:
    """A positive number as JSON or form data sends one (42, "42"); anything else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 < raw < 10**9 else None
    if isinstance(raw, str):
        raw = raw.strip()
        return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
    return None


def _visible_incident(user: Any, number: int | None) -> Incident | None:
    if number is None:
        return None
    return incidents_visible_to(user).filter(number=number).first()


def body_incident_record(view: Any, request: Request) -> None:
    """Creates whose incident is named in the body (`incident`: its number), as timeline entries and
    contributing factors: `require_record` on it before the rest of the body is validated. An incident
    that is missing, malformed, unknown or hidden is answered alike: 403 for a caller who may record on
    no incident at all, else through to the view's own field error."""
    raw, error = _body_value(request, "incident")
    incident = _visible_incident(request.user, _number(raw))
    if incident is not None:
        require_record(request.user, incident)
    elif not incidents_recordable_by(request.user).exists():
        raise AccessDenied(RECORD_NOWHERE, visible=True)
    if error is not None:
        raise error


def body_action_item_create(view: Any, request: Request) -> None:
    """Creating an action item: `require_create_action_item` on the incident (`incident`, or else the
    `factor`'s) and the policy finding (`finding`) the body names, before the rest is validated; nothing
    named: responders only. A named one that is malformed, unknown or hidden is answered alike: 403 for a
    caller who may add action items nowhere, else through to the view's own field error."""
    user = request.user
    raw, error = _body_value(request, "incident")
    raw_factor, _ = _body_value(request, "factor")
    raw_finding, _ = _body_value(request, "finding")
    incident = _visible_incident(user, _number(raw))
    factor = None
    factor_id, finding_id = _number(raw_factor), _number(raw_finding)
    if factor_id is not None:
        visible = incidents_visible_to(user).values("id")
        factor = (
            ContributingFactor.objects.filter(pk=factor_id, incident__in=visible)
            .select_related("incident")
            .first()
        )
    if incident is None and raw in (None, "") and factor is not None:
        incident = factor.incident
    finding = None
    if finding_id is not None:
        finding = findings_visible_to(user).filter(pk=finding_id).first()
    unresolved = (
        (raw not in (None, "") and incident is None)
        or (raw_factor not in (None, "") and factor is None)
        or (raw_finding not in (None, "") and finding is None)
    )
    if incident is not None or finding is not None or not unresolved:
        require_create_action_item(user, incident, finding)
    if unresolved and not (is_responder(user) or incidents_recordable_by(user).exists()):
        raise AccessDenied(ITEMS_NOWHERE, visible=True)
    if error is not None:
        raise error
