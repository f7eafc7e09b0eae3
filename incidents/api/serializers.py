"""API representations. Markdown fields come with a `*_html` twin rendered by `render_markdown`.

Read serializers never touch the database beyond what the view's queryset joined in, so list
endpoints stay flat in queries. Write serializers only parse input: the views hand it to a service.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import ApiToken, Team, User
from incidents.markdown import render_markdown
from incidents.models import (
    POSTMORTEM_SECTIONS,
    ActionItem,
    ActionItemStatus,
    ActionItemType,
    ChangeEvent,
    ContributingFactor,
    DetectionMethod,
    EntryKind,
    EvidenceMarker,
    FactorCategory,
    FindingArea,
    FindingStatus,
    Incident,
    IncidentStatus,
    PolicyFinding,
    Postmortem,
    PostmortemReview,
    Priority,
    Risk,
    Service,
    Severity,
    TestType,
    TimelineEntry,
    Visibility,
    WebhookDelivery,
    WebhookEndpoint,
)


class MarkdownHtmlField(serializers.ReadOnlyField):
    """The sanitised HTML of the Markdown in `source`, rendered by `incidents.markdown.render_markdown`."""

    def to_representation(self, value: Any) -> str:
        return str(render_markdown(value))


extend_schema_field(OpenApiTypes.STR)(MarkdownHtmlField)


class ReadModelSerializer(serializers.ModelSerializer):
    """A read-only representation whose schema admits what blank model fields really hold.

    DRF drops `allow_blank` from read-only fields, so a blank choice or URL would break the documented
    schema (an enum without "", a `uri` format); here blank stays allowed and URLs are plain strings.
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.URLField: serializers.CharField,
    }

    def include_extra_kwargs(self, kwargs: dict[str, Any], extra_kwargs: dict[str, Any]) -> dict[str, Any]:
        blank = kwargs.get("allow_blank")
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if blank:
            kwargs["allow_blank"] = True
        return kwargs


class UserBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "display_name"]
        read_only_fields = fields


class IncidentSerializer(ReadModelSerializer):
    """An incident as the API shows it. Durations are seconds, `null` when a milestone is unknown."""

    reference = serializers.CharField(read_only=True)
    summary_html = MarkdownHtmlField(source="summary")
    customer_impact_html = MarkdownHtmlField(source="customer_impact")
    services = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    commander = UserBriefSerializer(read_only=True, allow_null=True)
    communications_lead = UserBriefSerializer(read_only=True, allow_null=True)
    scribe = UserBriefSerializer(read_only=True, allow_null=True)
    time_to_detect = serializers.IntegerField(read_only=True, allow_null=True)
    time_to_acknowledge = serializers.IntegerField(read_only=True, allow_null=True)
    time_to_mitigate = serializers.IntegerField(read_only=True, allow_null=True)
    time_to_resolve = serializers.IntegerField(read_only=True, allow_null=True)
    impact_duration = serializers.IntegerField(read_only=True, allow_null=True)
    url = serializers.HyperlinkedIdentityField(view_name="api:incident-detail", lookup_field="number")

    class Meta:
        model = Incident
        fields = [
            "url", "number", "reference", "title", "summary", "summary_html", "severity", "status",
            "visibility", "started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at",
            "detection_method", "customer_impact", "customer_impact_html", "services", "commander",
            "communications_lead", "scribe", "chat_channel_url", "dashboard_url", "change_url",
            "feature_flag", "time_to_detect", "time_to_acknowledge", "time_to_mitigate", "time_to_resolve",
            "impact_duration", "version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class IncidentDeclareSerializer(serializers.Serializer):
    """Input of `POST /incidents/`: what `incident_declare` needs. `started_at` defaults to now."""

    title = serializers.CharField(max_length=200)
    severity = serializers.ChoiceField(choices=Severity.choices)
    started_at = serializers.DateTimeField(required=False)
    detected_at = serializers.DateTimeField(required=False)
    detection_method = serializers.ChoiceField(choices=DetectionMethod.choices, required=False, default="")
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.INTERNAL)
    services = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Service.objects.all(), required=False
    )


