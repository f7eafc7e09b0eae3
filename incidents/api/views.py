"""API views: thin. They parse input with a serializer, check a predicate from `accounts.permissions`,
call one service or selector, and render. Anything the caller may not see is 404.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import permissions as perms
from accounts.models import Team, User
from accounts.permissions import (
    action_items_visible_to,
    can_command,
    can_declare,
    can_record,
    can_view_incident,
    findings_visible_to,
    incidents_visible_to,
    is_admin,
    is_responder,
)
from incidents import selectors, services
from incidents.api import serializers as s
from incidents.api.errors import PreconditionFailed, VersionConflict
from incidents.api.pagination import PagePagination, TimelineCursorPagination
from incidents.models import (
    ActionItem,
    ChangeEvent,
    ContributingFactor,
    EntrySource,
    Incident,
    PolicyFinding,
    Postmortem,
    PostmortemReview,
    PostmortemTemplate,
    Service,
    TimelineEntry,
    WebhookDelivery,
    WebhookEndpoint,
)
from incidents.services import followup, review
from incidents.services.changes import change_event_record
from incidents.services.followup import FollowupConflict
from incidents.services.incident import IncidentConflict


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
    """An ISO 8601 date-time filter that queries in UTC (PostgreSQL refuses offsets such as -23:33)."""

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value is not None and value.tzinfo is not None:
            try:
                value = value.astimezone(UTC)
            except OverflowError as exc:
                raise DjangoValidationError({self.field_name: "This time is out of range."}) from exc
        return super().filter(qs, value)


class IncidentFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=Incident._meta.get_field("status").choices)
    severity = filters.MultipleChoiceFilter(choices=Incident._meta.get_field("severity").choices)
    service = filters.CharFilter(field_name="services__slug", distinct=True)
    started_after = UtcDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = UtcDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Incident
        fields = ["status", "severity", "visibility", "service", "started_after", "started_before"]


@extend_schema_view(
    list=extend_schema(summary="Incidents you may see, newest first"),
    retrieve=extend_schema(summary="One incident, with an ETag"),
    create=extend_schema(
        summary="Declare an incident",
        request=s.IncidentDeclareSerializer,
        responses={201: s.IncidentSerializer, **ERRORS},
    ),
    update=extend_schema(
        summary="Edit an incident (If-Match or version guard the write)",
        request=s.IncidentUpdateSerializer,
        responses={200: s.IncidentSerializer, 409: OpenApiResponse(description="Stale version."),
                   412: OpenApiResponse(description="Stale If-Match."), **ERRORS},
    ),
    partial_update=extend_schema(
        summary="Edit some fields of an incident",
        request=s.IncidentUpdateSerializer,
        responses={200: s.IncidentSerializer, 409: OpenApiResponse(description="Stale version."),
                   412: OpenApiResponse(description="Stale If-Match."), **ERRORS},
    ),
)  # fmt: skip
class IncidentViewSet(
    EtagRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Incidents. State changes are actions that call the same services as the web forms."""

    queryset = Incident.objects.none()  # get_queryset applies the permission scope
    serializer_class = s.IncidentSerializer
    lookup_field = "number"
    lookup_value_regex = r"\d+"
    filterset_class = IncidentFilter
    filter_backends = [filters.DjangoFilterBackend, SearchFilter, OrderingFilter]
    search_fields = ["title", "summary"]
    ordering_fields = ["started_at", "number", "severity", "status"]
    ordering = ["-started_at", "-id"]

    def get_queryset(self) -> QuerySet[Incident]:
        # The selector joins the commander and prefetches services; the API also shows the other roles.
        return selectors.incident_list_for(self.request.user).select_related("communications_lead", "scribe")

    def _render(self, incident: Incident, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=incident.pk)
        data = s.IncidentSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=code, headers={"ETag": etag_for(data)})

    def _commandable(self) -> Incident:
        incident = self.get_object()
        if not can_command(self.request.user, incident):
            raise PermissionDenied("Only the incident's commander, a team lead or an admin may do this.")
        return incident

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not can_declare(request.user):
            raise PermissionDenied("Only responders, team leads and admins may declare incidents.")
        form = s.IncidentDeclareSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        incident = services.incident_declare(actor=request.user, **data)
        return self._render(incident, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incident = self._commandable()
        current = s.IncidentSerializer(incident, context=self.get_serializer_context()).data
        guarded = check_if_match(request, current)
        form = s.IncidentUpdateSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        changes = dict(form.validated_data)
        expected = changes.pop("version", None)
        if guarded and expected is None:
            expected = incident.version
        try:
            updated = services.incident_update(
                incident=incident, actor=request.user, expected_version=expected, **changes
            )
        except IncidentConflict as exc:
            if not guarded or "version" in request.data:
                raise
            data = s.IncidentSerializer(exc.current, context=self.get_serializer_context()).data
            raise PreconditionFailed(data, etag_for(data)) from exc
        return self._render(updated)

    @extend_schema(summary="Change status", request=s.StatusChangeSerializer,
                   responses={200: s.IncidentSerializer, **ERRORS})  # fmt: skip
    @action(detail=True, methods=["post"])
    def status(self, request: Request, number: int | None = None) -> Response:
        incident = self._commandable()
        form = s.StatusChangeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        updated = services.incident_change_status(
            incident=incident, actor=request.user, **form.validated_data
        )
        return self._render(updated)

    @extend_schema(summary="Change severity", request=s.SeverityChangeSerializer,
                   responses={200: s.IncidentSerializer, **ERRORS})  # fmt: skip
    @action(detail=True, methods=["post"])
    def severity(self, request: Request, number: int | None = None) -> Response:
        incident = self._commandable()
        form = s.SeverityChangeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        updated = services.incident_change_severity(
            incident=incident, actor=request.user, **form.validated_data
        )
        return self._render(updated)

    @extend_schema(summary="Resolve (resolving twice changes nothing)", request=s.ResolveSerializer,
                   responses={200: s.IncidentSerializer, **ERRORS})  # fmt: skip
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, number: int | None = None) -> Response:
        incident = self._commandable()
        form = s.ResolveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        updated = services.incident_resolve(incident=incident, actor=request.user, **form.validated_data)
        return self._render(updated)

    @extend_schema(summary="Reopen with a reason", request=s.ReopenSerializer,
                   responses={200: s.IncidentSerializer, **ERRORS})  # fmt: skip
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, number: int | None = None) -> Response:
        incident = self._commandable()
        form = s.ReopenSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        updated = services.incident_reopen(incident=incident, actor=request.user, **form.validated_data)
        return self._render(updated)

    @extend_schema(summary="Assign commander, communications lead, scribe", request=s.RolesSerializer,
                   responses={200: s.IncidentSerializer, **ERRORS})  # fmt: skip
    @action(detail=True, methods=["post"])
    def roles(self, request: Request, number: int | None = None) -> Response:
        incident = self._commandable()
        form = s.RolesSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        updated = services.incident_assign_roles(incident=incident, actor=request.user, **form.validated_data)
        return self._render(updated)

    @extend_schema(
        methods=["GET"],
        summary="The incident's postmortem",
        responses={200: s.PostmortemSerializer, 404: ERRORS[404]},
    )
    @extend_schema(
        methods=["POST"],
        summary="Start the postmortem (starting again returns it unchanged)",
        request=s.PostmortemStartSerializer,
        responses={200: s.PostmortemSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "post"])
    def postmortem(self, request: Request, number: int | None = None) -> Response:
        incident = self.get_object()
        if request.method == "POST":
            if not can_record(request.user, incident):
                raise PermissionDenied("You may read this incident but not record on it.")
            form = s.PostmortemStartSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            template = None
            if form.validated_data.get("template"):
                template = PostmortemTemplate.objects.filter(pk=form.validated_data["template"]).first()
                if template is None:
                    raise DjangoValidationError({"template": "No such template."})
            review.postmortem_start(incident=incident, actor=request.user, template=template)
        postmortem = (
            Postmortem.objects.filter(incident=incident)
            .select_related("incident")
            .prefetch_related(
                Prefetch("reviews", queryset=PostmortemReview.objects.select_related("reviewer"))
            )
            .first()
        )
        if postmortem is None:
            raise Http404("This incident has no postmortem yet.")
        data = s.PostmortemSerializer(postmortem, context=self.get_serializer_context()).data
        return Response(data, headers={"ETag": etag_for(data)})


