from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Team, User
from incidents.api.base import (
    ERRORS,
    VERSIONED_ERRORS,
    ApiView,
    EtagRetrieveMixin,
    UtcDateTimeFilter,
    VersionedRecordViewSet,
    errors_keyed,
    etag_for,
)
from incidents.api.checks import actor, on_object
from incidents.api.fields import UserBriefSerializer
from incidents.api.pagination import PagePagination
from incidents.incident import selectors
from incidents.incident import serializers as incident_serializers
from incidents.incident.custom_api import custom_errors_keyed, filter_custom_fields
from incidents.incident.services import custom_values as custom_services
from incidents.incident.services import declare, edits, lifecycle
from incidents.models import (
    Incident,
    Postmortem,
    PostmortemReview,
    PostmortemTemplate,
)
from incidents.permissions.checks import (
    require_command,
    require_declare,
    require_manage_participants,
    require_record,
)
from incidents.permissions.incident import can_view_incident
from incidents.review import serializers as review_serializers
from incidents.review.services import postmortems as review


class IncidentFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=Incident._meta.get_field("status").choices)
    severity = filters.MultipleChoiceFilter(choices=Incident._meta.get_field("severity").choices)
    service = filters.CharFilter(field_name="services__slug", distinct=True)
    type = filters.CharFilter(field_name="incident_type__slug", help_text="An incident type's short name.")
    custom_field = filters.CharFilter(
        method="filter_custom_field",
        help_text="`key:value`: incidents whose custom field `key` holds `value` (text and links contain it, "
        "any case; options, numbers, dates and people, by id or email, match exactly). Repeat to combine.",
    )
    started_after = UtcDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = UtcDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Incident
        fields = [
            "status", "severity", "visibility", "service", "type", "custom_field", "started_after",
            "started_before",
        ]  # fmt: skip

    def filter_custom_field(self, queryset: QuerySet[Incident], name: str, value: str) -> QuerySet[Incident]:
        return filter_custom_fields(queryset, self.data)


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="Any string up to 100 characters. A declaration repeated with the key (the same caller) "
    "returns the incident it declared with 200 instead of declaring another.",
)  # fmt: skip


