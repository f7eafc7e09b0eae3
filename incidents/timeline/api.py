from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from incidents.api.base import ERRORS, ApiView, EtagRetrieveMixin, IncidentNumberFilter
from incidents.api.checks import actor, body_incident_record
from incidents.api.pagination import TimelineCursorPagination
from incidents.incident.models import FUTURE_SKEW
from incidents.inputs import parse_aware_datetime
from incidents.models import (
    ChangeEvent,
    EntrySource,
    TimelineEntry,
)
from incidents.permissions.checks import require_report_change
from incidents.permissions.incident import can_record, incidents_recordable_by, incidents_visible_to
from incidents.timeline import serializers as s
from incidents.timeline import services
from incidents.timeline.changes import change_event_record
from incidents.timeline.selectors import (
    EPOCH,
    LIVE_BATCH,
    TimelineCursor,
    timeline_duplicate_of,
    timeline_feed,
)


# --- Timeline ------------------------------------------------------------------------------------------
class TimelineEntryFilter(filters.FilterSet):
    incident = IncidentNumberFilter(help_text="Incident number (42 for INC-42).")
    kind = filters.MultipleChoiceFilter(choices=TimelineEntry._meta.get_field("kind").choices)
    source = filters.ChoiceFilter(choices=TimelineEntry._meta.get_field("source").choices)

    class Meta:
        model = TimelineEntry
        fields = ["incident", "kind", "source"]


SINCE = OpenApiParameter(
    "since",
    str,
    description="The change feed, for live clients: entries added, edited, removed or restored after this "
    "point, in (updated_at, id) order, removed ones included with `removed: true`. Start with a time "
    "(ISO 8601 with an offset) and then send the `since` of each answer (or follow `next`): it stays 10 s "
    "behind the newest change, so an entry whose transaction commits late is sent again rather than "
    "missed. Replace entries by id.",
)


def _feed_cursor(raw: str) -> TimelineCursor:
    """`?since=` as a feed cursor: a cursor from a previous answer, or an aware ISO 8601 time."""
    try:
        cursor = TimelineCursor.decode(raw)
    except ValueError:
        pass
    else:
        if cursor.updated_at > timezone.now() + FUTURE_SKEW:
            raise DjangoValidationError(
                {"since": "This cursor is in the future; send the since of an answer."}
            )
        return cursor
    try:
        when = parse_aware_datetime(raw)
    except DjangoValidationError as exc:
        raise DjangoValidationError({"since": f"{exc.messages[0]} Or send the since of an answer."}) from None
    if when > timezone.now() + FUTURE_SKEW:
        # A cursor past now would wait for changes that are already behind it: the feed would stall.
        raise DjangoValidationError(
            {"since": "This time is in the future; send a past time, or the since of an answer."}
        )
    # Strictly after the time, as `updated_at > since`: past every id at that instant.
    return TimelineCursor(max(when, EPOCH), 10**18 - 1)


def _removed_hidden_q(user: Any) -> Q:
    """Removed entries on incidents `user` may not edit the timeline of: their text is not for `user`."""
    return Q(removed_at__isnull=False) & ~Q(incident__in=incidents_recordable_by(user).values("id"))


