"""API views: thin. They parse input with a serializer, check a predicate from `accounts.permissions`,
call one service or selector, and render. Anything the caller may not see is 404.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.api.auth import TokenScopePermission
from incidents.api.checks import WriteCheck
from incidents.api.errors import PreconditionFailed
from incidents.api.pagination import StableOrderingFilter
from incidents.errors import ConflictError
from incidents.inputs import AwareDateTimeField, QueryDateField
from incidents.permissions.incident import incidents_visible_to
from incidents.permissions.roles import is_admin


# --- The one base of every API view ----------------------------------------------------------------------
class ApiView(APIView):
    """Every API view's base: it is where authentication and the token scope come from.

    Put it first among the bases (`class FooViewSet(ApiView, mixins.ListModelMixin, viewsets.GenericViewSet)`).
    `base_permission_classes` (signed in; a read-only token only reads) always apply; a view that needs more
    sets `permission_classes`, which are added after them and can never replace them.
    tests/security/test_api_token_scope.py walks every endpoint and checks every API view inherits this.
    """

    base_permission_classes: tuple[type[permissions.BasePermission], ...] = (
        permissions.IsAuthenticated,
        TokenScopePermission,
    )
    permission_classes: Any = ()
    # Unsafe action (viewset action name, or lower-case method of a plain view) -> its check
    # (`incidents.api.checks`), run before the handler reads the body. An unsafe action without one is 403.
    write_checks: ClassVar[Mapping[str, WriteCheck]] = {}

    def get_permissions(self) -> list[permissions.BasePermission]:
        return [p() for p in (*self.base_permission_classes, *self.permission_classes)]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Authentication, the token scope and throttles (DRF's), then the action's write check; an
        unsafe action with no entry in `write_checks` is refused (403) and its handler never runs."""
        super().initial(request, *args, **kwargs)
        method = (request.method or "").lower()
        if request.method in permissions.SAFE_METHODS or not hasattr(self, method):
            return  # reads; and a method the view does not answer stays DRF's 405
        name = getattr(self, "action", None) or method
        check = self.write_checks.get(name)
        if check is None:
            raise exceptions.PermissionDenied(f"No permission check is declared for {name!r}: refused.")
        check(self, request)

    def get_object(self) -> Any:
        """The object the write check loaded for this request (once), else the view's scoped lookup."""
        checked = self.__dict__.get("checked_object")
        if checked is not None:
            return checked
        return super().get_object()  # type: ignore[misc]


@contextmanager
def errors_keyed(**names: str) -> Iterator[None]:
    """Re-raise a service's `django.core.exceptions.ValidationError` keyed by the request's field names
    instead of the service's argument names (`errors_keyed(person="user")`: `{"person": [...]}` becomes
    `{"user": [...]}`), so a 400 always names the field the caller sent."""
    try:
        yield
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise DjangoValidationError(
            {names.get(key, key): errors for key, errors in exc.error_dict.items()}
        ) from exc


# --- Conditional requests ------------------------------------------------------------------------------
def etag_for(data: Any) -> str:
    """A strong ETag: the SHA-256 (first 32 hex digits) of the representation as canonical JSON."""
    raw = json.dumps(data, sort_keys=True, default=str, separators=(",", ":")).encode()
    return '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'


def check_if_match(request: Request, current: dict[str, Any]) -> bool:
    """Raise PreconditionFailed (412) when `If-Match` is sent and matches none of the current ETags.

    Returns True when an `If-Match` was sent (so a later version conflict is also reported as 412).
    """
    header = request.headers.get("If-Match")
    if not header:
        return False
    etag = etag_for(current)
    sent = {t.strip().removeprefix("W/") for t in header.split(",")}
    if "*" not in sent and etag not in sent:
        raise PreconditionFailed(current, etag)
    return True


class EtagRetrieveMixin:
    """`retrieve` answers with an `ETag` header, and `304` for a matching `If-None-Match`."""

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()  # type: ignore[attr-defined]
        data = self.get_serializer(instance).data  # type: ignore[attr-defined]
        etag = etag_for(data)
        if etag in {
            t.strip().removeprefix("W/") for t in request.headers.get("If-None-Match", "").split(",")
        }:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        return Response(data, headers={"ETag": etag})


ERRORS = {
    400: OpenApiResponse(description="Invalid input: field name to list of messages."),
    403: OpenApiResponse(description="Not allowed (or a read-only token)."),
    404: OpenApiResponse(description="No such resource, or not visible to you."),
}


# --- Incidents ---------------------------------------------------------------------------------------
class UtcDateTimeFilter(filters.IsoDateTimeFilter):
    """The API's one date-time filter (`?started_after=`, `?started_before=`, ...): the value is parsed by
    `incidents.inputs.AwareDateTimeField` (ISO 8601 with its offset, within 1970 .. 9999), so any bad value
    (no offset, `+25:00`, year 0, Unicode digits, an instant that overflows once in UTC) is a 400 naming the
    parameter, never a 500; the query runs in UTC (PostgreSQL refuses offsets such as -23:33).

    tests/security/test_datetime_params.py sends hostile values to every date-time filter of every route
    and refuses any date-time filter that is not one of these."""

    field_class = AwareDateTimeField


class QueryDateFilter(filters.DateFilter):
    """The API's one date filter (`?due_before=`): `incidents.inputs.QueryDateField` (ASCII `YYYY-MM-DD`,
    1970 .. 9999), so a bad value is a 400 naming the parameter."""

    field_class = QueryDateField


