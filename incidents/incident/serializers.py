from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from accounts.models import ApiToken, Team, User
from incidents.api.fields import (
    MarkdownHtmlField,
    PersonField,
    ReadModelSerializer,
    StrictInputSerializer,
    TextField,
    UserBriefSerializer,
    UtcDateTimeField,
)
from incidents.incident import selectors
from incidents.incident.custom_values import custom_fields_json
from incidents.models import (
    CustomFieldKind,
    DetectionMethod,
    Incident,
    IncidentStatus,
    IncidentType,
    Service,
    ServiceTier,
    Severity,
    Visibility,
)

CUSTOM_VALUE_SCHEMA: dict[str, Any] = {
    "nullable": True,
    "description": "By `kind`: text and link a string, number a number, select a string (one of the "
    "field's options), multi_select a list of them, date `YYYY-MM-DD`, user {id, email, display_name}; "
    "null when empty.",
    "oneOf": [
        {"type": "string"},
        {"type": "number"},
        {"type": "array", "items": {"type": "string"}},
        {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "email": {"type": "string"},
                "display_name": {"type": "string"},
            },
            "required": ["id", "email", "display_name"],
        },
    ],
}


@extend_schema_field(CUSTOM_VALUE_SCHEMA)
class CustomValueField(serializers.JSONField):
    """A custom field's typed value (the schema says which JSON type each kind takes)."""


CUSTOM_FIELD_SCHEMA = inline_serializer(
    name="CustomFieldValue",
    fields={
        "key": TextField(help_text="Names the field in the API and exports (unique within the type)."),
        "label": TextField(),
        "kind": serializers.ChoiceField(choices=CustomFieldKind.choices),
        "value": CustomValueField(allow_null=True),
    },
    many=True,
)


class DeclaredAtField(UtcDateTimeField):
    """An incident's declaration time (`selectors.declared_at`: its "Incident declared" row), in UTC."""

    def get_attribute(self, instance: Incident) -> Any:
        return selectors.declared_at(instance)


