from __future__ import annotations

import secrets
from functools import partial
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.base import ApiView, IsAdmin
from incidents.api.checks import actor
from incidents.models import (
    WebhookDelivery,
    WebhookEndpoint,
)
from incidents.notify import serializers as s
from incidents.permissions.checks import require_admin


class WebhookEndpointViewSet(ApiView, viewsets.ModelViewSet):
    """Outbound webhook endpoints per event. Deliveries are signed; see the README's API section."""

    queryset = WebhookEndpoint.objects.none()  # get_queryset applies the permission scope
    serializer_class = s.WebhookEndpointSerializer
    permission_classes = [IsAdmin]  # added to ApiView's: signed in, and the token's scope
    write_checks = dict.fromkeys(
        ("create", "update", "partial_update", "destroy", "rotate_secret"),
        actor(partial(require_admin, message=IsAdmin.message)),
    )

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        return WebhookEndpoint.objects.order_by("id")

    @extend_schema(
        summary="Register an endpoint (the answer carries its secret, this once)",
        request=s.WebhookEndpointSerializer,
        responses={201: s.WebhookSecretShownSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        endpoint = form.save(secret=form.validated_data.get("secret") or secrets.token_urlsafe(32))
        return Response(s.WebhookSecretShownSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace the endpoint's secret with a new one (shown in the answer, this once)",
        request=None,
        responses=s.WebhookSecretShownSerializer,
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret", filter_backends=[])
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        endpoint.secret = secrets.token_urlsafe(32)
        endpoint.save(update_fields=["secret"])
        return Response(s.WebhookSecretShownSerializer(endpoint).data)

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
