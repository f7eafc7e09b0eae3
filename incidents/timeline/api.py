from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.base import ERRORS, EtagRetrieveMixin, UtcDateTimeFilter
from incidents.api.pagination import TimelineCursorPagination
from incidents.models import (
    ChangeEvent,
    EntrySource,
    TimelineEntry,
)
from incidents.permissions import (
    can_record,
    can_view_incident,
    incidents_visible_to,
    is_responder,
)
from incidents.timeline import serializers as s
from incidents.timeline import services
from incidents.timeline.changes import change_event_record


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