# --- Timeline ------------------------------------------------------------------------------------------
class TimelineEntryFilter(filters.FilterSet):
    incident = filters.NumberFilter(
        field_name="incident__number", help_text="Incident number (42 for INC-42)."
    )
    kind = filters.MultipleChoiceFilter(choices=TimelineEntry._meta.get_field("kind").choices)
    source = filters.ChoiceFilter(choices=TimelineEntry._meta.get_field("source").choices)
    since = UtcDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gt",
        help_text="Only entries added, edited or removed after this time (for live clients); "
        "removed entries are then included with `removed: true`.",
    )

    class Meta:
        model = TimelineEntry
        fields = ["incident", "kind", "source", "since"]


@extend_schema_view(
    list=extend_schema(summary="Timeline entries in (occurred_at, id) order, cursor-paginated"),
    retrieve=extend_schema(summary="One timeline entry"),
    create=extend_schema(
        summary="Add a timeline entry (inserts never conflict)",
        request=s.TimelineEntryCreateSerializer,
        responses={201: s.TimelineEntrySerializer, **ERRORS},
    ),
)
class TimelineEntryViewSet(
    EtagRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = TimelineEntry.objects.none()  # get_queryset applies the permission scope
    serializer_class = s.TimelineEntrySerializer
    pagination_class = TimelineCursorPagination
    filterset_class = TimelineEntryFilter
    filter_backends = [filters.DjangoFilterBackend, SearchFilter]
    search_fields = ["body"]

    def get_queryset(self) -> QuerySet[TimelineEntry]:
        qs = TimelineEntry.objects.filter(
            incident__in=incidents_visible_to(self.request.user).values("id")
        ).select_related("author", "incident")
        if self.action == "list" and not self.request.query_params.get("since"):
            qs = qs.filter(removed_at__isnull=True)
        return qs.order_by("occurred_at", "id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = s.TimelineEntryCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        incident = incidents_visible_to(request.user).filter(number=data.pop("incident")).first()
        if incident is None:
            raise DjangoValidationError({"incident": "No such incident, or you cannot see it."})
        if not can_record(request.user, incident):
            raise PermissionDenied("You may read this incident but not record on it.")
        entry = services.timeline_entry_add(
            incident=incident, actor=request.user, source=EntrySource.API, **data
        )
        out = s.TimelineEntrySerializer(entry, context=self.get_serializer_context()).data
        return Response(out, status=status.HTTP_201_CREATED)


# --- Review and follow-through (read-only until their services land) --------------------------------
VERSIONED_ERRORS = {
    **ERRORS,
    409: OpenApiResponse(description="Stale version: the body holds the current representation."),
    412: OpenApiResponse(description="Stale If-Match: the body holds the current representation."),
}


def _schema(summary: str, request: Any, response: Any, code: int = 200) -> Any:
    return extend_schema(summary=summary, request=request, responses={code: response, **VERSIONED_ERRORS})


class ByIncidentFilter(filters.FilterSet):
    incident = filters.NumberFilter(field_name="incident__number", help_text="Incident number.")


class ContributingFactorFilter(ByIncidentFilter):
    class Meta:
        model = ContributingFactor
        fields = ["incident", "category"]


@extend_schema_view(
    create=_schema("Record a contributing factor", s.ContributingFactorWriteSerializer, s.ContributingFactorSerializer, 201),
    update=_schema("Edit a contributing factor", s.ContributingFactorWriteSerializer, s.ContributingFactorSerializer),
    partial_update=_schema("Edit some fields of a contributing factor", s.ContributingFactorWriteSerializer, s.ContributingFactorSerializer),
)  # fmt: skip
class ContributingFactorViewSet(
    EtagRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Contributing factors; writes call `incidents.services.review` (`factor_create`, `factor_update`)."""

    queryset = ContributingFactor.objects.none()  # get_queryset applies the permission scope
    serializer_class = s.ContributingFactorSerializer
    filterset_class = ContributingFactorFilter
    filter_backends = [filters.DjangoFilterBackend, SearchFilter, OrderingFilter]
    search_fields = ["title", "description"]
    ordering_fields = ["created_at", "category"]

    def get_queryset(self) -> QuerySet[ContributingFactor]:
        return (
            ContributingFactor.objects.filter(
                incident__in=incidents_visible_to(self.request.user).values("id")
            )
            .select_related("incident")
            .prefetch_related(Prefetch("evidence_entries", queryset=TimelineEntry.objects.only("id")))
            .order_by("category", "id")
        )

    def _resolve(self, incident: Incident, data: dict[str, Any]) -> dict[str, Any]:
        """Turn ids into rows the caller may see; unknown ones are field errors."""
        errors: dict[str, str] = {}
        if "evidence_entries" in data:
            ids = set(data["evidence_entries"])
            entries = list(TimelineEntry.objects.filter(incident=incident, pk__in=ids))
            if len(entries) != len(ids):
                errors["evidence_entries"] = "Evidence must be timeline entries of this incident."
            data["evidence_entries"] = entries
        if data.get("recurrence_of") is not None:
            data["recurrence_of"] = self.get_queryset().filter(pk=data["recurrence_of"]).first()
            if data["recurrence_of"] is None:
                errors["recurrence_of"] = "No such contributing factor, or you cannot see it."
        if errors:
            raise DjangoValidationError(errors)
        return data

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = s.ContributingFactorWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        incident = incidents_visible_to(request.user).filter(number=data.pop("incident")).first()
        if incident is None:
            raise DjangoValidationError({"incident": "No such incident, or you cannot see it."})
        if not can_record(request.user, incident):
            raise PermissionDenied("You may read this incident but not record on it.")
        factor = review.factor_create(incident=incident, actor=request.user, **self._resolve(incident, data))
        out = self.get_serializer(self.get_queryset().get(pk=factor.pk)).data
        return Response(out, status=status.HTTP_201_CREATED, headers={"ETag": etag_for(out)})

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        factor = self.get_object()
        if not can_record(request.user, factor.incident):
            raise PermissionDenied("You may read this incident but not record on it.")
        check_if_match(request, self.get_serializer(factor).data)
        form = s.ContributingFactorWriteSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        if data.pop("incident", factor.incident.number) != factor.incident.number:
            raise DjangoValidationError({"incident": "A factor cannot move to another incident."})
        merged = {
            "category": factor.category,
            "title": factor.title,
            "description": factor.description,
            "evidence_entries": [e.pk for e in factor.evidence_entries.all()],
            "missing_test_types": list(factor.missing_test_types or []),
            "recurrence_of": factor.recurrence_of_id,
            **data,
        }
        updated = review.factor_update(
            factor=factor, actor=request.user, **self._resolve(factor.incident, merged)
        )
        out = self.get_serializer(self.get_queryset().get(pk=updated.pk)).data
        return Response(out, headers={"ETag": etag_for(out)})


class PostmortemFilter(ByIncidentFilter):
    class Meta:
        model = Postmortem
        fields = ["incident", "status"]


@extend_schema_view(
    update=_schema("Save sections (version or If-Match required)", s.PostmortemSaveSerializer, s.PostmortemSerializer),
    partial_update=_schema("Save sections (version or If-Match required)", s.PostmortemSaveSerializer, s.PostmortemSerializer),
)  # fmt: skip
class PostmortemViewSet(
    EtagRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Postmortems; writes call `incidents.services.review`. Start one with `POST /incidents/{number}/postmortem/`."""

    queryset = Postmortem.objects.none()  # get_queryset applies the permission scope
    serializer_class = s.PostmortemSerializer
    filterset_class = PostmortemFilter
    filter_backends = [filters.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["updated_at", "published_at"]

    def get_queryset(self) -> QuerySet[Postmortem]:
        return (
            Postmortem.objects.filter(incident__in=incidents_visible_to(self.request.user).values("id"))
            .select_related("incident")
            .prefetch_related(
                Prefetch("reviews", queryset=PostmortemReview.objects.select_related("reviewer"))
            )
            .order_by("-updated_at", "-id")
        )

    def _render(self, pm: Postmortem) -> Response:
        data = self.get_serializer(self.get_queryset().get(pk=pm.pk)).data
        return Response(data, headers={"ETag": etag_for(data)})

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        pm = self.get_object()
        if not perms.can_edit_postmortem(request.user, pm):
            raise PermissionDenied("You may not edit this postmortem.")
        current = self.get_serializer(pm).data
        guarded = check_if_match(request, current)
        form = s.PostmortemSaveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        version = data.pop("version", None)
        if version is None and not guarded:
            raise DjangoValidationError({"version": "Send the version you edited (or an If-Match header)."})
        try:
            saved = review.postmortem_save(
                postmortem=pm, actor=request.user, expected_version=version or pm.version, **data
            )
        except review.PostmortemConflict as exc:
            fresh = self.get_serializer(self.get_queryset().get(pk=pm.pk)).data
            if version is None:
                raise PreconditionFailed(fresh, etag_for(fresh)) from exc
            raise VersionConflict(fresh, str(exc)) from exc
        return self._render(saved)

    @_schema(
        "Ask reviewers to review (moves to in review)",
        s.RequestReviewSerializer,
        s.RequestReviewResultSerializer,
    )
    @action(detail=True, methods=["post"], url_path="request-review")
    def request_review(self, request: Request, pk: str | None = None) -> Response:
        pm = self.get_object()
        if not perms.can_request_review(request.user, pm):
            raise PermissionDenied("You may not request a review of this postmortem.")
        form = s.RequestReviewSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        reviewers = list(User.objects.filter(pk__in=form.validated_data["reviewers"], is_active=True))
        pm, findings = review.postmortem_request_review(
            postmortem=pm, actor=request.user, reviewers=reviewers
        )
        data = self.get_serializer(self.get_queryset().get(pk=pm.pk)).data
        found = [
            {"rule": f.rule, "section": getattr(f, "section", ""), "text": getattr(f, "text", "")}
            for f in findings
        ]
        return Response({"postmortem": data, "blameless_findings": found})

    def _decide(self, request: Request, decision: str) -> Response:
        pm = self.get_object()
        form = s.ReviewDecisionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        review.postmortem_review_decide(
            postmortem=pm,
            actor=request.user,
            decision=decision,
            comment=form.validated_data["comment"],
            expected_version=form.validated_data.get("version"),
        )
        return self._render(pm)

    @_schema(
        "Approve the current version (a requested reviewer)",
        s.ReviewDecisionSerializer,
        s.PostmortemSerializer,
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, "approved")

    @_schema("Request changes (a comment is required)", s.ReviewDecisionSerializer, s.PostmortemSerializer)
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(request, "changes_requested")

    @_schema("Publish an approved postmortem (commander or admin)", None, s.PostmortemSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        pm = self.get_object()
        return self._render(review.postmortem_publish(postmortem=pm, actor=request.user))


class ActionItemFilter(ByIncidentFilter):
    owner = filters.NumberFilter(field_name="owner_id")
    due_before = filters.DateFilter(field_name="due_date", lookup_expr="lt")

    class Meta:
        model = ActionItem
        fields = ["incident", "status", "priority", "type", "owner", "due_before"]


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
        except (IncidentConflict, FollowupConflict) as exc:
            if guarded and version is None:
                data = self.get_serializer(self.fresh(exc.current)).data  # type: ignore[attr-defined]
                raise PreconditionFailed(data, etag_for(data)) from exc
            raise


@extend_schema_view(
    create=_schema("Create an action item", s.ActionItemWriteSerializer, s.ActionItemSerializer, 201),
    update=_schema("Edit an action item", s.ActionItemWriteSerializer, s.ActionItemSerializer),
    partial_update=_schema("Edit some fields of an action item", s.ActionItemWriteSerializer, s.ActionItemSerializer),
)  # fmt: skip
class ActionItemViewSet(
    VersionedWriteMixin,
    EtagRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Action items; writes call `incidents.services.followup`."""

    queryset = ActionItem.objects.none()  # get_queryset applies the permission scope
    serializer_class = s.ActionItemSerializer
    filterset_class = ActionItemFilter
    filter_backends = [filters.DjangoFilterBackend, SearchFilter, OrderingFilter]
    search_fields = ["title", "description"]
    ordering_fields = ["due_date", "priority", "created_at"]

    def get_queryset(self) -> QuerySet[ActionItem]:
        return (
            action_items_visible_to(self.request.user)
            .select_related("incident", "owner", "team")
            .order_by("due_date", "id")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = s.ActionItemWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = {k: v for k, v in form.validated_data.items() if k != "version"}
        user = request.user
        errors: dict[str, str] = {}
        if data.get("incident") is not None:
            data["incident"] = incidents_visible_to(user).filter(number=data["incident"]).first()
            if data["incident"] is None:
                errors["incident"] = "No such incident, or you cannot see it."
        if data.get("factor") is not None:
            visible = incidents_visible_to(user).values("id")
            data["factor"] = ContributingFactor.objects.filter(
                pk=data["factor"], incident__in=visible
            ).first()
            if data["factor"] is None:
                errors["factor"] = "No such contributing factor, or you cannot see it."
        if data.get("finding") is not None:
            data["finding"] = findings_visible_to(user).filter(pk=data["finding"]).first()
            if data["finding"] is None:
                errors["finding"] = "No such policy finding, or you cannot see it."
        if errors:
            raise DjangoValidationError(errors)
        data = {k: v for k, v in data.items() if v is not None or k in ("owner", "team", "due_date")}
        item = followup.action_item_create(actor=user, **data)
        return self.render(item, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        form = s.ActionItemWriteSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        changes = dict(form.validated_data)
        version = changes.pop("version", None)
        fixed = [k for k in ("incident", "factor", "finding") if k in changes]
        if fixed:
            raise DjangoValidationError({k: "This cannot change after creation." for k in fixed})
        updated = self.guarded_write(
            item,
            version,
            lambda v: followup.action_item_update(
                item=item, actor=request.user, expected_version=v, **changes
            ),
        )
        return self.render(updated)

    @_schema(
        "Change status (done needs a note, won't do a reason)",
        s.ActionItemStatusSerializer,
        s.ActionItemSerializer,
    )
    @action(detail=True, methods=["post"])
    def status(self, request: Request, pk: str | None = None) -> Response:
        item = self.get_object()
        form = s.ActionItemStatusSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        version = data.pop("version", None)
        updated = self.guarded_write(
            item,
            version,
            lambda v: followup.action_item_change_status(
                item=item, actor=request.user, expected_version=v, **data
            ),
        )
        return self.render(updated)

    @_schema('Answer "did it work?" for a done item', s.ConfirmEffectSerializer, s.ActionItemSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-effect")
    def confirm_effect(self, request: Request, pk: str | None = None) -> Response:
        item = self.get_object()
        form = s.ConfirmEffectSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        version = data.pop("version", None)
        updated = self.guarded_write(
            item,
            version,
            lambda v: followup.action_item_confirm_effect(
                item=item, actor=request.user, expected_version=v, **data
            ),
        )
        return self.render(updated)


class PolicyFindingFilter(filters.FilterSet):
    incident = filters.NumberFilter(field_name="incidents__number", distinct=True)

    class Meta:
        model = PolicyFinding
        fields = ["incident", "status", "area", "risk"]


@extend_schema_view(
    create=_schema("Open a policy finding", s.PolicyFindingWriteSerializer, s.PolicyFindingSerializer, 201),
    update=_schema("Edit a policy finding", s.PolicyFindingWriteSerializer, s.PolicyFindingSerializer),
    partial_update=_schema("Edit some fields of a policy finding", s.PolicyFindingWriteSerializer, s.PolicyFindingSerializer),
)  # fmt: skip
class PolicyFindingViewSet(
    VersionedWriteMixin,
    EtagRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Policy findings; writes call `incidents.services.followup` (verification by someone else)."""

    queryset = PolicyFinding.objects.none()  # get_queryset applies the permission scope
    serializer_class = s.PolicyFindingSerializer
    filterset_class = PolicyFindingFilter
    filter_backends = [filters.DjangoFilterBackend, SearchFilter, OrderingFilter]
    search_fields = ["title", "description"]
    ordering_fields = ["created_at", "due_date", "risk"]

    def get_queryset(self) -> QuerySet[PolicyFinding]:
        return (
            findings_visible_to(self.request.user)
            .select_related("owner", "verifier", "verified_by", "risk_accepted_by", "team")
            .prefetch_related(Prefetch("incidents", queryset=Incident.objects.only("id", "number")))
            .order_by("-created_at", "-id")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = s.PolicyFindingWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = {k: v for k, v in form.validated_data.items() if k != "version"}
        numbers = set(data.pop("incidents", []))
        incidents = list(incidents_visible_to(request.user).filter(number__in=numbers))
        if len(incidents) != len(numbers):
            raise DjangoValidationError({"incidents": "No such incident, or you cannot see it."})
        finding = followup.policy_finding_create(actor=request.user, incidents=incidents, **data)
        return self.render(finding, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        finding = self.get_object()
        form = s.PolicyFindingWriteSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        changes = dict(form.validated_data)
        version = changes.pop("version", None)
        if "incidents" in changes:
            raise DjangoValidationError({"incidents": "Link incidents from the incident's review instead."})
        updated = self.guarded_write(
            finding,
            version,
            lambda v: followup.policy_finding_update(
                finding=finding, actor=request.user, expected_version=v, **changes
            ),
        )
        return self.render(updated)

    def _act(self, form_class: Any, call: Any) -> Response:
        finding = self.get_object()
        form = form_class(data=self.request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        version = data.pop("version", None)
        updated = self.guarded_write(finding, version, lambda v: call(finding, v, data))
        return self.render(updated)

    @_schema(
        "Move along the lifecycle (remediated needs evidence in note)",
        s.FindingTransitionSerializer,
        s.PolicyFindingSerializer,
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            s.FindingTransitionSerializer,
            lambda f, v, d: followup.policy_finding_transition(
                finding=f, actor=request.user, expected_version=v, **d
            ),
        )

    @_schema(
        "Verify a remediated finding (not by its owner)", s.FindingVerifySerializer, s.PolicyFindingSerializer
    )
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            s.FindingVerifySerializer,
            lambda f, v, d: followup.policy_finding_verify(
                finding=f, actor=request.user, expected_version=v, **d
            ),
        )

    @_schema(
        "Accept the risk until a date (a lead or admin, not the owner)",
        s.FindingAcceptRiskSerializer,
        s.PolicyFindingSerializer,
    )
    @action(detail=True, methods=["post"], url_path="accept-risk")
    def accept_risk(self, request: Request, pk: str | None = None) -> Response:
        return self._act(
            s.FindingAcceptRiskSerializer,
            lambda f, v, d: followup.policy_finding_accept_risk(
                finding=f, actor=request.user, expected_version=v, **d
            ),
        )


# --- Directory -------------------------------------------------------------------------------------------
class ServiceViewSet(EtagRetrieveMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Service.objects.none()  # get_queryset applies the permission scope
    serializer_class = s.ServiceSerializer
    lookup_field = "slug"
    filter_backends = [filters.DjangoFilterBackend, SearchFilter]
    filterset_fields = ["team__slug"]
    search_fields = ["name", "description"]

    def get_queryset(self) -> QuerySet[Service]:
        return Service.objects.select_related("team").order_by("name")

    @extend_schema(
        summary="The service's change log, newest first", responses=s.ChangeEventSerializer(many=True)
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=PagePagination)
    def changes(self, request: Request, slug: str | None = None) -> Response:
        service = self.get_object()
        qs = (
            ChangeEvent.objects.filter(service=service)
            .select_related("service")
            .order_by("-occurred_at", "-id")
        )
        page = self.paginate_queryset(qs)
        data = s.ChangeEventSerializer(page, many=True).data
        return self.get_paginated_response(data)


class TeamViewSet(EtagRetrieveMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.TeamSerializer
    lookup_field = "slug"
    filter_backends = [SearchFilter]
    search_fields = ["name"]
    queryset = Team.objects.order_by("name")


class MeView(APIView):
    """The signed-in user (`/api/v1/users/me/`)."""

    @extend_schema(summary="Who am I", responses=s.MeSerializer)
    def get(self, request: Request) -> Response:
        user = User.objects.prefetch_related("memberships__team").get(pk=request.user.pk)
        return Response(s.MeSerializer(user, context={"request": request}).data)


# --- Inbound -----------------------------------------------------------------------------------------------
class ChangeEventViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Deploys and changes from CI. Posting one adds a `change` entry to the service's active incidents."""

    queryset = ChangeEvent.objects.none()  # get_queryset applies the permission scope
    serializer_class = s.ChangeEventSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_fields = ["service__slug"]

    def get_queryset(self) -> QuerySet[ChangeEvent]:
        return ChangeEvent.objects.select_related("service").order_by("-occurred_at", "-id")

    @extend_schema(summary="Report a deploy or change", request=s.ChangeEventCreateSerializer,
                   responses={201: s.ChangeEventResultSerializer, **ERRORS})  # fmt: skip
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not is_responder(request.user):
            raise PermissionDenied("Only responders, team leads and admins may report changes.")
        form = s.ChangeEventCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        change, touched = change_event_record(actor=request.user, **form.validated_data)
        visible = [i.number for i in touched if can_view_incident(request.user, i)]
        out = {"change": s.ChangeEventSerializer(change).data, "incidents": visible}
        return Response(out, status=status.HTTP_201_CREATED)


class AlertView(APIView):
    """Alert intake: declares an incident once per `dedup_key` (201), then returns it again (200)."""

    @extend_schema(
        summary="Declare an incident from an alert, idempotently by dedup_key",
        request=s.AlertSerializer,
        responses={201: s.IncidentSerializer, 200: s.IncidentSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        if not can_declare(request.user):
            raise PermissionDenied("Only responders, team leads and admins may declare incidents.")
        form = s.AlertSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        existed = Incident.objects.filter(dedup_key=data["dedup_key"]).exists()
        incident = services.incident_declare(actor=request.user, detection_method="alert", **data)
        if not can_view_incident(request.user, incident):
            raise Http404("No such incident.")
        qs = selectors.incident_list_for(request.user).select_related("communications_lead", "scribe")
        out = s.IncidentSerializer(qs.get(pk=incident.pk), context={"request": request}).data
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(out, status=code, headers={"ETag": etag_for(out)})


# --- Outbound webhooks (admins) -------------------------------------------------------------------------
class IsAdmin(permissions.BasePermission):
    message = "Only admins manage webhooks."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_admin(request.user)


class WebhookEndpointViewSet(viewsets.ModelViewSet):
    """Outbound webhook endpoints per event. Deliveries are signed; see the README's API section."""

    queryset = WebhookEndpoint.objects.none()  # get_queryset applies the permission scope
    serializer_class = s.WebhookEndpointSerializer
    permission_classes = [permissions.IsAuthenticated, IsAdmin]

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        return WebhookEndpoint.objects.order_by("id")

    def perform_create(self, serializer: Any) -> None:
        import secrets

        serializer.save(secret=serializer.validated_data.get("secret") or secrets.token_urlsafe(32))

    def perform_destroy(self, instance: WebhookEndpoint) -> None:
        # Deliveries are the log: keep them, stop sending.
        instance.is_active = False
        instance.save(update_fields=["is_active"])

    @extend_schema(
        summary="Recent deliveries of this endpoint", responses=s.WebhookDeliverySerializer(many=True)
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        qs = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.WebhookDeliverySerializer(page, many=True).data)
