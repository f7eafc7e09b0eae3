from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.api.fields import (
    MarkdownHtmlField,
    ReadModelSerializer,
    StrictInputSerializer,
    TextField,
    UserBriefSerializer,
    UtcDateTimeField,
)
from incidents.models import (
    ChangeEvent,
    EntryKind,
    EvidenceMarker,
    Incident,
    Service,
    TimelineEntry,
)
from incidents.timefmt import format_utc


class TimelineEntrySerializer(ReadModelSerializer):
    """A timeline entry. `body_html` is the cached sanitised rendering; `removed` entries appear only
    in `since` feeds, so live clients can drop them."""

    incident: serializers.SlugRelatedField[Incident] = serializers.SlugRelatedField(
        slug_field="number", read_only=True
    )
    author = UserBriefSerializer(read_only=True, allow_null=True)
    display_author = TextField(read_only=True)
    knew_then_html = MarkdownHtmlField(source="knew_then")
    removed = serializers.SerializerMethodField()
    milestone_changes = serializers.SerializerMethodField(
        help_text="For a “Milestones edited” row, each milestone edited with its old and new instant "
        "(UTC, `Z`; null for unset); `body` and `body_html` state them in the caller's profile zone. "
        "Empty for every other entry."
    )

    class Meta:
        model = TimelineEntry
        fields = [
            "id", "incident", "occurred_at", "recorded_at", "updated_at", "author", "author_name",
            "display_author", "kind", "body", "body_html", "source", "evidence", "knew_then",
            "knew_then_html", "is_key_moment", "removed", "milestone_changes",
        ]  # fmt: skip
        read_only_fields = fields

    # Emptied in a removed entry for a caller who may not edit the timeline (`recordable_ids` in context).
    REMOVED_TEXT_FIELDS = ("body", "body_html", "knew_then", "knew_then_html", "author_name")

    def get_removed(self, obj: TimelineEntry) -> bool:
        return obj.removed_at is not None

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "milestone": {"type": "string"},
                    "old": {"type": "string", "format": "date-time", "nullable": True},
                    "new": {"type": "string", "format": "date-time", "nullable": True},
                },
            },
        }
    )
    def get_milestone_changes(self, obj: TimelineEntry) -> list[dict[str, str | None]]:
        def utc(value: str | None) -> str | None:
            return format_utc(datetime.fromisoformat(value)) if value else None

        return [
            {"milestone": c.get("milestone", ""), "old": utc(c.get("old")), "new": utc(c.get("new"))}
            for c in obj.milestone_changes
        ]

    def _reader_zone(self) -> tzinfo:
        """The caller's profile zone (the same for a session and a token), else UTC."""
        request = self.context.get("request")
        name = getattr(getattr(request, "user", None), "time_zone", "") or ""
        try:
            return ZoneInfo(name) if name else UTC
        except (ZoneInfoNotFoundError, ValueError):
            return UTC

    def to_representation(self, instance: TimelineEntry) -> dict[str, Any]:
        """A removed entry keeps its text only for those who may edit the timeline; without
        `recordable_ids` in the context (ids of incidents the caller may record on) nobody is."""
        data: dict[str, Any] = super().to_representation(instance)
        if instance.milestone_changes:
            zone = self._reader_zone()
            data["body"], data["body_html"] = instance.text_in(zone), instance.html_in(zone)
        if instance.removed_at is not None and instance.incident_id not in self.context.get(
            "recordable_ids", ()
        ):
            for name in self.REMOVED_TEXT_FIELDS:
                data[name] = ""
        return data


class TimelineEntryCreatedSerializer(TimelineEntrySerializer):
    """The answer to `POST /timeline-entries/`: the entry and `duplicate_of`."""

    duplicate_of = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The id of an entry with the same minute and text already recorded on the incident "
        "(from any source: web, API, import, chat), or null. The new entry is kept unless "
        "`on_duplicate` was `skip`.",
    )

    class Meta(TimelineEntrySerializer.Meta):
        fields = [*TimelineEntrySerializer.Meta.fields, "duplicate_of"]
        read_only_fields = fields


class TimelineEntryCreateSerializer(StrictInputSerializer):
    """Input of `POST /timeline-entries/`. `occurred_at` defaults to now; `author_name` labels a bot; unknown
    fields (`when`) are refused with 400 naming them. The answer's `duplicate_of` is the id of an entry with
    the same minute and text already recorded (from any source), or null."""

    incident = serializers.IntegerField(min_value=1, help_text="The incident number (42 for INC-42).")
    body = TextField(max_length=20000)
    kind = serializers.ChoiceField(choices=EntryKind.choices, default=EntryKind.NOTE)
    occurred_at = UtcDateTimeField(required=False)
    evidence = serializers.ChoiceField(
        choices=[("", "None"), *EvidenceMarker.choices], required=False, default=""
    )
    knew_then = TextField(required=False, allow_blank=True, default="", max_length=5000)
    is_key_moment = serializers.BooleanField(required=False, default=False)
    author_name = TextField(
        required=False, allow_blank=True, default="", max_length=150,
        help_text="Shown as the author, e.g. the chat user a bot relays for.",
    )  # fmt: skip
    on_duplicate = serializers.ChoiceField(
        choices=[("keep", "keep"), ("skip", "skip")], default="keep", required=False,
        help_text="What to do when an entry with the same minute and text is already recorded: `keep` "
        "(default: store it too, and name the other in `duplicate_of`) or `skip` (store nothing; answer 200 "
        "with the entry already there).",
    )  # fmt: skip


class ChangeEventSerializer(ReadModelSerializer):
    service: serializers.SlugRelatedField[Service] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = ChangeEvent
        fields = [
            "id", "service", "summary", "commit_range", "diff_url", "feature_flag", "author",
            "occurred_at", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class ChangeEventCreateSerializer(StrictInputSerializer):
    """A deploy or change from CI: at least one of `commit_range`, `diff_url`, `feature_flag`; unknown
    fields are refused with 400 naming them."""

    service = serializers.SlugRelatedField(slug_field="slug", queryset=Service.objects.all())
    summary = TextField(max_length=255)
    commit_range = TextField(required=False, allow_blank=True, default="", max_length=200)
    diff_url = serializers.URLField(required=False, allow_blank=True, default="", max_length=200)
    feature_flag = TextField(required=False, allow_blank=True, default="", max_length=200)
    author = TextField(required=False, allow_blank=True, default="", max_length=150)
    occurred_at = UtcDateTimeField(required=False)


class ChangeEventResultSerializer(serializers.Serializer):
    change = ChangeEventSerializer()
    incidents = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Numbers of the incidents that received the change entry: the service's active incidents "
        "you may record on (the others get nothing).",
    )