# --- Review and follow-through (read-only until their services land) --------------------------------
VERSIONED_ERRORS = {
    **ERRORS,
    409: OpenApiResponse(description="Stale version: the body holds the current representation."),
    412: OpenApiResponse(description="Stale If-Match: the body holds the current representation."),
}


def _schema(summary: str, request: Any, response: Any, code: int = 200) -> Any:
    return extend_schema(summary=summary, request=request, responses={code: response, **VERSIONED_ERRORS})


def record_schemas(noun: str, write: Any, read: Any, *, create: str, create_write: Any = None) -> Any:
    """The documented create (201), update and partial update of a record viewset: `{create} {noun}`,
    `Edit {noun}`, `Edit some fields of {noun}` (`noun` with its article: "an action item"); the create
    takes `create_write` when it differs from the edits' `write`."""
    return extend_schema_view(
        create=_schema(f"{create} {noun}", create_write or write, read, 201),
        update=_schema(f"Edit {noun}", write, read),
        partial_update=_schema(f"Edit some fields of {noun}", write, read),
    )


class IncidentNumberFilter(filters.NumberFilter):
    """`?incident=N` within the caller's incident scope: rows of incident number N only when the caller may
    see incident N, so a hidden N answers exactly as a number that does not exist (no count, no link).

    `field_name` is the relation to the incident (`incident`, or `incidents` for a many-to-many, which
    also needs `distinct=True`). Every list endpoint's `?incident=` is one of these
    (tests/security/test_attack_findings.py walks the router to check it)."""

    def __init__(self, *args: Any, field_name: str = "incident", **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "Incident number.")
        super().__init__(*args, field_name=field_name, **kwargs)

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value in ([], (), {}, "", None):
            return qs
        request = getattr(self.parent, "request", None)
        visible = incidents_visible_to(getattr(request, "user", None)).filter(number=value).values("id")
        qs = qs.filter(**{f"{self.field_name}__in": visible})
        return qs.distinct() if self.distinct else qs


class ByIncidentFilter(filters.FilterSet):
    incident = IncidentNumberFilter()


class VersionedWriteMixin:
    """Writes guarded by `If-Match` (stale → 412) and a body `version` (stale → 409)."""

    def fresh(self, obj: Any) -> Any:
        """`obj` reloaded through the scoped queryset (joins for rendering), or as is if now out of scope."""
        return self.get_queryset().filter(pk=obj.pk).first() or obj  # type: ignore[attr-defined]

    def render(self, obj: Any, code: int = status.HTTP_200_OK) -> Response:
        data = self.get_serializer(self.fresh(obj)).data  # type: ignore[attr-defined]
        return Response(data, status=code, headers={"ETag": etag_for(data)})

    def guarded_write(self, instance: Any, version: int | None, call: Any) -> Any:
        """Run `call(expected_version)`; a conflict is 412 when only `If-Match` was sent, else 409."""
        current = self.get_serializer(instance).data  # type: ignore[attr-defined]
        guarded = check_if_match(self.request, current)  # type: ignore[attr-defined]
        expected = version if version is not None else (instance.version if guarded else None)
        try:
            return call(expected)
        except ConflictError as exc:
            if guarded and version is None:
                data = self.get_serializer(self.fresh(exc.current)).data  # type: ignore[attr-defined]
                raise PreconditionFailed(data, etag_for(data)) from exc
            raise


class RecordViewSet(
    ApiView,
    EtagRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """A record people list, read (with an ETag), create and edit: incidents, contributing factors, action
    items, policy findings. A subclass sets `get_queryset` (the permission scope), `filterset_class`,
    `search_fields`, `ordering_fields`, and its `create`/`update`, which call one service."""

    filter_backends = [filters.DjangoFilterBackend, SearchFilter, StableOrderingFilter]


class VersionedRecordViewSet(RecordViewSet, VersionedWriteMixin):
    """A record with a version: writes go through `guarded_write` (If-Match → 412, body version → 409)."""

    def versioned_action(self, form_class: Any, call: Any) -> Response:
        """A POST action on the record: parse the body with `form_class`, then `call(obj, expected_version,
        data)` guarded like every write; answers the record as it is now, with its ETag."""
        obj = self.get_object()
        form = form_class(data=self.request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        version = data.pop("version", None)
        return self.render(self.guarded_write(obj, version, lambda v: call(obj, v, data)))

    def versioned_update(
        self, form_class: Any, call: Any, *, fixed: dict[str, str] | None = None
    ) -> Response:
        """PUT/PATCH: parse the body with `form_class` (partial), refuse any field of `fixed` (field →
        message, a 400), then `call(obj, expected_version, changes)` guarded like every write."""
        obj = self.get_object()
        form = form_class(data=self.request.data, partial=True)
        form.is_valid(raise_exception=True)
        changes = dict(form.validated_data)
        version = changes.pop("version", None)
        refused = {k: message for k, message in (fixed or {}).items() if k in changes}
        if refused:
            raise DjangoValidationError(refused)
        return self.render(self.guarded_write(obj, version, lambda v: call(obj, v, changes)))


# --- Outbound webhooks (admins) -------------------------------------------------------------------------
class IsAdmin(permissions.BasePermission):
    message = "Only admins manage webhooks."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_admin(request.user)
