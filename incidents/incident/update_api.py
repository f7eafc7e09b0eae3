"""`GET /api/v1/incidents/{number}/updates/`: the incident's stakeholder updates, newest first (paged);
`POST` the same: post one (those who may record on the incident), emailed once to its stakeholders."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.base import ERRORS, ApiView
from incidents.api.checks import on_loaded
from incidents.api.fields import (
    MarkdownHtmlField,
    ReadModelSerializer,
    StrictInputSerializer,
    TextField,
    UserBriefSerializer,
    UtcDateTimeField,
)
from incidents.api.pagination import PagePagination
from incidents.incident import selectors
from incidents.incident.services.updates import MAX_TEXT, stakeholder_update_post_once
from incidents.models import EntrySource, StakeholderUpdate, UpdateStatus
from incidents.permissions.checks import require_record


class StakeholderUpdateSerializer(ReadModelSerializer):
    incident = serializers.IntegerField(source="incident.number", read_only=True, help_text="Its number.")
    customer_impact_html = MarkdownHtmlField(source="customer_impact")
    doing_html = MarkdownHtmlField(source="doing")
    next_update_at = UtcDateTimeField(
        read_only=True, allow_null=True, help_text="When the next update is promised; null for a final one."
    )
    posted_by = UserBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = StakeholderUpdate
        fields = [
            "id", "incident", "status", "customer_impact", "customer_impact_html", "doing", "doing_html",
            "next_update_at", "posted_by", "posted_at",
        ]  # fmt: skip
        read_only_fields = fields


class StakeholderUpdateCreateSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(choices=UpdateStatus.choices, help_text="What stakeholders are told.")
    customer_impact = TextField(allow_blank=True, max_length=MAX_TEXT, help_text="Markdown; required.")
    doing = TextField(
        allow_blank=True, max_length=MAX_TEXT, help_text="What we are doing. Markdown; required."
    )
    next_update_at = UtcDateTimeField(
        required=False,
        allow_null=True,
        help_text="With its offset; after now and within 7 days. Only a resolved (final) update may omit it.",
    )


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="Any string up to 100 characters. The same update posted again with the key (the same caller, "
    "the same incident) answers 200 with the update it posted, and nothing is posted or emailed again.",
)  # fmt: skip


def _retry_key(request: Request, incident: Any) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 100 or not key.isprintable():
        raise ValidationError({"Idempotency-Key": ["Up to 100 printable characters."]})
    return f"api-update:{request.user.pk}:{incident.pk}:{key}" if key else None


def _load(view: Any, request: Request) -> Any:
    return selectors.incident_get_for(request.user, view.kwargs["number"])


class IncidentUpdatesView(ApiView, generics.GenericAPIView):
    """An incident's stakeholder updates."""

    serializer_class = StakeholderUpdateSerializer
    pagination_class = PagePagination
    write_checks = {"post": on_loaded(_load, require_record)}

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the schema generator, with no URL number
            return StakeholderUpdate.objects.none()
        incident = selectors.incident_get_for(self.request.user, self.kwargs["number"])
        return selectors.stakeholder_updates_of(incident).select_related("incident")

    @extend_schema(
        summary="An incident's stakeholder updates, newest first",
        responses={200: StakeholderUpdateSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, number: int) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(StakeholderUpdateSerializer(page, many=True).data)

    @extend_schema(
        summary="Post a stakeholder update (those who may record on the incident); it is emailed once to "
        "the incident's subscribers who may see it and, for an internal incident, its severity's list",
        request=StakeholderUpdateCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: StakeholderUpdateSerializer,
            200: OpenApiResponse(
                StakeholderUpdateSerializer, description="Posted before with this Idempotency-Key."
            ),
            **ERRORS,
        },
    )
    def post(self, request: Request, number: int) -> Response:
        incident = self.checked_object  # type: ignore[attr-defined]
        form = StakeholderUpdateCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        update, created = stakeholder_update_post_once(
            incident=incident,
            actor=request.user,
            status=data["status"],
            customer_impact=data["customer_impact"],
            doing=data["doing"],
            next_update_at=data.get("next_update_at"),
            source=EntrySource.API,
            dedup_key=_retry_key(request, incident),
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(StakeholderUpdateSerializer(update).data, status=code)
