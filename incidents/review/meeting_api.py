"""`GET /api/v1/incidents/{number}/review-meetings/`: the postmortem's review meetings, newest first (the
scheduled one and those cancelled); `POST` the same: schedule the review meeting or move the one scheduled
(each attendee is emailed the .ics invitation); `POST .../review-meetings/cancel/`: cancel it. Writes are for
those who may write the review (its author, those who may record on the incident)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.base import ERRORS, ApiView
from incidents.api.checks import on_loaded
from incidents.api.fields import (
    PeopleField,
    ReadModelSerializer,
    StrictInputSerializer,
    UserBriefSerializer,
    UtcDateTimeField,
)
from incidents.incident import selectors as incident_selectors
from incidents.models import Postmortem, ReviewMeeting
from incidents.permissions.checks import require_write_review
from incidents.review import selectors
from incidents.review.services import meetings as services_meetings


class ReviewMeetingSerializer(ReadModelSerializer):
    starts_at = UtcDateTimeField(read_only=True)
    ends_at = UtcDateTimeField(read_only=True)
    cancelled_at = UtcDateTimeField(read_only=True, allow_null=True)
    uid = serializers.CharField(read_only=True, help_text="The calendar UID: the same for every change.")
    sequence = serializers.IntegerField(
        read_only=True, help_text="The calendar SEQUENCE: +1 per change sent."
    )
    attendees = UserBriefSerializer(many=True, read_only=True)
    facilitator = UserBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ReviewMeeting
        fields = [
            "id", "uid", "sequence", "starts_at", "ends_at", "duration_minutes", "attendees", "facilitator",
            "cancelled_at",
        ]  # fmt: skip
        read_only_fields = fields


class ReviewMeetingScheduleSerializer(StrictInputSerializer):
    starts_at = UtcDateTimeField(help_text="With its offset; not in the past.")
    duration_minutes = serializers.IntegerField(min_value=15, max_value=480)
    attendees = PeopleField(allow_empty=False, help_text="User ids of people of the incident.")


def _postmortem(view: Any, request: Request) -> Postmortem:
    incident = incident_selectors.incident_get_for(request.user, view.kwargs["number"])
    postmortem = selectors.postmortem_for(incident)
    if postmortem is None:
        raise Http404("This incident has no postmortem yet.")
    postmortem.incident = incident
    return postmortem


class ReviewMeetingsView(ApiView):
    """An incident's review meetings."""

    write_checks = {"post": on_loaded(_postmortem, require_write_review)}

    @extend_schema(
        summary="The postmortem's review meetings, newest first (none without a postmortem)",
        responses={200: ReviewMeetingSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, number: int) -> Response:
        incident = incident_selectors.incident_get_for(request.user, number)
        postmortem = selectors.postmortem_for(incident)
        rows = (
            postmortem.review_meetings.select_related("facilitator").prefetch_related("attendees")
            if postmortem is not None
            else ReviewMeeting.objects.none()
        )
        return Response(ReviewMeetingSerializer(list(rows), many=True).data)

    @extend_schema(
        summary="Schedule the review meeting, or move the one scheduled; attendees are emailed the .ics",
        request=ReviewMeetingScheduleSerializer,
        responses={200: ReviewMeetingSerializer, **ERRORS},
    )
    def post(self, request: Request, number: int) -> Response:
        postmortem = self.checked_object  # type: ignore[attr-defined]
        form = ReviewMeetingScheduleSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        meeting = services_meetings.review_meeting_schedule(
            postmortem=postmortem,
            actor=request.user,
            starts_at=data["starts_at"],
            duration_minutes=data["duration_minutes"],
            attendees=data["attendees"],
        )
        return Response(ReviewMeetingSerializer(meeting).data, status=status.HTTP_200_OK)


class ReviewMeetingCancelView(ApiView):
    """Cancel the scheduled review meeting."""

    write_checks = {"post": on_loaded(_postmortem, require_write_review)}

    @extend_schema(
        summary="Cancel the scheduled review meeting; every attendee is sent the cancellation",
        request=None,
        responses={
            200: ReviewMeetingSerializer,
            400: OpenApiResponse(description="None is scheduled."),
            **ERRORS,
        },
    )
    def post(self, request: Request, number: int) -> Response:
        postmortem = self.checked_object  # type: ignore[attr-defined]
        meeting = services_meetings.review_meeting_cancel(postmortem=postmortem, actor=request.user)
        if meeting is None:
            raise ValidationError({"non_field_errors": ["No review meeting is scheduled."]})
        return Response(ReviewMeetingSerializer(meeting).data)
