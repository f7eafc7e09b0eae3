"""`/api/v1/services/`: the service catalog. Every signed-in person reads it; admins and the leads of a
service's team add services (POST) and change them (PATCH); a read-only token never writes (the base class).
Writes go through `directory`, as the settings pages' do."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.base import ERRORS, ApiView, EtagRetrieveMixin
from incidents.api.checks import actor, on_object
from incidents.api.pagination import PagePagination
from incidents.incident import directory
from incidents.incident import serializers as incident_serializers
from incidents.models import ChangeEvent, Service
from incidents.permissions.checks import require_page
from incidents.permissions.roles import can_manage_settings, can_manage_team
from incidents.timeline import serializers as timeline_serializers

SERVICE_WRITE_MESSAGE = "Only admins and the leads of a service's team change the service catalog."


@extend_schema_view(
    create=extend_schema(
        summary="Add a service to the catalog (admins; team leads for a team they lead)",
        request=incident_serializers.ServiceWriteSerializer,
        responses={201: incident_serializers.ServiceSerializer, **ERRORS},
    ),
    partial_update=extend_schema(
        summary="Change a service's catalog entry (admins, leads of its team); fields not sent stay",
        request=incident_serializers.ServiceWriteSerializer,
        responses={200: incident_serializers.ServiceSerializer, **ERRORS},
    ),
)
class ServiceViewSet(ApiView, EtagRetrieveMixin, viewsets.ReadOnlyModelViewSet):
    """The service catalog: every signed-in person reads it; admins and leads of a service's team write
    (a read-only token never does). Services are never deleted through the API."""

    queryset = Service.objects.none()  # get_queryset applies the permission scope
    serializer_class = incident_serializers.ServiceSerializer
    lookup_field = "slug"
    filter_backends = [filters.DjangoFilterBackend, SearchFilter]
    filterset_fields = ["team__slug"]
    search_fields = ["name", "description"]
    write_checks = {
        "create": actor(lambda user: require_page(can_manage_settings(user), SERVICE_WRITE_MESSAGE)),
        "partial_update": on_object(
            lambda user, service: require_page(can_manage_team(user, service.team_id), SERVICE_WRITE_MESSAGE)
        ),
    }

    def get_queryset(self) -> QuerySet[Service]:
        return (
            Service.objects.select_related("team")
            .prefetch_related("depends_on", "dependents")
            .order_by("name")
        )

    def _read(self, service: Service) -> dict[str, Any]:
        fresh = self.get_queryset().get(pk=service.pk)
        return dict(incident_serializers.ServiceSerializer(fresh, context=self.get_serializer_context()).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = incident_serializers.ServiceWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        data.setdefault("team", None)
        service = directory.service_create(actor=request.user, **data)
        return Response(self._read(service), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        service = self.get_object()
        form = incident_serializers.ServiceWriteSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        kept = {
            "name": service.name,
            "slug": service.slug,
            "team": service.team,
            "description": service.description,
        }
        service = directory.service_update(actor=request.user, service=service, **{**kept, **data})
        return Response(self._read(service))

    @extend_schema(
        summary="The service's change log, newest first",
        responses=timeline_serializers.ChangeEventSerializer(many=True),
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
        data = timeline_serializers.ChangeEventSerializer(page, many=True).data
        return self.get_paginated_response(data)
