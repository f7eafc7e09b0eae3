"""API representations. Markdown fields come with a `*_html` twin rendered by `render_markdown`.

Read serializers never touch the database beyond what the view's queryset joined in, so list
endpoints stay flat in queries. Write serializers only parse input: the views hand it to a service.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any, cast

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Team, User
from incidents.inputs import NAIVE_MESSAGE, normalise_newlines, plus_sent_as_space  # noqa: F401 - re-exported
from incidents.markdown import render_markdown, stored_html
from incidents.permissions.people import NOT_CHOOSABLE, unknown_person
from incidents.timeparse import offset_refusal


class TextField(serializers.CharField):
    """Every text field of every API serializer (`serializers.CharField` with the same arguments): line
    breaks are stored as LF (`incidents.inputs.normalise_newlines`), as the forms store them."""

    def to_internal_value(self, data: Any) -> str:
        return normalise_newlines(super().to_internal_value(data))


# The offset after an ISO 8601 time of day, as sent (`+02:00`, `-0500`, `+25:00`, `+05:30:15`).
_SENT_OFFSET = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?P<offset>[+-][\d:.]+)$")


class UtcDateTimeField(serializers.DateTimeField):
    """The API's one date-time field: input must carry its UTC offset (`Z`, `+02:00`), else 400 naming the
    field, and the offset must be one in use (`incidents.timeparse.offset_refusal`: -12:00 .. +14:00 in
    whole minutes, else 400 naming the field and the rule); output is always ISO 8601 in UTC with `Z` (`2017-01-31T23:27:00Z`), whoever asks and however
    they signed in (token or browser session), so ETags and `?since=` values copied from a response agree.
    """

    default_error_messages = {"naive": NAIVE_MESSAGE, "offset": "{why}"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(*args, **kwargs)

    def to_internal_value(self, value: Any) -> datetime:
        # The offset as sent, judged before parsing: `+25:00` would otherwise be only "wrong format".
        m = _SENT_OFFSET.search(value.strip()) if isinstance(value, str) else None
        if m is not None and (why := offset_refusal(m["offset"])):
            self.fail("offset", why=why)
        return super().to_internal_value(value)

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            self.fail("naive")
        if why := offset_refusal(value.utcoffset()):
            self.fail("offset", why=why)
        return super().enforce_timezone(value)


# Keys callers send by mistake for a time, and the names the endpoints use.
TIME_NAMES = {"when", "time", "timestamp", "resolved", "occurred"}


class StrictInputSerializer(serializers.Serializer):
    """A write serializer that refuses keys it does not know with 400 naming each (`{"when": ["Unknown
    field; the time is `at`."]}`), instead of ignoring them: a time sent under the wrong name must never be
    replaced by "now" in silence."""

    def to_internal_value(self, data: Any) -> Any:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, Mapping) else []
        time_field = next((f for f in ("at", "occurred_at") if f in self.fields), None)
        known = ", ".join(sorted(self.fields))
        errors: dict[str, Any] = {
            key: [
                f"Unknown field; the time is `{time_field}`."
                if time_field and key in TIME_NAMES
                else f"Unknown field; this endpoint takes {known}."
            ]
            for key in unknown
        }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            # Every field's own error too, so one answer names everything to fix.
            if not errors or not isinstance(exc.detail, dict):
                raise
            raise serializers.ValidationError({**exc.detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        return value


class MarkdownHtmlField(serializers.ReadOnlyField):
    """The sanitised HTML of the Markdown in `source`, rendered by `incidents.markdown.render_markdown`:
    the HTML stored beside it on save when the model keeps one (`<source>_html`), so a list renders
    nothing per row."""

    def get_attribute(self, instance: Any) -> Any:
        if hasattr(instance, f"{self.source}_html"):
            return str(stored_html(instance, str(self.source)))
        return str(render_markdown(super().get_attribute(instance)))

    def to_representation(self, value: Any) -> str:
        return str(value)


extend_schema_field(OpenApiTypes.STR)(MarkdownHtmlField)


class ReadModelSerializer(serializers.ModelSerializer):
    """A read-only representation whose schema admits what blank model fields really hold.

    DRF drops `allow_blank` from read-only fields, so a blank choice or URL would break the documented
    schema (an enum without "", a `uri` format); here blank stays allowed and URLs are plain strings.
    """

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.URLField: TextField,
        models.CharField: TextField,
        models.TextField: TextField,
        models.DateTimeField: UtcDateTimeField,
    }

    def include_extra_kwargs(
        self, kwargs: MutableMapping[str, Any], extra_kwargs: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
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


class PersonField(serializers.PrimaryKeyRelatedField):
    """The API's one field for a person, by user id: a JSON whole number (not `"3"`, `3.5` or `true`: 400
    "Give the person's user id as a whole number").

    It refuses nothing else itself: an id that names nobody, or a deactivated person, is handed on as
    `permissions.people.unknown_person(id)`, which the service refuses with `NOT_CHOOSABLE` at the very
    step, and in the very words, it refuses someone the caller may not pick (`refuse_people`), so no
    answer tells an existing id from a made-up one, even beside other fields' errors. Every user field of a
    write serializer is one of these (tests/security/test_person_fields.py walks them)."""

    default_error_messages = {
        "required": "This field is required.",
        "does_not_exist": NOT_CHOOSABLE,
        "incorrect_type": "Give the person's user id as a whole number (e.g. 7).",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", User.objects.filter(is_active=True))
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        people = cast(QuerySet[User], self.get_queryset())
        found = people.filter(pk=data).first() if 0 < data < 2**63 else None
        return found if found is not None else unknown_person(data)


class PeopleField(serializers.ListField):
    """The API's one field for several people: a list of user ids, each a `PersonField`. Any that names
    nobody, a deactivated person, or is not a whole number is refused under the field itself (`{"attendees":
    ["Choose an active person ..."]}`), never by position, which is how the services refuse someone the
    caller may not pick (`permissions.checks.refuse_people`): the two answers are the same bytes."""

    child = PersonField()

    def to_internal_value(self, data: Any) -> Any:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            said = [str(m) for messages in exc.detail.values() for m in messages]
            raise serializers.ValidationError(list(dict.fromkeys(said))) from None


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}], "example": "database"})
class TeamField(serializers.Field):
    """A team by its id (a JSON whole number, `7`) or by its slug (`"database"`): the one team field of the
    write serializers. Anything else, or a team that does not exist, is refused with 400 saying which
    (teams are visible to every member, so naming an unknown one tells nothing)."""

    default_error_messages = {
        "no_id": "No team with id {value}.",
        "no_slug": "No team with slug “{value}”.",
        "incorrect_type": "Give the team as its id (7) or its slug (“database”).",
    }

    def to_internal_value(self, data: Any) -> Team:
        if isinstance(data, int) and not isinstance(data, bool):
            found = Team.objects.filter(pk=data).first()
            if found is None:
                self.fail("no_id", value=data)
        elif isinstance(data, str) and data.strip():
            found = Team.objects.filter(slug=data.strip()).first()
            if found is None:
                self.fail("no_slug", value=data.strip()[:100])
        else:
            self.fail("incorrect_type")
        return found

    def to_representation(self, value: Any) -> Any:
        return value.slug
