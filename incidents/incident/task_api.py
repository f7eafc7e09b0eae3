"""`/api/v1/incidents/{number}/tasks/`: the incident's checklist (GET, in order; POST adds one, 201) and
`.../tasks/{task_id}/` (GET one; PATCH `{"done": true|false}` marks it). Reading needs sight of the incident
(404 otherwise); writing needs the right to record on it (403), checked before the body is read. Each write
is one timeline entry, as on the incident page."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.base import ERRORS, ApiView
from incidents.api.checks import on_loaded
from incidents.api.fields import (
    PersonField,
    ReadModelSerializer,
    StrictInputSerializer,
    TextField,
    UserBriefSerializer,
    UtcDateTimeField,
)
from incidents.api.pagination import PagePagination
from incidents.incident import selectors
from incidents.incident.services import checklist
from incidents.models import IncidentTask
from incidents.permissions.checks import require_record


class IncidentTaskSerializer(ReadModelSerializer):
    incident = serializers.IntegerField(source="incident.number", read_only=True, help_text="Its number.")
    owner = UserBriefSerializer(read_only=True, allow_null=True)
    done = serializers.SerializerMethodField(help_text="Whether the task is done.")
    done_at = UtcDateTimeField(read_only=True, allow_null=True, help_text="When it was marked done (UTC).")
    done_by = UserBriefSerializer(read_only=True, allow_null=True)
    created_at = UtcDateTimeField(read_only=True)

    class Meta:
        model = IncidentTask
        fields = [
            "id", "incident", "title", "owner", "from_runbook", "position", "done", "done_at", "done_by",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_done(self, task: IncidentTask) -> bool:
        return task.done_at is not None


class IncidentTaskCreateSerializer(StrictInputSerializer):
    title = TextField(allow_blank=True, max_length=checklist.MAX_TITLE, help_text="What needs doing.")
    owner = PersonField(
        required=False, allow_null=True, help_text="Someone who may take part in the incident; null: anyone."
    )


class IncidentTaskDoneSerializer(StrictInputSerializer):
    done = serializers.BooleanField(help_text="true marks the task done, false opens it again.")


def _incident(view: Any, request: Request) -> Any:
    return selectors.incident_get_for(request.user, view.kwargs["number"])


def _task(view: Any, request: Request) -> IncidentTask:
    incident = selectors.incident_get_for(request.user, view.kwargs["number"])
    task = (
        IncidentTask.objects.select_related("owner", "done_by")
        .filter(incident=incident, pk=view.kwargs["task_id"])
        .first()
    )
    if task is None:
        raise Http404("No such task.")
    task.incident = incident
    return task


class IncidentTasksView(ApiView, generics.GenericAPIView):
    """An incident's tasks, in checklist order."""

    serializer_class = IncidentTaskSerializer
    pagination_class = PagePagination
    write_checks = {"post": on_loaded(_incident, require_record)}

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the schema generator, with no URL number
            return IncidentTask.objects.none()
        incident = selectors.incident_get_for(self.request.user, self.kwargs["number"])
        return incident.tasks.select_related("incident", "owner", "done_by")

    @extend_schema(
        summary="An incident's tasks, in order", responses={200: IncidentTaskSerializer(many=True), **ERRORS}
    )
    def get(self, request: Request, number: int) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(IncidentTaskSerializer(page, many=True).data)

    @extend_schema(
        summary="Add a task to the incident's checklist (those who may record on it); one timeline entry",
        request=IncidentTaskCreateSerializer,
        responses={201: IncidentTaskSerializer, **ERRORS},
    )
    def post(self, request: Request, number: int) -> Response:
        incident = self.checked_object  # type: ignore[attr-defined]
        form = IncidentTaskCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        task = checklist.incident_task_add(
            incident=incident,
            actor=request.user,
            title=form.validated_data["title"],
            owner=form.validated_data.get("owner"),
        )
        return Response(IncidentTaskSerializer(task).data, status=status.HTTP_201_CREATED)


class IncidentTaskView(ApiView, generics.GenericAPIView):
    """One task of an incident's checklist."""

    serializer_class = IncidentTaskSerializer
    write_checks = {"patch": on_loaded(_task, lambda actor, task: require_record(actor, task.incident))}

    @extend_schema(summary="One task of an incident", responses={200: IncidentTaskSerializer, **ERRORS})
    def get(self, request: Request, number: int, task_id: int) -> Response:
        return Response(IncidentTaskSerializer(_task(self, request)).data)

    @extend_schema(
        summary="Mark a task done or open again (those who may record on the incident); one timeline "
        "entry, none when it already is",
        request=IncidentTaskDoneSerializer,
        responses={200: IncidentTaskSerializer, **ERRORS},
    )
    def patch(self, request: Request, number: int, task_id: int) -> Response:
        task = self.checked_object  # type: ignore[attr-defined]
        form = IncidentTaskDoneSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        current = checklist.incident_task_set_done(
            task=task, actor=request.user, done=form.validated_data["done"]
        )
        current.incident = task.incident
        return Response(IncidentTaskSerializer(current).data)
