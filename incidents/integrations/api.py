"""Alert intake endpoints, one per sender: `/api/v1/integrations/<kind>/`."""

from __future__ import annotations

import json
from typing import Any, ClassVar, cast

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.api.auth import ApiTokenAuthentication, SessionAuthentication
from incidents.api.fields import TextField
from incidents.integrations.auth import (
    IntegrationRateThrottle,
    IntegrationTokenAuthentication,
    IsIntegrationOfKind,
)
from incidents.integrations.models import AlertIntegration
from incidents.integrations.senders import SENDERS
from incidents.integrations.senders.base import SignatureInvalid
from incidents.integrations.services.intake import alert_notification_receive


class RawParser(BaseParser):
    """Any content type: the view reads the raw body itself (signatures are over the exact bytes)."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return None


class IntakeResultSerializer(serializers.Serializer):
    incident = TextField(allow_null=True, help_text="INC-42, or null when nothing was open.")
    number = serializers.IntegerField(allow_null=True)
    created = serializers.BooleanField()
    entries = serializers.IntegerField(help_text="Timeline entries written (0 for a repeat).")
    status = TextField(allow_null=True)
    changes = serializers.ListField(child=TextField())


class AlertIntakeView(APIView):
    """Receive one notification from a sender of kind `kind`, authenticated by its integration token."""

    kind: ClassVar[str] = ""
    authentication_classes = [IntegrationTokenAuthentication, ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [IsIntegrationOfKind]
    throttle_classes = [IntegrationRateThrottle]
    parser_classes = [RawParser]
    http_method_names = ["post", "options"]

    @extend_schema(
        summary="Alert intake (the sender's own webhook format)",
        request={"application/json": {"type": "object"}},
        responses={
            201: IntakeResultSerializer,
            200: IntakeResultSerializer,
            400: OpenApiResponse(description="Field messages for a malformed notification."),
            401: OpenApiResponse(description="No or unknown integration token."),
            403: OpenApiResponse(description="Bad signature, or not an integration of this kind."),
        },
    )
    def post(self, request: Request) -> Response:
        integration = request.auth
        assert isinstance(integration, AlertIntegration)
        sender = SENDERS[self.kind]
        body = request.body
        if integration.signing_secret and sender.SIGNS:
            try:
                sender.verify(integration, body, request.headers)
            except SignatureInvalid as exc:
                raise exceptions.PermissionDenied(str(exc)) from exc
        try:
            data = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ValidationError({"non_field_errors": [f"The body is not JSON: {exc}"]}) from exc
        if not isinstance(data, dict):
            raise exceptions.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        notification = sender.parse(data, integration)
        try:
            result = alert_notification_receive(integration=integration, notification=notification)
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        incident = result.incident
        out = {
            "incident": incident.reference if incident else None,
            "number": incident.number if incident else None,
            "created": result.created,
            "entries": result.entries,
            "status": incident.status if incident else None,
            "changes": result.changes,
        }
        return Response(out, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


def intake_view(kind: str) -> Any:
    """The intake view for sender `kind`, its schema operation named after it."""
    attrs = {"kind": kind, "__doc__": SENDERS[kind].__doc__}
    view = cast("type[AlertIntakeView]", type(f"{kind.title()}IntakeView", (AlertIntakeView,), attrs))
    return view.as_view()
