from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Team
from incidents.api.fields import (
    MarkdownHtmlField,
    PersonField,
    ReadModelSerializer,
    StrictInputSerializer,
    TeamField,
    TextField,
    UserBriefSerializer,
)
from incidents.models import (
    ActionItem,
    ActionItemStatus,
    ActionItemType,
    FindingArea,
    FindingStatus,
    Incident,
    PolicyFinding,
    Priority,
    Risk,
)
from incidents.permissions.followup import action_item_finding_shown
from incidents.permissions.incident import can_view_incident


def _viewer(serializer: serializers.BaseSerializer[Any]) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class ActionItemSerializer(ReadModelSerializer):
    incident: serializers.SlugRelatedField[Incident] = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True
    )
    owner = UserBriefSerializer(read_only=True, allow_null=True)
    team: serializers.SlugRelatedField[Team] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    description_html = MarkdownHtmlField(source="description")
    is_overdue = serializers.BooleanField(read_only=True)

    def to_representation(self, instance: ActionItem) -> dict[str, Any]:
        """The owner of an item on an incident they may not see gets no incident number and no factor, and of
        an item from a finding they may not see no finding id (`incident_visible` and `finding_visible` as
        annotated by the scope, else asked of permissions; no request: hidden)."""
        data: dict[str, Any] = super().to_representation(instance)
        incident = instance.incident if instance.incident_id is not None else None
        if incident is not None:
            shown = getattr(instance, "incident_visible", None)
            if shown is None:
                viewer = _viewer(self)
                shown = viewer is not None and can_view_incident(viewer, incident)
            if not shown:
                data["incident"] = None
                data["factor"] = None
        if instance.finding_id is not None:
            finding_shown = getattr(instance, "finding_visible", None)
            if finding_shown is None:
                viewer = _viewer(self)
                finding_shown = viewer is not None and action_item_finding_shown(viewer, instance)
            if not finding_shown:
                data["finding"] = None
        return data

    class Meta:
        model = ActionItem
        fields = [
            "id", "incident", "factor", "finding", "title", "description", "description_html", "owner",
            "team", "due_date", "priority", "type", "status", "is_overdue", "completion_note",
            "wont_do_reason", "blocked_on", "tracker_url", "success_criteria", "recheck_date",
            "recheck_outcome", "version", "created_at", "updated_at", "completed_at",
        ]  # fmt: skip
        read_only_fields = fields


class PolicyFindingSerializer(ReadModelSerializer):
    owner = UserBriefSerializer(read_only=True, allow_null=True)
    verifier = UserBriefSerializer(read_only=True, allow_null=True)
    incidents = serializers.SerializerMethodField(
        help_text="Numbers of the incidents it was seen in, of those you may see."
    )
    verified_by = UserBriefSerializer(read_only=True, allow_null=True)
    risk_accepted_by = UserBriefSerializer(read_only=True, allow_null=True)
    team: serializers.SlugRelatedField[Team] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    description_html = MarkdownHtmlField(source="description")
    evidence_html = MarkdownHtmlField(source="evidence")
    status = serializers.ChoiceField(
        source="effective_status",
        choices=FindingStatus.choices,
        read_only=True,
        help_text="Judged now: a risk acceptance past `risk_accepted_until` (the owner's date) reads `open`.",
    )
    risk_acceptance_ended = serializers.BooleanField(read_only=True)

    class Meta:
        model = PolicyFinding
        fields = [
            "id", "area", "title", "description", "description_html", "risk", "owner", "verifier", "team",
            "due_date", "status", "incidents", "evidence", "evidence_html", "verified_by", "verified_at", "verification_evidence",
            "risk_accepted_by", "risk_accepted_until", "risk_acceptance_reason", "closed_at", "version",
            "risk_acceptance_ended", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_incidents(self, obj: PolicyFinding) -> list[int]:
        """Only incidents the caller may see: "seen in INC-n" of a hidden incident is left out."""
        viewer = _viewer(self)
        if viewer is None:
            return []
        return [i.number for i in obj.incidents.all() if can_view_incident(viewer, i)]


class ActionItemWriteSerializer(StrictInputSerializer):
    """Input of `POST /action-items/` and `PUT`/`PATCH /action-items/{id}/` (partial on update).

    `incident` is an incident number; `owner` a user id; `team` a team id or slug (`TeamField`). On update, `incident`,
    `factor` and `finding` cannot change, and a `version` older than the stored one is refused with 409.
    Unknown fields (`status`: it changes through `status/`) are refused with 400 naming each.
    """

    title = TextField(max_length=200)
    incident = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    factor = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    finding = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    description = TextField(required=False, allow_blank=True, max_length=20000)
    owner = PersonField(required=False, allow_null=True)
    team = TeamField(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    type = serializers.ChoiceField(choices=ActionItemType.choices, required=False)
    tracker_url = serializers.URLField(required=False, allow_blank=True, max_length=200)
    success_criteria = TextField(required=False, allow_blank=True, max_length=5000)
    recheck_date = serializers.DateField(required=False, allow_null=True)
    version = serializers.IntegerField(required=False, min_value=1)


class ActionItemCreateSerializer(ActionItemWriteSerializer):
    """Input of `POST /action-items/`: as `ActionItemWriteSerializer`, without `version` (a new item is
    version 1), so a `version` or `status` sent is refused with 400 instead of dropped in silence."""

    version = None  # type: ignore[assignment]


class ActionItemStatusSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(choices=ActionItemStatus.choices)
    note = TextField(
        required=False, allow_blank=True, default="", max_length=5000,
        help_text="Completion note (done), reason (won't do, reopen) or what it waits on (blocked).",
    )  # fmt: skip
    version = serializers.IntegerField(required=False, min_value=1)


class ConfirmEffectSerializer(StrictInputSerializer):
    worked = serializers.BooleanField()
    note = TextField(required=False, allow_blank=True, default="", max_length=5000)
    version = serializers.IntegerField(required=False, min_value=1)


class PolicyFindingWriteSerializer(StrictInputSerializer):
    """Input of `POST /policy-findings/` and `PUT`/`PATCH /policy-findings/{id}/` (partial on update)."""

    area = serializers.ChoiceField(choices=FindingArea.choices)
    title = TextField(max_length=200)
    description = TextField(required=False, allow_blank=True, max_length=20000)
    risk = serializers.ChoiceField(choices=Risk.choices, required=False)
    owner = PersonField(required=False, allow_null=True)
    verifier = PersonField(required=False, allow_null=True)
    team = TeamField(required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    incidents = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, help_text="Incident numbers (on create)."
    )
    version = serializers.IntegerField(required=False, min_value=1)


class PolicyFindingCreateSerializer(PolicyFindingWriteSerializer):
    """Input of `POST /policy-findings/`: without `version`; unknown fields are refused with 400."""

    version = None  # type: ignore[assignment]


class FindingTransitionSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(
        choices=[c for c in FindingStatus.choices if c[0] not in ("verified", "risk_accepted")]
    )
    note = TextField(required=False, allow_blank=True, default="", max_length=5000)
    close_with_open_items = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Confirm closing while remediation items are open (else 400).",
    )
    version = serializers.IntegerField(required=False, min_value=1)


class FindingVerifySerializer(StrictInputSerializer):
    evidence = TextField(max_length=5000)
    version = serializers.IntegerField(required=False, min_value=1)


class FindingAcceptRiskSerializer(StrictInputSerializer):
    until = serializers.DateField()
    reason = TextField(max_length=5000)
    version = serializers.IntegerField(required=False, min_value=1)