class IncidentSerializer(ReadModelSerializer):
    """An incident as the API shows it. Durations are seconds, `null` when a milestone is unknown."""

    reference = TextField(read_only=True)
    summary_html = MarkdownHtmlField(source="summary")
    customer_impact_html = MarkdownHtmlField(source="customer_impact")
    services: serializers.SlugRelatedField[Service] = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )
    incident_type: serializers.SlugRelatedField[IncidentType] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="The incident type's short name."
    )
    custom_fields = serializers.SerializerMethodField(
        help_text="Every custom field of the incident's type, in order, with its value (null when empty)."
    )
    commander = UserBriefSerializer(read_only=True, allow_null=True)
    communications_lead = UserBriefSerializer(read_only=True, allow_null=True)
    scribe = UserBriefSerializer(read_only=True, allow_null=True)
    declared_at = DeclaredAtField(
        read_only=True,
        allow_null=True,
        help_text="When it was declared in Hindsight, as its “Incident declared” row says; for an incident "
        "recorded after it happened, after the milestones it records. Null for one stored without a "
        "declaration.",
    )
    time_to_detect = serializers.IntegerField(read_only=True, allow_null=True)
    time_to_acknowledge = serializers.IntegerField(read_only=True, allow_null=True)
    time_to_mitigate = serializers.IntegerField(read_only=True, allow_null=True)
    time_to_resolve = serializers.IntegerField(read_only=True, allow_null=True)
    impact_duration = serializers.IntegerField(read_only=True, allow_null=True)
    milestone_notes = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="What the milestones say out of the usual order but accepted (detected after the "
        "resolution: time to resolve is 0; mitigated before detection); empty otherwise.",
    )
    url = serializers.HyperlinkedIdentityField(view_name="api:incident-detail", lookup_field="number")

    class Meta:
        model = Incident
        fields = [
            "url", "number", "reference", "title", "summary", "summary_html", "severity", "status",
            "visibility", "incident_type", "custom_fields", "started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at",
            "declared_at", "detection_method", "customer_impact", "customer_impact_html", "services", "commander",
            "communications_lead", "scribe", "chat_channel_url", "dashboard_url", "change_url",
            "feature_flag", "time_to_detect", "time_to_acknowledge", "time_to_mitigate", "time_to_resolve",
            "impact_duration", "milestone_notes", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(CUSTOM_FIELD_SCHEMA)
    def get_custom_fields(self, obj: Incident) -> list[dict[str, Any]]:
        return custom_fields_json(obj)


CUSTOM_INPUT_HELP = (
    "Custom field key -> value, for the fields of the incident's type: text and link a string, number a "
    "number, select one option, multi_select a list of options, user a user id, date `YYYY-MM-DD`; null "
    "or empty clears. Errors come under `custom_fields`, keyed by field."
)


class IncidentDeclareSerializer(StrictInputSerializer):
    """Input of `POST /incidents/`: what `incident_declare` needs. `started_at` defaults to `declared_at`
    (now without one). Unknown fields are refused with 400 naming them."""

    title = TextField(max_length=200)
    incident_type = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=IncidentType.objects.all(),
        required=False,
        allow_null=True,
        help_text="An incident type's short name: its default severity and visibility apply when not sent.",
    )
    severity = serializers.ChoiceField(
        choices=Severity.choices, required=False, help_text="Required unless `incident_type` gives one."
    )
    started_at = UtcDateTimeField(required=False)
    detected_at = UtcDateTimeField(required=False)
    declared_at = UtcDateTimeField(
        required=False, help_text="When it was declared (default now), for an incident recorded afterwards."
    )
    detection_method = serializers.ChoiceField(choices=DetectionMethod.choices, required=False, default="")
    summary = TextField(required=False, allow_blank=True, default="")
    visibility = serializers.ChoiceField(
        choices=Visibility.choices,
        required=False,
        help_text="Default: restricted when the type is restricted by default, else internal.",
    )
    services = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Service.objects.all(), required=False
    )

    custom_fields = serializers.DictField(
        child=serializers.JSONField(allow_null=True), required=False, help_text=CUSTOM_INPUT_HELP
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("severity") and not attrs.get("incident_type"):
            raise serializers.ValidationError(
                {"severity": ["This field is required (or send an incident_type)."]}
            )
        return attrs


class IncidentUpdateSerializer(StrictInputSerializer):
    """Input of `PUT`/`PATCH /incidents/{number}/`; every field is optional (a partial update).

    `version`, when sent, must equal the stored version or the write is refused with 409. Unknown fields
    are refused with 400 naming them.
    """

    title = TextField(max_length=200, required=False)
    summary = TextField(required=False, allow_blank=True)
    customer_impact = TextField(required=False, allow_blank=True)
    detection_method = serializers.ChoiceField(
        choices=[("", "Unknown"), *DetectionMethod.choices], required=False
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    incident_type = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=IncidentType.objects.all(),
        required=False,
        allow_null=True,
        help_text="The incident type's short name (null: no type); its fields' values stay stored.",
    )
    chat_channel_url = serializers.URLField(required=False, allow_blank=True, max_length=200)
    dashboard_url = serializers.URLField(required=False, allow_blank=True, max_length=200)
    change_url = serializers.URLField(required=False, allow_blank=True, max_length=200)
    feature_flag = TextField(required=False, allow_blank=True, max_length=200)
    started_at = UtcDateTimeField(required=False)
    detected_at = UtcDateTimeField(required=False, allow_null=True)
    acknowledged_at = UtcDateTimeField(required=False, allow_null=True)
    mitigated_at = UtcDateTimeField(required=False, allow_null=True)
    resolved_at = UtcDateTimeField(required=False, allow_null=True)
    version = serializers.IntegerField(required=False, min_value=1)


class CustomFieldsSerializer(StrictInputSerializer):
    """Input of `POST /incidents/{number}/custom-fields/`: the values to set (keys not sent stay), guarded
    by `version` (or `If-Match`) like every edit."""

    values = serializers.DictField(child=serializers.JSONField(allow_null=True), help_text=CUSTOM_INPUT_HELP)
    version = serializers.IntegerField(required=False, min_value=1)


class StatusChangeSerializer(StrictInputSerializer):
    """Input of `POST /incidents/{number}/status/`. The time of the change is `at`; unknown fields
    (`when`) are refused with 400 naming them."""

    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    at = UtcDateTimeField(required=False)


class SeverityChangeSerializer(StrictInputSerializer):
    """Input of `POST /incidents/{number}/severity/`; unknown fields are refused with 400 naming them."""

    severity = serializers.ChoiceField(choices=Severity.choices)
    reason = TextField(required=False, allow_blank=True, default="", max_length=1000)
    at = UtcDateTimeField(required=False, help_text="When it changed (default now).")


class ResolveSerializer(StrictInputSerializer):
    """Input of `POST /incidents/{number}/resolve/`. The resolution time is `at` (default now); unknown
    fields (`when`) are refused with 400 naming them."""

    at = UtcDateTimeField(required=False, help_text="When it was resolved (default now).")
    note = TextField(required=False, allow_blank=True, default="", max_length=2000)


class ReopenSerializer(StrictInputSerializer):
    """Input of `POST /incidents/{number}/reopen/`; unknown fields are refused with 400 naming them."""

    reason = TextField(max_length=2000)
    at = UtcDateTimeField(required=False, help_text="When it was reopened (default now).")


class RolesSerializer(StrictInputSerializer):
    """Per-incident roles by user id (only people who may record on the incident take one); `null` clears
    the communications lead or the scribe (the commander is handed over, never cleared), an omitted key
    leaves it unchanged; an unknown key is refused with 400 naming it. `version` (or `If-Match`) guards the
    change like every edit: stale → 409 (412)."""

    commander = PersonField(required=False, allow_null=True, help_text="Hand over command (null: 400).")
    communications_lead = PersonField(required=False, allow_null=True)
    scribe = PersonField(required=False, allow_null=True)
    version = serializers.IntegerField(required=False, min_value=1)


class ParticipantSerializer(StrictInputSerializer):
    """`{"user": id}`: the person to add as a participant (an active user)."""

    user = PersonField()


class DashboardLinkSerializer(serializers.Serializer):
    """One dashboard of a service: `label` and `url` (http or https)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # Declared here rather than as class attributes: `label` is every field's own attribute too.
        return {
            "label": TextField(
                max_length=100, allow_blank=True, help_text="Its name; blank: the URL's host."
            ),
            "url": TextField(max_length=500, help_text="An http:// or https:// address."),
        }


class ServiceSerializer(ReadModelSerializer):
    team: serializers.SlugRelatedField[Team] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
    description_html = MarkdownHtmlField(source="description")
    tier = serializers.ChoiceField(
        choices=ServiceTier.choices,
        read_only=True,
        allow_null=True,
        help_text="1 (customer-facing critical) to 4 (internal, best effort); null: not tiered.",
    )
    tier_label = serializers.SerializerMethodField(
        help_text='"Tier 1: customer-facing critical"; "" if none.'
    )
    runbook_url = serializers.SerializerMethodField(help_text='The runbook\'s http(s) address; "" if none.')
    dashboards = serializers.SerializerMethodField()
    depends_on: serializers.SlugRelatedField[Service] = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True, help_text="Slugs of the services this one depends on."
    )
    depended_on_by: serializers.SlugRelatedField[Service] = serializers.SlugRelatedField(
        source="dependents",
        slug_field="slug",
        many=True,
        read_only=True,
        help_text="Slugs of the services depending on this one.",
    )

    class Meta:
        model = Service
        fields = [
            "id", "name", "slug", "description", "description_html", "team", "tier", "tier_label",
            "runbook_url", "dashboards", "depends_on", "depended_on_by",
        ]  # fmt: skip
        read_only_fields = fields

    def get_tier_label(self, service: Service) -> str:
        return service.get_tier_display() if service.tier else ""

    def get_runbook_url(self, service: Service) -> str:
        return service.runbook_link

    @extend_schema_field(DashboardLinkSerializer(many=True))
    def get_dashboards(self, service: Service) -> list[dict[str, str]]:
        return [{"label": d.label, "url": d.url} for d in service.dashboard_links]


class ServiceWriteSerializer(StrictInputSerializer):
    """A service to add (POST: `name` required) or the fields to change (PATCH: those not sent stay).
    URLs must be http(s); a service cannot depend on itself (400 `depends_on`)."""

    name = TextField(max_length=100)
    slug = serializers.SlugField(
        max_length=100, required=False, allow_blank=True, help_text="Default: from the name."
    )
    description = TextField(required=False, allow_blank=True)
    team: serializers.SlugRelatedField[Team] = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        help_text="The owner team's slug (one you lead; null: no team, admins only).",
    )
    tier = serializers.ChoiceField(choices=ServiceTier.choices, required=False, allow_null=True)
    runbook_url = TextField(max_length=500, required=False, allow_blank=True, help_text="An http(s) address.")
    dashboards = DashboardLinkSerializer(many=True, required=False)
    depends_on: serializers.SlugRelatedField[Service] = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Service.objects.all(),
        many=True,
        required=False,
        help_text="Slugs of the services it depends on (replaces the list).",
    )


class TeamSerializer(ReadModelSerializer):
    description_html = MarkdownHtmlField(source="description")

    class Meta:
        model = Team
        fields = ["id", "name", "slug", "description", "description_html"]
        read_only_fields = fields


class MembershipBriefSerializer(serializers.Serializer):
    team = TextField(source="team.slug")
    role = TextField()


class TokenBriefSerializer(ReadModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["name", "key_prefix", "read_only", "created_at", "last_used_at"]
        read_only_fields = fields


class MeSerializer(ReadModelSerializer):
    """The signed-in user, their team roles and (with token auth) the token in use."""

    memberships = MembershipBriefSerializer(many=True, read_only=True)
    is_admin = serializers.SerializerMethodField()
    token = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "display_name", "time_zone", "is_admin", "memberships", "token"]
        read_only_fields = fields

    def get_is_admin(self, obj: User) -> bool:
        return bool(obj.is_staff or obj.is_superuser)

    @extend_schema_field(TokenBriefSerializer(allow_null=True))
    def get_token(self, obj: User) -> dict[str, Any] | None:
        request = self.context.get("request")
        token = getattr(request, "auth", None)
        return TokenBriefSerializer(token).data if isinstance(token, ApiToken) else None


class AlertSerializer(serializers.Serializer):
    """An alert from monitoring. The same `dedup_key` twice gives one incident."""

    dedup_key = TextField(max_length=200)
    title = TextField(max_length=200)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.SEV3)
    summary = TextField(required=False, allow_blank=True, default="", max_length=20000)
    services = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Service.objects.all(), required=False
    )
    started_at = UtcDateTimeField(required=False)