class TimelineSearchFilter(SearchFilter):
    """`?search=` over the text of entries the caller may read: a removed entry's body is searched only for
    those who may edit the timeline; for others a removed entry stays in a `since` feed (as `removed: true`,
    without text) whatever the search, so live clients can drop it and the search reveals nothing of it."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        if not self.get_search_terms(request):
            return queryset
        hidden = _removed_hidden_q(request.user)
        matched = super().filter_queryset(request, queryset.exclude(hidden), view)
        return queryset.filter(Q(pk__in=matched.values("pk")) | hidden)


@extend_schema_view(
    list=extend_schema(
        summary="Timeline entries in (occurred_at, id) order, cursor-paginated; with ?since= the change feed",
        parameters=[SINCE],
    ),
    retrieve=extend_schema(summary="One timeline entry"),
    create=extend_schema(
        summary="Add a timeline entry (inserts never conflict)",
        request=s.TimelineEntryCreateSerializer,
        responses={201: s.TimelineEntryCreatedSerializer, 200: s.TimelineEntryCreatedSerializer, **ERRORS},
    ),
)
class TimelineEntryViewSet(
    ApiView,
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
    filter_backends = [filters.DjangoFilterBackend, TimelineSearchFilter]
    search_fields = ["body"]
    write_checks = {"create": body_incident_record}

    def get_queryset(self) -> QuerySet[TimelineEntry]:
        """Entries of incidents the caller may see. Removed entries: in `since` feeds for everyone (their
        text only for those who may edit the timeline, see the serializer); on detail only for editors
        (others get 404, as the page does)."""
        qs = TimelineEntry.objects.filter(
            incident__in=incidents_visible_to(self.request.user).values("id")
        ).select_related("author", "incident")
        if self.action == "list" and not self.request.query_params.get("since"):
            qs = qs.filter(removed_at__isnull=True)
        elif self.action != "list":
            qs = qs.exclude(_removed_hidden_q(self.request.user))
        return qs.order_by("occurred_at", "id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raw = request.query_params.get("since")
        if raw is None:
            return super().list(request, *args, **kwargs)
        cursor = _feed_cursor(raw)
        limit = TimelineCursorPagination().get_page_size(request)
        rows, nxt = timeline_feed(
            self.filter_queryset(self.get_queryset()), cursor, limit=limit or LIVE_BATCH
        )
        since = nxt.encode()
        return Response(
            {
                "next": replace_query_param(request.build_absolute_uri(), "since", since),
                "previous": None,
                "since": since,
                "results": self.get_serializer(rows, many=True).data,
            }
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        context["recordable_ids"] = set(
            incidents_recordable_by(self.request.user).values_list("id", flat=True)
        )
        return context

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = s.TimelineEntryCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        incident = incidents_visible_to(request.user).filter(number=data.pop("incident")).first()
        if incident is None:
            raise DjangoValidationError({"incident": "No such incident, or you cannot see it."})
        context = self.get_serializer_context()
        if data.pop("on_duplicate", "keep") == "skip" and can_record(request.user, incident):
            probe = TimelineEntry(
                incident=incident, occurred_at=data.get("occurred_at") or timezone.now(), body=data["body"]
            )
            existing = timeline_duplicate_of(probe)
            if existing is not None:
                existing.duplicate_of = existing.pk  # type: ignore[attr-defined]
                return Response(s.TimelineEntryCreatedSerializer(existing, context=context).data)
        entry = services.timeline_entry_add(
            incident=incident, actor=request.user, source=EntrySource.API, **data
        )
        twin = timeline_duplicate_of(entry)
        # The same minute and text already recorded (any source): kept, and said, so the caller can drop it.
        entry.duplicate_of = twin.pk if twin is not None else None  # type: ignore[attr-defined]
        out = s.TimelineEntryCreatedSerializer(entry, context=context).data
        return Response(out, status=status.HTTP_201_CREATED)


# --- Inbound -----------------------------------------------------------------------------------------------
class ChangeEventViewSet(ApiView, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Deploys and changes from CI. Posting one adds a `change` entry to the service's active incidents."""

    queryset = ChangeEvent.objects.none()  # get_queryset applies the permission scope
    serializer_class = s.ChangeEventSerializer
    filter_backends = [filters.DjangoFilterBackend]
    filterset_fields = ["service__slug"]
    write_checks = {"create": actor(require_report_change)}

    def get_queryset(self) -> QuerySet[ChangeEvent]:
        return ChangeEvent.objects.select_related("service").order_by("-occurred_at", "-id")

    @extend_schema(summary="Report a deploy or change", request=s.ChangeEventCreateSerializer,
                   responses={201: s.ChangeEventResultSerializer, **ERRORS})  # fmt: skip
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = s.ChangeEventCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        change, received = change_event_record(actor=request.user, **form.validated_data)
        out = {"change": s.ChangeEventSerializer(change).data, "incidents": [i.number for i in received]}
        return Response(out, status=status.HTTP_201_CREATED)
