"""The API's error mapping: the one place that turns Hindsight's errors into responses.

Services raise the family in `incidents/errors.py` and Django's ValidationError keyed by field:

- AccessDenied → 404 `{"detail": "Not found."}` when the caller may not see the object at all, else 403
  `{"detail": <why>}` (the same rule as pages: a refusal never confirms that something hidden exists);
- ConflictError (IncidentConflict, FollowupConflict, PostmortemConflict, TimelineEntryConflict,
  VersionConflict) → 409 `{"detail": …, "current": <the stored row, rendered by its serializer>}`;
- PreconditionFailed (stale `If-Match`) → 412 `{"detail": …, "current": <current representation>}`;
- ValidationError (TransitionError included) → 400 `{field: [message, …]}` (`non_field_errors` for
  messages without a field);
- OverflowError, DataError (a number or time beyond what the database stores) → 400; a body over
  `DATA_UPLOAD_MAX_MEMORY_SIZE` → 413 `{"detail": …}` (also refused before any view by
  `incidents.inputs.InputGuardMiddleware` when the request says its length);
- everything else → DRF's handler (401/403/404/405/429 …). Unexpected exceptions are not swallowed here:
  they are bugs to fix, and the schemathesis run in CI looks for them.

A 404 for an object that exists but is outside the signed-in caller's scope (any `/{lookup}/` route of any
viewset, extra actions included) also writes a denied-access security event, as the incident page does; the
response is the same 404 as for an id that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, models
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.security import access_denied_record
from incidents.errors import OUT_OF_RANGE, AccessDenied, ConflictError
from incidents.followup.serializers import ActionItemSerializer, PolicyFindingSerializer
from incidents.incident.serializers import IncidentSerializer
from incidents.models import ActionItem, Incident, PolicyFinding, Postmortem, TimelineEntry
from incidents.review.serializers import PostmortemSerializer
from incidents.timeline.serializers import TimelineEntrySerializer

# How a conflict's `current` row is rendered in a 409 body.
CURRENT_SERIALIZERS: dict[type, Any] = {
    Incident: IncidentSerializer,
    ActionItem: ActionItemSerializer,
    PolicyFinding: PolicyFindingSerializer,
    Postmortem: PostmortemSerializer,
    TimelineEntry: TimelineEntrySerializer,
}


class PreconditionFailed(APIException):
    """A stale `If-Match`: `current` is the representation the client should merge with."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource changed since you read it (If-Match does not match its ETag)."
    default_code = "precondition_failed"

    def __init__(self, current: dict[str, Any], etag: str) -> None:
        super().__init__()
        self.current = current
        self.etag = etag


class VersionConflict(ConflictError):
    """A write based on an older `version` of a document: `current` is the stored representation (a dict)."""

    default_message = "Someone else changed this since you loaded it; merge with the current version."


def render_current(current: Any, request: Any) -> Any:
    """A conflict's `current` as the API shows it: a row through its serializer, a representation as is."""
    serializer = CURRENT_SERIALIZERS.get(type(current))
    if serializer is None:
        return current
    return serializer(current, context={"request": request}).data


def _hidden_object(context: dict[str, Any]) -> models.Model | None:
    """The object a 404 was answered for when it exists but the caller's scope hides it, else None."""
    view = context.get("view")
    user = getattr(context.get("request"), "user", None)
    field = getattr(view, "lookup_field", None)
    value = (getattr(view, "kwargs", None) or {}).get(getattr(view, "lookup_url_kwarg", None) or field)
    if view is None or not field or value is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        scoped = view.get_queryset()
        if scoped.filter(**{field: value}).exists():
            return None  # visible: the 404 is about something else (e.g. no postmortem yet)
        return scoped.model._default_manager.filter(**{field: value}).first()
    except (ValueError, TypeError, DjangoValidationError, DataError, OverflowError):
        return None


def _record_hidden_lookup(context: dict[str, Any]) -> None:
    obj = _hidden_object(context)
    if obj is None:
        return
    request = context["request"]
    detail = f"API {request.method} {request.path}"[:2000]
    access_denied_record(actor=request.user, obj=obj, detail=detail, request=request._request)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF `EXCEPTION_HANDLER`: see the module docstring for the mapping."""
    if isinstance(exc, Http404 | NotFound):
        _record_hidden_lookup(context)
    if isinstance(exc, AccessDenied):
        if not exc.visible:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, ConflictError):
        current = render_current(exc.current, context.get("request"))
        return Response({"detail": str(exc), "current": current}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, PreconditionFailed):
        return Response(
            {"detail": str(exc.detail), "current": exc.current},
            status=exc.status_code,
            headers={"ETag": exc.etag},
        )
    if isinstance(exc, DjangoValidationError):
        return Response(as_serializer_error(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, OverflowError | DataError):
        # A number or time beyond what the database stores (e.g. ?owner=99999999999999999999).
        return Response({"non_field_errors": [OUT_OF_RANGE]}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
        return Response(
            {"detail": f"The request body is larger than {limit // 1_000_000} MB."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, RecursionError):
        return Response(
            {"detail": "JSON parse error: nested too deeply."}, status=status.HTTP_400_BAD_REQUEST
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        # A bare list of messages (e.g. from a filter backend): keep the documented object shape.
        response.data = {"non_field_errors": response.data}
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """`handler404`: JSON `{"detail": …}` under `/api/` (even for URLs no route matches), the page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception or Http404())
