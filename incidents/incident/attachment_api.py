"""`GET /api/v1/incidents/{number}/attachments/`: the incident's attachments, oldest first (paged); `POST`
the same (multipart, `file` and optionally `entry`): upload one (those who may record on the incident);
`GET .../attachments/{attachment_id}/download/`: its bytes, for those who may see the incident (404 for
everyone else)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.base import ERRORS, ApiView
from incidents.api.checks import on_loaded
from incidents.api.fields import (
    ReadModelSerializer,
    StrictInputSerializer,
    UserBriefSerializer,
    UtcDateTimeField,
)
from incidents.api.pagination import PagePagination
from incidents.incident import selectors
from incidents.incident.attachment_views import file_response
from incidents.incident.services.attachments import TYPES_TAKEN, attachment_add, attachment_remove
from incidents.models import Attachment
from incidents.permissions.checks import require_record, require_remove_attachment


class AttachmentSerializer(ReadModelSerializer):
    incident = serializers.IntegerField(source="incident.number", read_only=True, help_text="Its number.")
    entry = serializers.IntegerField(
        source="entry_id", read_only=True, allow_null=True, help_text="The timeline entry it is on, if any."
    )
    name = serializers.CharField(read_only=True, help_text="The sanitised file name, as offered on download.")
    content_type = serializers.CharField(
        read_only=True,
        help_text="Decided from the bytes: image/png, image/jpeg or one of the file types taken.",
    )
    size = serializers.IntegerField(read_only=True, help_text="Bytes stored (an image's re-encoded bytes).")
    is_image = serializers.BooleanField(read_only=True)
    uploaded_by = UserBriefSerializer(read_only=True, allow_null=True)
    uploaded_at = UtcDateTimeField(read_only=True)
    download_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id", "incident", "entry", "name", "content_type", "size", "width", "height", "is_image",
            "uploaded_by", "uploaded_at", "download_url", "thumbnail_url",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_download_url(self, obj: Attachment) -> str:
        """The API path of its bytes."""
        return reverse("api:incident-attachment-download", args=[obj.incident.number, obj.pk])

    @extend_schema_field({"type": "string", "nullable": True})
    def get_thumbnail_url(self, obj: Attachment) -> str | None:
        """The page path of an image's thumbnail (PNG); null for other files."""
        if not obj.thumbnail:
            return None
        return reverse("incidents:attachment_thumbnail", args=[obj.incident.number, obj.pk])


class AttachmentUploadSerializer(StrictInputSerializer):
    file = serializers.FileField(
        allow_empty_file=True,
        help_text=f"{TYPES_TAKEN}, at most ATTACHMENT_MAX_BYTES (10 MB by default). Images are re-encoded.",
    )
    entry = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**62,
        help_text="Id of a timeline entry of this incident to attach it to.",
    )


def _load(view: Any, request: Request) -> Any:
    return selectors.incident_get_for(request.user, view.kwargs["number"])


class IncidentAttachmentsView(ApiView, generics.GenericAPIView):
    """An incident's attachments."""

    serializer_class = AttachmentSerializer
    pagination_class = PagePagination
    write_checks = {"post": on_loaded(_load, require_record)}

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the schema generator, with no URL number
            return Attachment.objects.none()
        incident = selectors.incident_get_for(self.request.user, self.kwargs["number"])
        return selectors.attachments_of(incident).select_related("incident")

    @extend_schema(
        summary="An incident's attachments, oldest first",
        responses={200: AttachmentSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, number: int) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(AttachmentSerializer(page, many=True).data)

    @extend_schema(
        summary="Upload an attachment (those who may record on the incident); a timeline entry says so",
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, **ERRORS},
    )
    def post(self, request: Request, number: int) -> Response:
        incident = self.checked_object  # type: ignore[attr-defined]
        form = AttachmentUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        entry = None
        if data.get("entry"):
            entry = incident.timeline_entries.filter(pk=data["entry"]).first()
            if entry is None:
                raise ValidationError({"entry": ["Choose an entry of this incident's timeline."]})
        attachment = attachment_add(incident=incident, actor=request.user, upload=data["file"], entry=entry)
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


def _load_attachment(view: Any, request: Request) -> Any:
    return selectors.attachment_get_for(request.user, view.kwargs["number"], view.kwargs["attachment_id"])


class IncidentAttachmentView(ApiView):
    """One attachment: read it, or remove it (its bytes too)."""

    write_checks = {"delete": on_loaded(_load_attachment, require_remove_attachment)}

    @extend_schema(summary="One attachment of an incident", responses={200: AttachmentSerializer, **ERRORS})
    def get(self, request: Request, number: int, attachment_id: int) -> Response:
        attachment = selectors.attachment_get_for(request.user, number, attachment_id)
        return Response(AttachmentSerializer(attachment).data)

    @extend_schema(
        summary="Remove an attachment and its file (who uploaded it, or who may command the incident); a "
        "timeline entry says so",
        responses={204: None, **ERRORS},
    )
    def delete(self, request: Request, number: int, attachment_id: int) -> Response:
        attachment_remove(attachment=self.checked_object, actor=request.user)  # type: ignore[attr-defined]
        return Response(status=status.HTTP_204_NO_CONTENT)


class IncidentAttachmentDownloadView(ApiView):
    """One attachment's bytes."""

    @extend_schema(
        summary="An attachment's bytes (images inline, other files as a download; nosniff)",
        responses={
            200: OpenApiResponse(OpenApiTypes.BINARY, description="The file, with its content type."),
            **ERRORS,
        },
    )
    def get(self, request: Request, number: int, attachment_id: int) -> Any:
        return file_response(selectors.attachment_get_for(request.user, number, attachment_id))