class IncidentUpdateSerializer(serializers.Serializer):
    """Input of `PUT`/`PATCH /incidents/{number}/`; every field is optional (a partial update).

    `version`, when sent, must equal the stored version or the write is refused with 409.
    """

    title = serializers.CharField(max_length=200, required=False)
    summary = serializers.CharField(required=False, allow_blank=True)
    customer_impact = serializers.CharField(required=False, allow_blank=True)
    detection_method = serializers.ChoiceField(
        choices=[("", "Unknown"), *DetectionMethod.choices], required=False
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    chat_channel_url = serializers.URLField(required=False, allow_blank=True, max_length=200)
    dashboard_url = serializers.URLField(required=False, allow_blank=True, max_length=200)
    change_url = serializers.URLField(required=False, allow_blank=True, max_length=200)
    feature_flag = serializers.CharField(required=False, allow_blank=True, max_length=200)
    started_at = serializers.DateTimeField(required=False)
    detected_at = serializers.DateTimeField(required=False, allow_null=True)
    acknowledged_at = serializers.DateTimeField(required=False, allow_null=True)
    mitigated_at = serializers.DateTimeField(required=False, allow_null=True)
    resolved_at = serializers.DateTimeField(required=False, allow_null=True)
    version = serializers.IntegerField(required=False, min_value=1)


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    at = serializers.DateTimeField(required=False)


class SeverityChangeSerializer(serializers.Serializer):
    severity = serializers.ChoiceField(choices=Severity.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class ResolveSerializer(serializers.Serializer):
    at = serializers.DateTimeField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class RolesSerializer(serializers.Serializer):
    """Per-incident roles by user id; `null` clears a role, an omitted key leaves it unchanged."""

    commander = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    communications_lead = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    scribe = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )


class TimelineEntrySerializer(ReadModelSerializer):
    """A timeline entry. `body_html` is the cached sanitised rendering; `removed` entries appear only
    in `since` feeds, so live clients can drop them."""

    incident = serializers.SlugRelatedField(slug_field="number", read_only=True)
    author = UserBriefSerializer(read_only=True, allow_null=True)
    display_author = serializers.CharField(read_only=True)
    knew_then_html = MarkdownHtmlField(source="knew_then")
    removed = serializers.SerializerMethodField()

    class Meta:
        model = TimelineEntry
        fields = [
            "id", "incident", "occurred_at", "recorded_at", "updated_at", "author", "author_name",
            "display_author", "kind", "body", "body_html", "source", "evidence", "knew_then",
            "knew_then_html", "is_key_moment", "removed",
        ]  # fmt: skip
        read_only_fields = fields

    def get_removed(self, obj: TimelineEntry) -> bool:
        return obj.removed_at is not None


class TimelineEntryCreateSerializer(serializers.Serializer):
    """Input of `POST /timeline-entries/`. `occurred_at` defaults to now; `author_name` labels a bot."""

    incident = serializers.IntegerField(min_value=1, help_text="The incident number (42 for INC-42).")
    body = serializers.CharField(max_length=20000)
    kind = serializers.ChoiceField(choices=EntryKind.choices, default=EntryKind.NOTE)
    occurred_at = serializers.DateTimeField(required=False)
    evidence = serializers.ChoiceField(
        choices=[("", "None"), *EvidenceMarker.choices], required=False, default=""
    )
    knew_then = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    is_key_moment = serializers.BooleanField(required=False, default=False)
    author_name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=150,
        help_text="Shown as the author, e.g. the chat user a bot relays for.",
    )  # fmt: skip


