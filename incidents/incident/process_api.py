"""`GET /api/v1/incidents/{number}/process/`: the incident's process checklist; `POST .../process/waiver/`:
waive its required postmortem with a reason (admins and leads of its teams)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.api.base import ERRORS, ApiView
from incidents.api.checks import on_loaded
from incidents.api.fields import StrictInputSerializer, TextField, UserBriefSerializer, UtcDateTimeField
from incidents.incident import process, selectors
from incidents.incident.services import process as process_services
from incidents.permissions.checks import require_waive_postmortem

STATES = ["done", "waived", "open", "overdue", "blocked"]


class ProcessStepSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=["postmortem", "sections", "questions", "close"])
    title = TextField(source="label", help_text="What the step is, e.g. Postmortem published.")
    state = serializers.ChoiceField(choices=STATES, help_text="blocked: closing waits for the postmortem.")
    owner = UserBriefSerializer(allow_null=True, help_text="Who the step waits for (null: nobody yet).")
    owner_role = serializers.ChoiceField(choices=["commander", "author"])
    due = serializers.DateField(
        source="due_date",
        allow_null=True,
        help_text="The commander's local date the postmortem is due published by.",
    )
    detail = TextField(help_text="What is missing, or who waived it and why.")
    missing = serializers.ListField(child=TextField(), help_text="Sections or questions not answered yet.")


class ProcessSerializer(serializers.Serializer):
    postmortem_required = serializers.BooleanField()
    postmortem_due_days = serializers.IntegerField(help_text="Days after the resolution.")
    required_sections = serializers.ListField(child=TextField(), help_text="Section keys.")
    questions_required = serializers.BooleanField()
    waived_at = UtcDateTimeField(allow_null=True)
    waived_by = UserBriefSerializer(allow_null=True)
    waiver_reason = TextField()
    steps = ProcessStepSerializer(many=True)


class WaiverSerializer(StrictInputSerializer):
    reason = TextField(max_length=process_services.MAX_REASON, help_text="Why no postmortem is needed.")


def _data(incident: Any) -> dict[str, Any]:
    rule = process.rule_for(incident)
    steps = process.incident_checklist(incident)
    return ProcessSerializer(
        {
            "postmortem_required": rule.postmortem_required,
            "postmortem_due_days": rule.postmortem_due_days,
            "required_sections": rule.required_sections,
            "questions_required": rule.questions_required,
            "waived_at": incident.postmortem_waived_at,
            "waived_by": incident.postmortem_waived_by,
            "waiver_reason": incident.postmortem_waiver_reason,
            "steps": steps,
        }
    ).data


def _load(view: Any, request: Request) -> Any:
    return selectors.incident_get_for(request.user, view.kwargs["number"])


class IncidentProcessView(ApiView, APIView):
    """The incident's process rule and checklist."""

    @extend_schema(
        summary="An incident's process rule and checklist", responses={200: ProcessSerializer, **ERRORS}
    )
    def get(self, request: Request, number: int) -> Response:
        return Response(_data(selectors.incident_get_for(request.user, number)))


class IncidentWaiverView(ApiView, APIView):
    """Waive the incident's required postmortem."""

    write_checks = {"post": on_loaded(_load, require_waive_postmortem)}

    @extend_schema(
        summary="Waive the postmortem the process rule requires (admins, leads of the incident's teams); "
        "the incident may then close without it",
        request=WaiverSerializer,
        responses={200: ProcessSerializer, **ERRORS},
    )
    def post(self, request: Request, number: int) -> Response:
        incident = selectors.incident_get_for(request.user, number)
        form = WaiverSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        process_services.incident_postmortem_waive(
            incident=incident, actor=request.user, reason=form.validated_data["reason"]
        )
        return Response(_data(selectors.incident_get_for(request.user, number)))
