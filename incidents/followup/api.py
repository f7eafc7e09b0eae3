from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django_filters import rest_framework as filters
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.base import (
    ByIncidentFilter,
    IncidentNumberFilter,
    QueryDateFilter,
    VersionedRecordViewSet,
    _schema,
    record_schemas,
)
from incidents.api.checks import actor, body_action_item_create, on_object
from incidents.followup import serializers as s
from incidents.followup.services import findings as services_findings
from incidents.followup.services import items as services_items
from incidents.models import (
    ActionItem,
    ContributingFactor,
    FindingStatus,
    PolicyFinding,
    status_now,
)
from incidents.permissions.checks import (
    require_accept_finding_risk,
    require_create_finding,
    require_edit_action_item,
    require_edit_finding,
    require_move_finding,
    require_verify_finding,
)
from incidents.permissions.followup import (
    action_items_visible_to,
    action_items_with_incident_visibility,
    finding_incidents_shown_to,
    findings_visible_to,
)
from incidents.permissions.incident import incidents_visible_to


class ActionItemFilter(ByIncidentFilter):
    # Only incidents the caller may see: an owner cannot learn their item's hidden incident by trying numbers.
    owner = filters.NumberFilter(field_name="owner_id")
    due_before = QueryDateFilter(field_name="due_date", lookup_expr="lt")

    class Meta:
        model = ActionItem
        fields = ["incident", "status", "priority", "type", "owner", "due_before"]


@record_schemas(
    "an action item",
    s.ActionItemWriteSerializer,
    s.ActionItemSerializer,
    create="Create",
    create_write=s.ActionItemCreateSerializer,
)
class ActionItemViewSet(VersionedRecordViewSet):
    """Action items; writes call `incidents.followup.services`."""

    queryset = ActionItem.objects.none()  # get_queryset applies the permission scope
    serializer_class = s.ActionItemSerializer
    filterset_class = ActionItemFilter
    search_fields = ["title", "description"]
    ordering_fields = ["due_date", "priority", "created_at"]
    write_checks = {
        "create": body_action_item_create,
        **dict.fromkeys(
            ("update", "partial_update", "status", "confirm_effect"), on_object(require_edit_action_item)
        ),
    }

    def get_queryset(self) -> QuerySet[ActionItem]:
        user = self.request.user
        return action_items_with_incident_visibility(
            user, action_items_visible_to(user).select_related("incident", "owner", "team")
        ).order_by("due_date", "id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = s.ActionItemCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
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
        item = services_items.action_item_create(actor=user, **data)
        return self.render(item, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.versioned_update(
            s.ActionItemWriteSerializer,
            lambda item, v, changes: services_items.action_item_update(
                item=item, actor=request.user, expected_version=v, **changes
            ),
            fixed={k: "This cannot change after creation." for k in ("incident", "factor", "finding")},
        )

    @_schema(
        "Change status (done needs a note, won't do a reason)",
        s.ActionItemStatusSerializer,
        s.ActionItemSerializer,
    )
    @action(detail=True, methods=["post"])
    def status(self, request: Request, pk: str | None = None) -> Response:
        return self.versioned_action(
            s.ActionItemStatusSerializer,
            lambda item, v, d: services_items.action_item_change_status(
                item=item, actor=request.user, expected_version=v, **d
            ),
        )

    @_schema('Answer "did it work?" for a done item', s.ConfirmEffectSerializer, s.ActionItemSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-effect")
    def confirm_effect(self, request: Request, pk: str | None = None) -> Response:
        return self.versioned_action(
            s.ConfirmEffectSerializer,
            lambda item, v, d: services_items.action_item_confirm_effect(
                item=item, actor=request.user, expected_version=v, **d
            ),
        )


class PolicyFindingFilter(filters.FilterSet):
    incident = IncidentNumberFilter(field_name="incidents", distinct=True)
    # Judged now: a risk acceptance past its end date is `open` (the queryset's `status_now`).
    status = filters.ChoiceFilter(choices=FindingStatus.choices, field_name="status_now")

    class Meta:
        model = PolicyFinding
        fields = ["incident", "status", "area", "risk"]


@record_schemas(
    "a policy finding",
    s.PolicyFindingWriteSerializer,
    s.PolicyFindingSerializer,
    create="Open",
    create_write=s.PolicyFindingCreateSerializer,
)
class PolicyFindingViewSet(VersionedRecordViewSet):
    """Policy findings; writes call `incidents.followup.services` (verification by someone else)."""

    queryset = PolicyFinding.objects.none()  # get_queryset applies the permission scope
    serializer_class = s.PolicyFindingSerializer
    filterset_class = PolicyFindingFilter
    search_fields = ["title", "description"]
    ordering_fields = ["created_at", "due_date", "risk"]
    write_checks = {
        "create": actor(require_create_finding),
        **dict.fromkeys(("update", "partial_update"), on_object(require_edit_finding)),
        "transition": on_object(require_move_finding),
        "verify": on_object(require_verify_finding),
        "accept_risk": on_object(require_accept_finding_risk),
    }

    def get_queryset(self) -> QuerySet[PolicyFinding]:
        return (
            findings_visible_to(self.request.user)
            .annotate(status_now=status_now())
            .select_related("owner", "verifier", "verified_by", "risk_accepted_by", "team")
            .prefetch_related(Prefetch("incidents", queryset=finding_incidents_shown_to(self.request.user)))
            .order_by("-created_at", "-id")
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = s.PolicyFindingCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        numbers = set(data.pop("incidents", []))
        incidents = list(incidents_visible_to(request.user).filter(number__in=numbers))
        if len(incidents) != len(numbers):
            raise DjangoValidationError({"incidents": "No such incident, or you cannot see it."})
        finding = services_findings.policy_finding_create(actor=request.user, incidents=incidents, **data)
        return self.render(finding, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.versioned_update(
            s.PolicyFindingWriteSerializer,
            lambda finding, v, changes: services_findings.policy_finding_update(
                finding=finding, actor=request.user, expected_version=v, **changes
            ),
            fixed={"incidents": "Link incidents from the incident's review instead."},
        )

    @_schema(
        "Move along the lifecycle (remediated needs evidence in note)",
        s.FindingTransitionSerializer,
        s.PolicyFindingSerializer,
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        return self.versioned_action(
            s.FindingTransitionSerializer,
            lambda f, v, d: services_findings.policy_finding_transition(
                finding=f, actor=request.user, expected_version=v, **d
            ),
        )

    @_schema(
        "Verify a remediated finding (not by its owner)", s.FindingVerifySerializer, s.PolicyFindingSerializer
    )
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        return self.versioned_action(
            s.FindingVerifySerializer,
            lambda f, v, d: services_findings.policy_finding_verify(
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
        return self.versioned_action(
            s.FindingAcceptRiskSerializer,
            lambda f, v, d: services_findings.policy_finding_accept_risk(
                finding=f, actor=request.user, expected_version=v, **d
            ),
        )
