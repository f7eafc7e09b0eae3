"""`GET/POST /api/v1/action-items/{id}/tracker/`: an action item's tracker issue, and "Create in tracker"."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.api.base import ERRORS, ApiView
from incidents.api.checks import on_loaded
from incidents.api.fields import TextField, UtcDateTimeField
from incidents.followup import selectors as followup_selectors
from incidents.integrations.trackers.models import TrackerIssue
from incidents.integrations.trackers.services import ADAPTERS, tracker_issue_create
from incidents.permissions.checks import require_send_action_item_to_tracker


class TrackerIssueSerializer(serializers.Serializer):
    tracker = TextField(allow_null=True, help_text="GitHub, Jira or Redmine; null when not in a tracker.")
    key = TextField(allow_null=True, help_text="owner/repo#12 or OPS-7.")
    url = TextField(allow_null=True)
    status = TextField(allow_null=True, help_text="The tracker's status name, as last seen.")
    closed = serializers.BooleanField(allow_null=True)
    assignee = TextField(allow_null=True, help_text="The tracker's assignee (login, email).")
    due_date = serializers.DateField(allow_null=True, help_text="Jira's due date (null for GitHub).")
    synced_at = UtcDateTimeField(
        allow_null=True, help_text="When the issue was last read from or set in the tracker (UTC)."
    )
    conflicts = serializers.DictField(
        help_text="Fields changed on both sides since the last sync: {field: {tracker, label}}."
    )


def _data(issue: TrackerIssue | None) -> dict[str, Any]:
    if issue is None:
        keys = ("tracker", "key", "url", "status", "closed", "assignee", "due_date", "synced_at")
        return {**dict.fromkeys(keys), "conflicts": {}}
    return {
        "tracker": ADAPTERS[issue.connection.kind].label,
        "key": issue.key,
        "url": issue.url,
        "status": issue.remote_status,
        "closed": issue.remote_closed,
        "assignee": issue.remote_assignee or None,
        "due_date": issue.remote_due_date.isoformat() if issue.remote_due_date else None,
        "synced_at": UtcDateTimeField().to_representation(issue.synced_at),
        "conflicts": issue.conflicts or {},
    }


class ActionItemTrackerView(ApiView, APIView):
    """The item's tracker issue (GET) and "Create in tracker" (POST, no body)."""

    write_checks = {
        "post": on_loaded(
            lambda view, request: followup_selectors.action_item_get_for(
                request.user, view.kwargs["action_item_id"]
            ),
            require_send_action_item_to_tracker,
        )
    }

    @extend_schema(
        summary="An action item's tracker issue", responses={200: TrackerIssueSerializer, **ERRORS}
    )
    def get(self, request: Request, action_item_id: int) -> Response:
        item = followup_selectors.action_item_get_for(request.user, action_item_id)
        issue = TrackerIssue.objects.select_related("connection").filter(action_item=item).first()
        return Response(_data(issue))

    @extend_schema(
        summary="Create the action item's issue in its team's tracker",
        request=None,
        responses={
            201: TrackerIssueSerializer,
            **ERRORS,
            403: OpenApiResponse(description="Not allowed, or the item is on a restricted incident."),
        },
    )
    def post(self, request: Request, action_item_id: int) -> Response:
        item = followup_selectors.action_item_get_for(request.user, action_item_id)
        if isinstance(request.data, dict) and request.data:
            raise serializers.ValidationError(
                {k: ["Unknown field; this takes no body."] for k in request.data}
            )
        issue = tracker_issue_create(actor=request.user, item=item)
        issue = TrackerIssue.objects.select_related("connection").get(pk=issue.pk)
        return Response(_data(issue), status=status.HTTP_201_CREATED)
