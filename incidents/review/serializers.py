from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.api.fields import (
    MarkdownHtmlField,
    PeopleField,
    ReadModelSerializer,
    StrictInputSerializer,
    TextField,
    UserBriefSerializer,
)
from incidents.markdown import stored_html
from incidents.models import (
    POSTMORTEM_SECTIONS,
    ContributingFactor,
    FactorCategory,
    Incident,
    Postmortem,
    PostmortemReview,
    TestType,
    TimelineEntry,
)
from incidents.review.documents import unnoticed_for


class ContributingFactorSerializer(ReadModelSerializer):
    incident: serializers.SlugRelatedField[Incident] = serializers.SlugRelatedField(
        slug_field="number", read_only=True
    )
    description_html = MarkdownHtmlField(source="description")
    evidence_entries: serializers.PrimaryKeyRelatedField[TimelineEntry] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    recurrence_of = serializers.SerializerMethodField(
        help_text="The factor this one recurs from; null when none, or when its incident is one you cannot see."
    )

    class Meta:
        model = ContributingFactor
        fields = [
            "id", "incident", "category", "title", "description", "description_html", "missing_test_types",
            "evidence_entries", "recurrence_of", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_recurrence_of(self, factor: ContributingFactor) -> int | None:
        """The id, only when the queryset said the caller may see its incident (`recurrence_visible`)."""
        return factor.recurrence_of_id if getattr(factor, "recurrence_visible", False) else None


class PostmortemReviewSerializer(ReadModelSerializer):
    reviewer = UserBriefSerializer(read_only=True)

    class Meta:
        model = PostmortemReview
        fields = ["id", "reviewer", "decision", "comment", "version_reviewed", "requested_at", "decided_at"]
        read_only_fields = fields


class PostmortemSerializer(ReadModelSerializer):
    """The postmortem; `sections` maps section keys to Markdown, `sections_html` to sanitised HTML."""

    incident: serializers.SlugRelatedField[Incident] = serializers.SlugRelatedField(
        slug_field="number", read_only=True
    )
    reviews = serializers.SerializerMethodField()
    sections_html = serializers.SerializerMethodField()
    section_titles = serializers.SerializerMethodField()
    unnoticed_seconds = serializers.SerializerMethodField(
        help_text="How long it went unnoticed, in seconds (review.documents.unnoticed_for): the incident's "
        "time to detect when it has a detection time, else the review's answer; null when neither."
    )
    unnoticed_from = serializers.SerializerMethodField(
        help_text='Where `unnoticed_seconds` comes from: "milestones", "answer", or null.'
    )

    class Meta:
        model = Postmortem
        fields = [
            "id", "incident", "status", "version", "sections", "sections_html", "section_titles", "reviews",
            "unnoticed_seconds", "unnoticed_from", "should_have_caught", "behind_feature_flag", "flag_off_seconds",
            "staging_matched", "staging_notes", "single_person_change", "meeting_at", "meeting_notes",
            "created_at", "updated_at", "published_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_unnoticed_seconds(self, obj: Postmortem) -> int | None:
        return unnoticed_for(obj).seconds

    def get_unnoticed_from(self, obj: Postmortem) -> str | None:
        return unnoticed_for(obj).source or None

    def get_sections_html(self, obj: Postmortem) -> dict[str, str]:
        sections = obj.sections if isinstance(obj.sections, dict) else {}
        return {k: str(stored_html(obj, "sections", k)) for k in sections}

    def get_section_titles(self, obj: Postmortem) -> dict[str, str]:
        return dict(POSTMORTEM_SECTIONS)

    @extend_schema_field(PostmortemReviewSerializer(many=True))
    def get_reviews(self, obj: Postmortem) -> list[dict[str, Any]]:
        reviews = PostmortemReviewSerializer(obj.reviews.all(), many=True)  # prefetched by the views
        return reviews.data  # type: ignore[return-value]  # many=True makes a ListSerializer; the stubs miss it


class ContributingFactorWriteSerializer(serializers.Serializer):
    """Input of `POST /contributing-factors/` and `PUT`/`PATCH /contributing-factors/{id}/` (partial on update).

    `evidence_entries` are timeline entry ids of the same incident; `recurrence_of` a factor id of an
    earlier incident. There is no root-cause and no fault field, by design.
    """

    incident = serializers.IntegerField(min_value=1, help_text="Incident number (on create only).")
    category = serializers.ChoiceField(choices=FactorCategory.choices)
    title = TextField(max_length=200)
    description = TextField(required=False, allow_blank=True, default="", max_length=20000)
    evidence_entries = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False)
    missing_test_types = serializers.ListField(
        child=serializers.ChoiceField(choices=TestType.choices), required=False
    )
    recurrence_of = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class PostmortemSaveSerializer(StrictInputSerializer):
    """Input of `PATCH`/`PUT /postmortems/{id}/`: sections to change (others are kept) and the version edited.
    Any other key (`meeting_at`, `published_at`, ...) is refused with 400 naming it, never dropped in silence.

    `version` is required unless `If-Match` is sent; a stale one is refused with 409 and `current`.
    """

    sections = serializers.DictField(
        child=TextField(allow_blank=True, max_length=100000),
        help_text="Section key (see `section_titles`) to Markdown.",
    )
    version = serializers.IntegerField(min_value=1, required=False)
    note = TextField(required=False, default="edit", max_length=200)


class PostmortemStartSerializer(serializers.Serializer):
    template = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="Template id."
    )


class RequestReviewSerializer(serializers.Serializer):
    reviewers = PeopleField(allow_empty=False, help_text="User ids of the people asked to review.")


class ReviewDecisionSerializer(serializers.Serializer):
    comment = TextField(required=False, allow_blank=True, default="", max_length=5000)
    version = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        help_text="The version you reviewed (required): a decision on an older version is refused with 409.",
    )


class PublishSerializer(serializers.Serializer):
    override_reason = TextField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="The commander's reason to publish over open blameless findings (refused without one).",
    )


class RequestReviewResultSerializer(serializers.Serializer):
    postmortem = PostmortemSerializer()
    blameless_findings = serializers.ListField(
        child=serializers.DictField(), help_text="Wordings to look at."
    )