class ServiceSerializer(ReadModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    description_html = MarkdownHtmlField(source="description")

    class Meta:
        model = Service
        fields = ["id", "name", "slug", "description", "description_html", "team"]
        read_only_fields = fields


class TeamSerializer(ReadModelSerializer):
    description_html = MarkdownHtmlField(source="description")

    class Meta:
        model = Team
        fields = ["id", "name", "slug", "description", "description_html"]
        read_only_fields = fields


class MembershipBriefSerializer(serializers.Serializer):
    team = serializers.CharField(source="team.slug")
    role = serializers.CharField()


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


class ContributingFactorSerializer(ReadModelSerializer):
    incident = serializers.SlugRelatedField(slug_field="number", read_only=True)
    description_html = MarkdownHtmlField(source="description")
    evidence_entries = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = ContributingFactor
        fields = [
            "id", "incident", "category", "title", "description", "description_html", "missing_test_types",
            "evidence_entries", "recurrence_of", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class PostmortemReviewSerializer(ReadModelSerializer):
    reviewer = UserBriefSerializer(read_only=True)

    class Meta:
        model = PostmortemReview
        fields = ["id", "reviewer", "decision", "comment", "version_reviewed", "requested_at", "decided_at"]
        read_only_fields = fields


class PostmortemSerializer(ReadModelSerializer):
    """The postmortem; `sections` maps section keys to Markdown, `sections_html` to sanitised HTML."""

    incident = serializers.SlugRelatedField(slug_field="number", read_only=True)
    reviews = serializers.SerializerMethodField()
    sections_html = serializers.SerializerMethodField()
    section_titles = serializers.SerializerMethodField()

    class Meta:
        model = Postmortem
        fields = [
            "id", "incident", "status", "version", "sections", "sections_html", "section_titles", "reviews",
            "unnoticed_seconds", "should_have_caught", "behind_feature_flag", "flag_off_seconds",
            "staging_matched", "staging_notes", "single_person_change", "meeting_at", "meeting_notes",
            "created_at", "updated_at", "published_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_sections_html(self, obj: Postmortem) -> dict[str, str]:
        sections = obj.sections if isinstance(obj.sections, dict) else {}
        return {k: str(render_markdown(v if isinstance(v, str) else "")) for k, v in sections.items()}

    def get_section_titles(self, obj: Postmortem) -> dict[str, str]:
        return dict(POSTMORTEM_SECTIONS)

    @extend_schema_field(PostmortemReviewSerializer(many=True))
    def get_reviews(self, obj: Postmortem) -> list[dict[str, Any]]:
        return PostmortemReviewSerializer(obj.reviews.all(), many=True).data  # prefetched by the views


class ActionItemSerializer(ReadModelSerializer):
    incident = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)
    owner = UserBriefSerializer(read_only=True, allow_null=True)
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    description_html = MarkdownHtmlField(source="description")
    is_overdue = serializers.BooleanField(read_only=True)

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
    incidents = serializers.SlugRelatedField(slug_field="number", many=True, read_only=True)
    verified_by = UserBriefSerializer(read_only=True, allow_null=True)
    risk_accepted_by = UserBriefSerializer(read_only=True, allow_null=True)
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    description_html = MarkdownHtmlField(source="description")
    evidence_html = MarkdownHtmlField(source="evidence")

    class Meta:
        model = PolicyFinding
        fields = [
            "id", "area", "title", "description", "description_html", "risk", "owner", "verifier", "team",
            "due_date", "status", "incidents", "evidence", "evidence_html", "verified_by", "verified_at", "verification_evidence",
            "risk_accepted_by", "risk_accepted_until", "risk_acceptance_reason", "closed_at", "version",
            "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class ChangeEventSerializer(ReadModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = ChangeEvent
        fields = [
            "id", "service", "summary", "commit_range", "diff_url", "feature_flag", "author",
            "occurred_at", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class ChangeEventCreateSerializer(serializers.Serializer):
    """A deploy or change from CI: at least one of `commit_range`, `diff_url`, `feature_flag`."""

    service = serializers.SlugRelatedField(slug_field="slug", queryset=Service.objects.all())
    summary = serializers.CharField(max_length=255)
    commit_range = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    diff_url = serializers.URLField(required=False, allow_blank=True, default="", max_length=200)
    feature_flag = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    author = serializers.CharField(required=False, allow_blank=True, default="", max_length=150)
    occurred_at = serializers.DateTimeField(required=False)


class ChangeEventResultSerializer(serializers.Serializer):
    change = ChangeEventSerializer()
    incidents = serializers.ListField(child=serializers.IntegerField(), help_text="Incident numbers.")


class AlertSerializer(serializers.Serializer):
    """An alert from monitoring. The same `dedup_key` twice gives one incident."""

    dedup_key = serializers.CharField(max_length=200)
    title = serializers.CharField(max_length=200)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.SEV3)
    summary = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    services = serializers.SlugRelatedField(
        slug_field="slug", many=True, queryset=Service.objects.all(), required=False
    )
    started_at = serializers.DateTimeField(required=False)


WEBHOOK_EVENTS = [
    ("incident.declared", "Incident declared"),
    ("incident.status_changed", "Incident status changed"),
    ("postmortem.published", "Postmortem published"),
    ("action_item.overdue", "Action item overdue"),
    ("finding.reopened", "Policy finding reopened"),
]


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """An outbound webhook. `secret` is generated when omitted and is the HMAC key for signatures."""

    events = serializers.ListField(child=serializers.ChoiceField(choices=WEBHOOK_EVENTS), allow_empty=False)
    secret = serializers.CharField(required=False, min_length=16, max_length=100)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "secret", "is_active", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_url(self, value: str) -> str:
        from incidents.api.webhooks import webhook_target_refusal

        refusal = webhook_target_refusal(value, resolve=False)
        if refusal:
            raise serializers.ValidationError(refusal)
        return value


class WebhookDeliverySerializer(ReadModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "endpoint", "event", "event_id", "payload", "status", "response_code", "attempts",
            "last_error", "created_at", "delivered_at",
        ]  # fmt: skip
        read_only_fields = fields


_users = User.objects.filter(is_active=True)
_teams = Team.objects.all()


class ActionItemWriteSerializer(serializers.Serializer):
    """Input of `POST /action-items/` and `PUT`/`PATCH /action-items/{id}/` (partial on update).

    `incident` is an incident number; `owner` a user id; `team` a team slug. On update, `incident`,
    `factor` and `finding` cannot change, and a `version` older than the stored one is refused with 409.
    """

    title = serializers.CharField(max_length=200)
    incident = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    factor = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    finding = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    owner = serializers.PrimaryKeyRelatedField(queryset=_users, required=False, allow_null=True)
    team = serializers.SlugRelatedField(slug_field="slug", queryset=_teams, required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    type = serializers.ChoiceField(choices=ActionItemType.choices, required=False)
    tracker_url = serializers.URLField(required=False, allow_blank=True, max_length=200)
    success_criteria = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    recheck_date = serializers.DateField(required=False, allow_null=True)
    version = serializers.IntegerField(required=False, min_value=1)


class ActionItemStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ActionItemStatus.choices)
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=5000,
        help_text="Completion note (done), reason (won't do, reopen) or what it waits on (blocked).",
    )  # fmt: skip
    version = serializers.IntegerField(required=False, min_value=1)


class ConfirmEffectSerializer(serializers.Serializer):
    worked = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    version = serializers.IntegerField(required=False, min_value=1)


class PolicyFindingWriteSerializer(serializers.Serializer):
    """Input of `POST /policy-findings/` and `PUT`/`PATCH /policy-findings/{id}/` (partial on update)."""

    area = serializers.ChoiceField(choices=FindingArea.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    risk = serializers.ChoiceField(choices=Risk.choices, required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=_users, required=False, allow_null=True)
    verifier = serializers.PrimaryKeyRelatedField(queryset=_users, required=False, allow_null=True)
    team = serializers.SlugRelatedField(slug_field="slug", queryset=_teams, required=False, allow_null=True)
    due_date = serializers.DateField(required=False, allow_null=True)
    incidents = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, help_text="Incident numbers (on create)."
    )
    version = serializers.IntegerField(required=False, min_value=1)


class FindingTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[c for c in FindingStatus.choices if c[0] not in ("verified", "risk_accepted")]
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    version = serializers.IntegerField(required=False, min_value=1)


class FindingVerifySerializer(serializers.Serializer):
    evidence = serializers.CharField(max_length=5000)
    version = serializers.IntegerField(required=False, min_value=1)


class FindingAcceptRiskSerializer(serializers.Serializer):
    until = serializers.DateField()
    reason = serializers.CharField(max_length=5000)
    version = serializers.IntegerField(required=False, min_value=1)


class ContributingFactorWriteSerializer(serializers.Serializer):
    """Input of `POST /contributing-factors/` and `PUT`/`PATCH /contributing-factors/{id}/` (partial on update).

    `evidence_entries` are timeline entry ids of the same incident; `recurrence_of` a factor id of an
    earlier incident. There is no root-cause and no fault field, by design.
    """

    incident = serializers.IntegerField(min_value=1, help_text="Incident number (on create only).")
    category = serializers.ChoiceField(choices=FactorCategory.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    evidence_entries = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False)
    missing_test_types = serializers.ListField(
        child=serializers.ChoiceField(choices=TestType.choices), required=False
    )
    recurrence_of = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class PostmortemSaveSerializer(serializers.Serializer):
    """Input of `PATCH`/`PUT /postmortems/{id}/`: sections to change (others are kept) and the version edited.

    `version` is required unless `If-Match` is sent; a stale one is refused with 409 and `current`.
    """

    sections = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=100000),
        help_text="Section key (see `section_titles`) to Markdown.",
    )
    version = serializers.IntegerField(min_value=1, required=False)
    note = serializers.CharField(required=False, default="edit", max_length=200)


class PostmortemStartSerializer(serializers.Serializer):
    template = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="Template id."
    )


class RequestReviewSerializer(serializers.Serializer):
    reviewers = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False)


class ReviewDecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    version = serializers.IntegerField(min_value=1, required=False, help_text="The version you reviewed.")


class RequestReviewResultSerializer(serializers.Serializer):
    postmortem = PostmortemSerializer()
    blameless_findings = serializers.ListField(
        child=serializers.DictField(), help_text="Wordings to look at."
    )