def _idempotency_key(request: Request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > 100 or not key.isprintable():
        raise ValidationError({"Idempotency-Key": ["Up to 100 printable characters."]})
    return key


_PEOPLE = ("commander", "communications_lead", "scribe")
#: What the incident list reads: the representation's own columns (the stored HTML beside its Markdown among
#: them) and the brief columns of the people in its roles (not their password hashes, preferences or time zones).
LIST_COLUMNS = (
    *(
        f
        for f in incident_serializers.IncidentSerializer.Meta.fields
        if f in {fl.name for fl in Incident._meta.concrete_fields}
    ),
    "id",
    *(f"{person}__{column}" for person in _PEOPLE for column in ("id", "email", "display_name")),
)


@extend_schema_view(
    list=extend_schema(summary="Incidents you may see, newest first"),
    retrieve=extend_schema(summary="One incident, with an ETag"),
    create=extend_schema(
        summary="Declare an incident (idempotent with an Idempotency-Key header)",
        request=incident_serializers.IncidentDeclareSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: incident_serializers.IncidentSerializer,
                   200: OpenApiResponse(incident_serializers.IncidentSerializer,
                                        description="Declared before with this Idempotency-Key."),
                   **ERRORS},  # fmt: skip
    ),
    update=extend_schema(
        summary="Edit an incident (If-Match or version guard the write)",
        request=incident_serializers.IncidentUpdateSerializer,
        responses={200: incident_serializers.IncidentSerializer, 409: OpenApiResponse(description="Stale version."),
                   412: OpenApiResponse(description="Stale If-Match."), **ERRORS},
    ),
    partial_update=extend_schema(
        summary="Edit some fields of an incident",
        request=incident_serializers.IncidentUpdateSerializer,
        responses={200: incident_serializers.IncidentSerializer, 409: OpenApiResponse(description="Stale version."),
                   412: OpenApiResponse(description="Stale If-Match."), **ERRORS},
    ),
)  # fmt: skip
class IncidentViewSet(VersionedRecordViewSet):
    """Incidents. State changes are actions that call the same services as the web forms."""

    queryset = Incident.objects.none()  # get_queryset applies the permission scope
    serializer_class = incident_serializers.IncidentSerializer
    lookup_field = "number"
    lookup_value_regex = r"\d+"
    filterset_class = IncidentFilter
    search_fields = ["title", "summary", "custom_values__text"]
    ordering_fields = ["started_at", "number", "severity", "status"]
    ordering = ["-started_at", "-id"]
    write_checks = {
        "create": actor(require_declare),
        **dict.fromkeys(
            ("update", "partial_update", "status", "severity", "resolve", "reopen", "roles"),
            on_object(require_command),
        ),
        "participants": on_object(require_manage_participants),
        "participant": on_object(require_manage_participants),
        "postmortem": on_object(require_record),
        "custom_fields": on_object(require_record),
    }

    def get_queryset(self) -> QuerySet[Incident]:
        # The selector joins the commander and prefetches services; the API also shows the other roles.
        qs = selectors.incident_list_for(self.request.user).select_related("communications_lead", "scribe")
        if self.action == "list":  # only the columns the representation shows (and the people's brief ones)
            qs = qs.only(*LIST_COLUMNS)
        return qs

    def _render(self, incident: Incident, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=incident.pk)
        data = incident_serializers.IncidentSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=code, headers={"ETag": etag_for(data)})

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = incident_serializers.IncidentDeclareSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = {"severity": "", **form.validated_data}
        key = _idempotency_key(request)
        dedup_key = f"api-declare:{request.user.pk}:{key}" if key else None
        with custom_errors_keyed():
            incident, created = declare.incident_declare_once(actor=request.user, dedup_key=dedup_key, **data)
        if not created and not can_view_incident(request.user, incident):
            raise Http404("No such incident.")
        return self._render(incident, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incident = self.get_object()
        form = incident_serializers.IncidentUpdateSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        changes = dict(form.validated_data)
        updated = self.guarded_write(
            incident,
            changes.pop("version", None),
            lambda v: edits.incident_update(
                incident=incident, actor=request.user, expected_version=v, **changes
            ),
        )
        return self._render(updated)

    @extend_schema(summary="Change status", request=incident_serializers.StatusChangeSerializer,
                   responses={200: incident_serializers.IncidentSerializer, **ERRORS})  # fmt: skip
    @action(detail=True, methods=["post"])
    def status(self, request: Request, number: int | None = None) -> Response:
        incident = self.get_object()
        form = incident_serializers.StatusChangeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        updated = lifecycle.incident_change_status(
            incident=incident, actor=request.user, **form.validated_data
        )
        return self._render(updated)

    @extend_schema(summary="Change severity", request=incident_serializers.SeverityChangeSerializer,
                   responses={200: incident_serializers.IncidentSerializer, **ERRORS})  # fmt: skip
    @action(detail=True, methods=["post"])
    def severity(self, request: Request, number: int | None = None) -> Response:
        incident = self.get_object()
        form = incident_serializers.SeverityChangeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        updated = lifecycle.incident_change_severity(
            incident=incident, actor=request.user, **form.validated_data
        )
        return self._render(updated)

    @extend_schema(summary="Resolve (already resolved: 400 on `status`, nothing changes)", request=incident_serializers.ResolveSerializer,
                   responses={200: incident_serializers.IncidentSerializer, **ERRORS})  # fmt: skip
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, number: int | None = None) -> Response:
        incident = self.get_object()
        form = incident_serializers.ResolveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        updated = lifecycle.incident_resolve(incident=incident, actor=request.user, **form.validated_data)
        return self._render(updated)

    @extend_schema(summary="Reopen with a reason", request=incident_serializers.ReopenSerializer,
                   responses={200: incident_serializers.IncidentSerializer, **ERRORS})  # fmt: skip
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, number: int | None = None) -> Response:
        incident = self.get_object()
        form = incident_serializers.ReopenSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        updated = lifecycle.incident_reopen(incident=incident, actor=request.user, **form.validated_data)
        return self._render(updated)

    @extend_schema(summary="Assign commander, communications lead, scribe (If-Match or version guard it)",
                   request=incident_serializers.RolesSerializer,
                   responses={200: incident_serializers.IncidentSerializer, **VERSIONED_ERRORS})  # fmt: skip
    @action(detail=True, methods=["post"])
    def roles(self, request: Request, number: int | None = None) -> Response:
        incident = self.get_object()
        form = incident_serializers.RolesSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        roles = dict(form.validated_data)
        updated = self.guarded_write(
            incident,
            roles.pop("version", None),
            lambda v: edits.incident_assign_roles(
                incident=incident, actor=request.user, expected_version=v, **roles
            ),
        )
        return self._render(updated)

    @extend_schema(
        summary="Set custom field values of the incident's type (keys not sent stay; If-Match or version "
        'guard it). Errors: 400 `{"custom_fields": {key: [...]}}`',
        request=incident_serializers.CustomFieldsSerializer,
        responses={200: incident_serializers.IncidentSerializer, **VERSIONED_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="custom-fields", url_name="custom-fields")
    def custom_fields(self, request: Request, number: int | None = None) -> Response:
        incident = self.get_object()
        form = incident_serializers.CustomFieldsSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with custom_errors_keyed():
            updated = self.guarded_write(
                incident,
                form.validated_data.get("version"),
                lambda v: custom_services.incident_custom_fields_set(
                    incident=incident,
                    actor=request.user,
                    values=form.validated_data["values"],
                    expected_version=v,
                ),
            )
        return self._render(updated)

    @extend_schema(
        methods=["GET"],
        summary="The incident's participants (everyone taking part), by name",
        responses={200: UserBriefSerializer(many=True), 404: ERRORS[404]},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a participant (201; 200 if they already take part). On a restricted incident this "
        "grants access: only those who may command it",
        request=incident_serializers.ParticipantSerializer,
        responses={201: UserBriefSerializer(many=True), 200: UserBriefSerializer(many=True), **ERRORS},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def participants(self, request: Request, number: int | None = None) -> Response:
        incident = self.get_object()
        code: int = status.HTTP_200_OK
        if request.method == "POST":
            form = incident_serializers.ParticipantSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            with errors_keyed(person="user"):
                added = edits.incident_participant_add(
                    incident=incident, actor=request.user, person=form.validated_data["user"]
                )
            code = status.HTTP_201_CREATED if added else status.HTTP_200_OK
        people = selectors.incident_participants(incident)
        return Response(UserBriefSerializer(people, many=True).data, status=code)

    @extend_schema(
        summary="Remove a participant (204; 404 if they are not one). Someone holding a role is refused "
        "with 400: give the role to someone else first",
        request=None,
        responses={204: None, **ERRORS},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"participants/(?P<user_id>\d+)",
        url_name="participant",
        pagination_class=None,
        filter_backends=[],
    )
    def participant(self, request: Request, number: int | None = None, user_id: str = "") -> Response:
        incident = self.get_object()
        person = User.objects.filter(pk=int(user_id)).first()
        with errors_keyed(person="user"):
            removed = person is not None and edits.incident_participant_remove(
                incident=incident, actor=request.user, person=person
            )
        if not removed:
            raise Http404("No such participant.")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        methods=["GET"],
        summary="The incident's postmortem",
        responses={200: review_serializers.PostmortemSerializer, 404: ERRORS[404]},
    )
    @extend_schema(
        methods=["POST"],
        summary="Start the postmortem (starting again returns it unchanged)",
        request=review_serializers.PostmortemStartSerializer,
        responses={200: review_serializers.PostmortemSerializer, **ERRORS},
    )
    @action(detail=True, methods=["get", "post"])
    def postmortem(self, request: Request, number: int | None = None) -> Response:
        incident = self.get_object()
        if request.method == "POST":
            form = review_serializers.PostmortemStartSerializer(data=request.data)
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
        data = review_serializers.PostmortemSerializer(postmortem, context=self.get_serializer_context()).data
        return Response(data, headers={"ETag": etag_for(data)})


# --- Directory -------------------------------------------------------------------------------------------
class TeamViewSet(ApiView, EtagRetrieveMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = incident_serializers.TeamSerializer
    lookup_field = "slug"
    filter_backends = [SearchFilter]
    search_fields = ["name"]
    queryset = Team.objects.order_by("name")


INCIDENT_PARAM = OpenApiParameter(
    "incident", int, OpenApiParameter.QUERY, required=False,
    description="Incident number: also offer the people taking part in it (when you may see it).",
)  # fmt: skip


@extend_schema_view(
    list=extend_schema(
        summary="People you may pick (members of your teams, yourself, an incident's participants; "
        "admins: everyone active), by name; `?search=` matches name or email",
        parameters=[INCIDENT_PARAM],
    )
)
class UserViewSet(ApiView, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The people picker's source: active users scoped by `users_visible_to`, paginated."""

    queryset = User.objects.none()  # get_queryset applies the permission scope
    serializer_class = UserBriefSerializer
    pagination_class = PagePagination
    filter_backends = [SearchFilter]
    search_fields = ["display_name", "email"]

    def get_queryset(self) -> QuerySet[User]:
        raw = self.request.query_params.get("incident", "").strip()
        if raw and not (raw.isascii() and raw.isdigit() and len(raw) < 10):
            raise ValidationError({"incident": ["An incident number."]})
        return selectors.people_to_pick(self.request.user, int(raw) if raw else None)


class MeView(ApiView):
    """The signed-in user (`/api/v1/users/me/`)."""

    @extend_schema(summary="Who am I", responses=incident_serializers.MeSerializer)
    def get(self, request: Request) -> Response:
        if not isinstance(request.user, User):  # the default permission already refuses anonymous callers
            raise NotAuthenticated
        user = User.objects.prefetch_related("memberships__team").get(pk=request.user.pk)
        return Response(incident_serializers.MeSerializer(user, context={"request": request}).data)


class AlertView(ApiView):
    """Alert intake: declares an incident once per `dedup_key` (201), then returns it again (200); 202
    `{"accepted": true, "incident": null}` when the key's incident is one the caller may not see."""

    write_checks = {"post": actor(require_declare)}

    @extend_schema(
        summary="Declare an incident from an alert, idempotently by dedup_key",
        request=incident_serializers.AlertSerializer,
        responses={
            201: incident_serializers.IncidentSerializer,
            200: incident_serializers.IncidentSerializer,
            202: OpenApiResponse(description="Accepted; the key's incident is not one you may see."),
            **ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        form = incident_serializers.AlertSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        incident, created = declare.incident_declare_once(
            actor=request.user, detection_method="alert", **data
        )
        if not can_view_incident(request.user, incident):
            # The key belongs to an incident the caller may not see: no duplicate is declared, and the
            # answer says nothing of it (no number, title, status), only that the alert was taken.
            return Response(
                {"accepted": True, "incident": None, "detail": "Alert accepted."},
                status=status.HTTP_202_ACCEPTED,
            )
        qs = selectors.incident_list_for(request.user).select_related("communications_lead", "scribe")
        out = incident_serializers.IncidentSerializer(
            qs.get(pk=incident.pk), context={"request": request}
        ).data
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(out, status=code, headers={"ETag": etag_for(out)})
