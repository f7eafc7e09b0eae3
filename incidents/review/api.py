from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.base import (
    ApiView,
    ByIncidentFilter,
    EtagRetrieveMixin,
    RecordViewSet,
    VersionedWriteMixin,
    _schema,
    check_if_match,
    etag_for,
    record_schemas,
)
from incidents.api.checks import body_incident_record, on_object
from incidents.api.pagination import StableOrderingFilter
from incidents.models import (
    ContributingFactor,
    Incident,
    Postmortem,
    PostmortemReview,
    TimelineEntry,
)
from incidents.permissions.checks import (
    require_conclude_review,
    require_decide_review,
    require_record,
    require_write_review,
)
from incidents.permissions.incident import incidents_visible_to
from incidents.permissions.review import factors_with_recurrence_visibility
from incidents.review import serializers as s
from incidents.review.services import factors as services_factors
from incidents.review.services import postmortems as services_postmortems
from incidents.review.services import reviews


class ContributingFactorFilter(ByIncidentFilter):
    class Meta:
        model = ContributingFactor
        fields = ["incident", "category"]


@record_schemas(
    "a contributing factor",
    s.ContributingFactorWriteSerializer,
    s.ContributingFactorSerializer,
    create="Record",
)
class ContributingFactorViewSet(RecordViewSet):
    """Contributing factors; writes call `incidents.review.services.factors` (`factor_create`, `factor_update`)."""

    queryset = ContributingFactor.objects.none()  # get_queryset applies the permission scope
    serializer_class = s.ContributingFactorSerializer
    filterset_class = ContributingFactorFilter
    search_fields = ["title", "description"]
    ordering_fields = ["created_at", "category"]
    write_checks = {
        "create": body_incident_record,
        **dict.fromkeys(("update", "partial_update"), on_object(require_record, via=lambda f: f.incident)),
    }

    def get_queryset(self) -> QuerySet[ContributingFactor]:
        user = self.request.user
        factors = ContributingFactor.objects.filter(incident__in=incidents_visible_to(user).values("id"))
        return (
            factors_with_recurrence_visibility(user, factors)
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
        factor = services_factors.factor_create(
            incident=incident, actor=request.user, **self._resolve(incident, data)
        )
        out = self.get_serializer(self.get_queryset().get(pk=factor.pk)).data
        return Response(out, status=status.HTTP_201_CREATED, headers={"ETag": etag_for(out)})

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        factor = self.get_object()
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
            **data,
        }
        resolved = self._resolve(factor.incident, merged)
        if "recurrence_of" not in data:
            resolved["recurrence_of"] = factor.recurrence_of  # kept, also when its incident is hidden
        updated = services_factors.factor_update(factor=factor, actor=request.user, **resolved)
        out = self.get_serializer(self.get_queryset().get(pk=updated.pk)).data
        return Response(out, headers={"ETag": etag_for(out)})


SAVE_BODY = dict.fromkeys(
    ("application/json", "application/x-www-form-urlencoded", "multipart/form-data"),
    {"$ref": "#/components/schemas/PostmortemSaveRequest"},
)


class PostmortemFilter(ByIncidentFilter):
    class Meta:
        model = Postmortem
        fields = ["incident", "status"]


@extend_schema_view(
    update=_schema("Save sections (version or If-Match required)", s.PostmortemSaveSerializer, s.PostmortemSerializer),
    # PATCH takes PUT's body: `sections` is required on both (a save with nothing in it saves nothing), so
    # its schema is PUT's, not the "every field optional" one drf-spectacular makes for a PATCH.
    partial_update=_schema("Save sections (version or If-Match required)", SAVE_BODY, s.PostmortemSerializer),
)  # fmt: skip
class PostmortemViewSet(
    ApiView,
    VersionedWriteMixin,
    EtagRetrieveMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Postmortems; writes call `incidents.review.services.postmortems`. Start one with `POST /incidents/{number}/postmortem/`."""

    queryset = Postmortem.objects.none()  # get_queryset applies the permission scope
    serializer_class = s.PostmortemSerializer
    filterset_class = PostmortemFilter
    filter_backends = [filters.DjangoFilterBackend, StableOrderingFilter]
    ordering_fields = ["updated_at", "published_at"]
    write_checks = {
        **dict.fromkeys(("update", "partial_update", "request_review"), on_object(require_write_review)),
        **dict.fromkeys(("approve", "request_changes"), on_object(require_decide_review)),
        "publish": on_object(require_conclude_review),
    }

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
        form = s.PostmortemSaveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        version = data.pop("version", None)
        if version is None and not request.headers.get("If-Match"):
            raise DjangoValidationError({"version": "Send the version you edited (or an If-Match header)."})
        saved = self.guarded_write(
            pm,
            version,
            lambda v: services_postmortems.postmortem_save(
                postmortem=pm, actor=request.user, expected_version=v, **data
            ),
        )
        return self._render(saved)

    @_schema(
        "Ask reviewers to review (moves to in review)",
        s.RequestReviewSerializer,
        s.RequestReviewResultSerializer,
    )
    @action(detail=True, methods=["post"], url_path="request-review")
    def request_review(self, request: Request, pk: str | None = None) -> Response:
        pm = self.get_object()
        form = s.RequestReviewSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        reviewers = form.validated_data["reviewers"]
        pm, findings = reviews.postmortem_request_review(
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
        reviews.postmortem_review_decide(
            postmortem=pm,
            actor=request.user,
            decision=decision,
            comment=form.validated_data["comment"],
            expected_version=form.validated_data["version"],
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

    @_schema(
        "Publish an approved postmortem (commander or admin; refused while blameless findings are open)",
        s.PublishSerializer,
        s.PostmortemSerializer,
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        pm = self.get_object()
        body = s.PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._render(
            reviews.postmortem_publish(
                postmortem=pm, actor=request.user, override_reason=body.validated_data["override_reason"]
            )
        )
